from django.core.management.base import BaseCommand, CommandError

from core.workflow import ServiceError
from payout import rules
from payout.services.payees import set_municipality_account
from practices.models import Municipality


class Command(BaseCommand):
    help = ("Sett kommunens egen konto, som betalingene går fra (docs/payments.md, «Utbetalingsmottakere»). "
            "Kjøres som systemet.")

    def add_arguments(self, parser):
        parser.add_argument("kommunenummer", metavar="KNR")
        parser.add_argument("--kontonummer", required=True)
        parser.add_argument("--organisasjonsnummer", default="")
        parser.add_argument("--bic", default="")
        parser.add_argument("--balansekonto", dest="balance_account", default=None,
                            help="balansekontoen for motposten i regnskapsbilaget (uten: uendret, ellers 2190)")

    def handle(self, kommunenummer, kontonummer, organisasjonsnummer, bic, balance_account, **options):
        municipality = Municipality.objects.filter(kommunenummer=kommunenummer).first()
        if municipality is None:
            raise CommandError(f"Ukjent kommunenummer: {kommunenummer}")
        try:
            account = set_municipality_account(user=None, municipality=municipality, kontonummer=kontonummer,
                                               organisasjonsnummer=organisasjonsnummer, bic=bic,
                                               balance_account=balance_account)
        except ServiceError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{municipality.kommunenummer} {municipality.name}: konto "
                          f"{rules.format_kontonummer(account.kontonummer)}")
