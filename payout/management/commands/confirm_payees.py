from django.core.management.base import BaseCommand, CommandError

from core.commands import acting_user
from core.workflow import ServiceError
from payout.services.payees import confirm_pending
from practices.models import Municipality


class Command(BaseCommand):
    help = ("Bekreft alle kontonumre som venter på bekreftelse i en kommune og som en annen bruker har registrert "
            "(docs/payments.md, «Utbetalingsmottakere»). Brukeren må være saksbehandler i kommunen.")

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True, metavar="KNR")
        parser.add_argument("--user", required=True, metavar="USERNAME")

    def handle(self, municipality, user, **options):
        place = Municipality.objects.filter(kommunenummer=municipality).first()
        if place is None:
            raise CommandError(f"Ukjent kommunenummer: {municipality}")
        account = acting_user(user)
        try:
            confirmed = confirm_pending(user=account, municipality=place)
        except ServiceError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"bekreftet {confirmed}")
