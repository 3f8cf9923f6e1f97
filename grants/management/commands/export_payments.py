from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.months import parse_month
from grants import exports
from grants.selectors import export_order, lines_for
from practices.models import Municipality


class Command(BaseCommand):
    help = "Eksporter utbetalingslinjene for en måned som CSV eller XLSX (docs/import.md)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="ÅÅÅÅ-MM")
        parser.add_argument("--municipality", help="kommunenummer; uten: alle kommuner")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"])
        parser.add_argument("--output", required=True, help="filen som skal skrives")

    def handle(self, month, municipality, format, output, **options):
        try:
            month = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error))
        municipalities = Municipality.objects.all()
        if municipality:
            municipalities = municipalities.filter(kommunenummer=municipality.strip().zfill(4))
            if not municipalities.exists():
                raise CommandError(f"Ukjent kommunenummer: {municipality}")
        target = Path(output)
        if not target.parent.exists():
            raise CommandError(f"Mappen {target.parent} finnes ikke.")
        lines = export_order(lines_for(municipalities=municipalities, month=month))
        if format == "csv":
            data = exports.to_csv(exports.LINE_COLUMNS, exports.line_rows(lines))
        else:
            data = exports.to_xlsx(exports.LINE_COLUMNS, exports.line_rows(lines, as_text=False))
        target.write_bytes(data)
        self.stdout.write(f"Skrev {lines.count()} linjer til {target}")
