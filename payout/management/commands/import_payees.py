from django.core.management.base import BaseCommand

from core.commands import acting_user, input_file, report
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
        report(self, result)
