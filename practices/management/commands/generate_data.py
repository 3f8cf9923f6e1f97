"""`generate_data`: a realistic national data set for benchmarks and page checks (docs/performance.md)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.months import format_month, parse_month
from core.terminal import progress_bar
from practices.generate import DEFAULT_START, csv_bytes, generate, write_to_db
from practices.models import Municipality


class Command(BaseCommand):
    help = (
        "Lag et realistisk nasjonalt datasett: N lister fordelt på alle kommuner etter folketall, M måneder "
        "med listetall fra --start. Uten --csv skrives dataene til databasen med bulk-operasjoner (legekontor, "
        "leger og lister opprettes eller oppdateres; innehavere og listetall for de genererte listene "
        "erstattes). Med --csv skrives i stedet en importfil (docs/import.md, med behovsindeks og driftsform), "
        "og databasen røres ikke: filen er ment for import_lists eller benchmarken. Samme --seed gir samme "
        "data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lists", type=int, required=True, help="antall lister (for eksempel 5000)")
        parser.add_argument("--months", type=int, required=True, help="antall måneder (for eksempel 24)")
        parser.add_argument("--seed", type=int, default=1, help="startverdi for tilfeldige tall [1]")
        parser.add_argument(
            "--start",
            default=format_month(DEFAULT_START),
            help=f"første måned, ÅÅÅÅ-MM [{format_month(DEFAULT_START)}]",
        )
        parser.add_argument("--csv", metavar="FILE", help="skriv importfilen hit i stedet for til databasen")

    def handle(self, *, lists, months, seed, start, csv, **options):
        if lists < 1 or months < 1:
            raise CommandError("--lists og --months må være minst 1.")
        if months > 600:
            raise CommandError("--months kan være høyst 600 (50 år).")
        try:
            first = parse_month(start)
        except ValueError as error:
            raise CommandError(f"--start: {error}") from None
        municipalities = list(Municipality.objects.values_list("kommunenummer", "name"))
        if not municipalities:
            raise CommandError("Databasen har ingen kommuner. Kjør manage.py migrate først.")
        began = time.perf_counter()
        data = generate(municipalities, lists=lists, months=months, start=first, seed=seed)
        if csv:
            path = Path(csv)
            try:
                path.write_bytes(csv_bytes(data.rows))
            except OSError as error:
                raise CommandError(f"Kan ikke skrive {csv}: {error.strerror}") from None
            target = f"fil {path}"
        else:
            with progress_bar(self, {"generate": "Skriver til databasen"}):
                write_to_db(data)
            target = "databasen"
        self.stdout.write(
            f"lister {data.lists}, listemåneder {len(data.rows)}, kommuner {data.municipalities}, "
            f"legekontor {len(data.practices)}, leger {len(data.doctors)}, {time.perf_counter() - began:.2f} s "
            f"({target})"
        )
