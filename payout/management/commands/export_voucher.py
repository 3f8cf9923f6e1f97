from django.core.management.base import BaseCommand

from core.workflow import ServiceError
from payout.management.commands.export_payout import month_and_target
from payout.services.voucher import voucher_for


class Command(BaseCommand):
    help = ("Skriv regnskapsbilaget (CSV) for månedens betalingsfil (docs/payments.md, «Betalingsfil og bilag»). "
            "Krever at betalingsfilen er laget.")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="ÅÅÅÅ-MM")
        parser.add_argument("--municipality", required=True, help="kommunenummer")
        parser.add_argument("--output", required=True, help="filen som skal skrives")

    def handle(self, month, municipality, output, **options):
        payment_month, target = month_and_target(month, municipality, output)
        if payment_month is None:
            self.stderr.write("Lag betalingsfilen først: måneden er ikke beregnet ennå.")
            raise SystemExit(1)
        try:  # as the system, like the other commands without --user
            result = voucher_for(user=None, payment_month=payment_month)
        except ServiceError as error:
            self.stderr.write(str(error))
            raise SystemExit(1) from None
        target.write_bytes(result.content)
        self.stdout.write(f"utgiftslinjer {result.expense_lines}, sum {result.total:.2f}, motpost {-result.total:.2f}")
