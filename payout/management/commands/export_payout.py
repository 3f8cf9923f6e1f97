from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.months import parse_month
from core.workflow import ServiceError
from grants.models import PaymentMonth
from payout.services.payment_file import PayeesToFix, create_payment_file
from practices.models import Municipality


class Command(BaseCommand):
    help = ("Skriv betalingsfilen (ISO 20022 pain.001.001.03) for en anvist måned (docs/payments.md, «Betalingsfil og "
            "bilag»). Filen lages én gang og beholdes; en ny kjøring skriver de samme bytene.")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="ÅÅÅÅ-MM")
        parser.add_argument("--municipality", required=True, help="kommunenummer")
        parser.add_argument("--execution-date", required=True, help="ønsket betalingsdato, ÅÅÅÅ-MM-DD")
        parser.add_argument("--output", required=True, help="filen som skal skrives")

    def handle(self, month, municipality, execution_date, output, **options):
        payment_month, target = month_and_target(month, municipality, output)
        if payment_month is None:
            self.stderr.write("Måneden er ikke anvist: den er ikke beregnet ennå.")
            raise SystemExit(1)
        try:
            execution_date = date.fromisoformat(execution_date.strip())
        except ValueError:
            raise CommandError(f"Betalingsdato må skrives som ÅÅÅÅ-MM-DD, fikk «{execution_date}».") from None
        try:  # as the system, like the other commands without --user
            outcome = create_payment_file(user=None, payment_month=payment_month, execution_date=execution_date)
        except PayeesToFix as error:
            for line in error.lines:
                self.stderr.write(line)
            raise SystemExit(1) from None
        except ServiceError as error:
            self.stderr.write(str(error))
            raise SystemExit(1) from None
        if outcome.warning:
            self.stdout.write(f"Advarsel: {outcome.warning}")
        for row in outcome.owing:
            self.stdout.write(f"Skylder kommunen (ingen betaling): {row.doctor.name} (HPR {row.doctor.hpr_nummer}), "
                              f"sum {row.total:.2f}")
        if outcome.payment_file is None:
            self.stdout.write("Ingen mottakere skal ha utbetaling denne måneden; ingen fil er skrevet.")
            self.stdout.write("transaksjoner 0, sum 0.00")
            return
        target.write_bytes(bytes(outcome.payment_file.content))
        self.stdout.write(f"transaksjoner {outcome.payment_file.transactions}, "
                          f"sum {outcome.payment_file.control_sum:.2f}")


def month_and_target(month: str, kommunenummer: str, output: str) -> tuple[PaymentMonth | None, Path]:
    """The municipality's month (None: not computed) and the output path, or CommandError (exit 1)."""
    try:
        month = parse_month(month)
    except ValueError as error:
        raise CommandError(str(error)) from None
    municipality = Municipality.objects.filter(kommunenummer=kommunenummer.strip().zfill(4)).first()
    if municipality is None:
        raise CommandError(f"Ukjent kommunenummer: {kommunenummer}")
    target = Path(output)
    if not target.parent.exists():
        raise CommandError(f"Mappen {target.parent} finnes ikke.")
    payment_month = PaymentMonth.objects.filter(municipality=municipality, month=month).select_related(
        "municipality").first()
    return payment_month, target
