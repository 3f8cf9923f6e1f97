from django.core.management.base import BaseCommand

from core.commands import acting_user, input_file
from core.terminal import progress_bar
from practices.models import ImportJob
from practices.services.list_import import format_error, import_file


class Command(BaseCommand):
    help = "Importer listetall fra en CSV-fil (docs/import.md). Alt eller ingenting: én feil rad gir ingen endring."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="kontroller og tell, men skriv ingenting")
        parser.add_argument("--user", help="importer som denne brukeren (bare kommuner der brukeren er "
                                           "administrator); uten: som systemet, for alle kommuner")

    def handle(self, file, dry_run, user, **options):
        path, account = input_file(file), acting_user(user)
        with progress_bar(self, {"import": "Importerer", "payment-runs": "Beregner utbetalingene"}):
            job = import_file(user=account, data=path.read_bytes(), filename=path.name, dry_run=dry_run,
                              source="cli")
        for warning in job.warnings:
            self.stdout.write(f"Advarsel: {warning}")
        if job.status == ImportJob.Status.FAILED:
            for error in getattr(job, "all_errors", job.errors):
                self.stderr.write(format_error(error))
            if job.message:
                self.stderr.write(job.message)
            raise SystemExit(1)  # exactly the error lines on stderr (docs/import.md), no "CommandError:" line
        self.stdout.write(f"opprettet {job.created}, endret {job.changed}, uendret {job.unchanged}")
