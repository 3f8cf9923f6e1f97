from django.core.management.base import BaseCommand, CommandError

from core.months import format_month, parse_month
from core.terminal import progress_bar
from grants.services import ledger
from practices.models import Municipality


class Command(BaseCommand):
    help = "Beregn utbetalingslinjene for en måned på nytt, synkront (docs/payments.md, docs/import.md)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="ÅÅÅÅ-MM")
        parser.add_argument("--municipality", help="kommunenummer; uten: alle kommuner med lister")

    def handle(self, month, municipality, **options):
        try:
            month = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error))
        if municipality:
            found = Municipality.objects.filter(kommunenummer=municipality.strip().zfill(4)).first()
            if found is None:
                raise CommandError(f"Ukjent kommunenummer: {municipality}")
            municipalities = [found]
        else:
            municipalities = list(ledger.municipalities_with_lists())
        with progress_bar(self, {"recompute": f"Beregner {format_month(month)}"}):
            outcomes = ledger.recompute_months(municipality_ids=[m.pk for m in municipalities], month=month)
        for target in municipalities:
            outcome = outcomes[target.pk]
            self.stdout.write(f"{target.kommunenummer} {format_month(month)}: linjer {outcome.lines}, "
                              f"sum {outcome.total:.2f}, mangler listetall {outcome.missing}")
            if outcome.utjamning == "mangler innbyggertall":  # the one the operator can fix (import_population)
                self.stdout.write(f"{target.kommunenummer} {format_month(month)}: {outcome.utjamning}")
