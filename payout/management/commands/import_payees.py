from django.core.management.base import BaseCommand

from core.commands import acting_user, input_file
from payout.services.payees import import_payees


class Command(BaseCommand):
    help = ("Importer utbetalingsmottakere fra en CSV-fil (docs/payments.md, «Utbetalingsmottakere»). Alt eller "
            "ingenting: én feil rad gir ingen endring. Nye og endrede kontonumre venter på bekreftelse.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", help="importer som denne brukeren (bare kommuner der brukeren er "
                                           "administrator); uten: som systemet, for alle kommuner")

    def handle(self, file, user, **options):
        path, account = input_file(file), acting_user(user)
        result = import_payees(user=account, data=path.read_bytes(), filename=path.name)
        for warning in result.warnings:
            self.stdout.write(f"Advarsel: {warning}")
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            if result.message:
                self.stderr.write(result.message)
            raise SystemExit(1)  # exactly the error lines on stderr (SPEC §9), no "CommandError:" line
        self.stdout.write(result.summary)
