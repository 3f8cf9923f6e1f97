from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

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
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Finner ikke filen {file}")
        account = None
        if user:
            account = get_user_model().objects.filter(username=user, is_active=True).first()
            if account is None:
                raise CommandError(f"Ukjent bruker: {user}")
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
