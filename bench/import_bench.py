"""Section `import` of `make bench` (docs/performance.md): the 60,000-row list import against its peers.

Parent side: `run(bench)`. The functions named `step_*` run in a fresh process each (bench.step), so every
figure's peak memory is that step's own.

1. `generate_data --csv`: 5,000 lists × 12 months from 2023-01 (behovsindeks from 2023-05, ~0.5 % of
   list-months missing as in real extracts, so a little under 60,000 rows).
2. (a) the product import (`import_file`, as `import_lists` runs it) of the whole file into an empty database,
   three times (the list tables emptied before each), median; then the same file again three times (a
   re-import: every row uendret), median. On PostgreSQL this is the staged import (COPY into a temporary table,
   diff and merge in SQL); the row-by-row plan (`LIST_IMPORT_STAGED = False`, the SQLite path) once more as the
   reference it replaced.
3. (b) PostgreSQL `COPY` of the same file into a bare table with the same columns (no keys, no indexes),
   three times, median: the physical limit, measured in the same run.
4. `manage.py import_lists FILE` into an empty database, wall clock, eager (no broker: the recompute of the
   twelve touched months runs in the command, as with `make run`): what a user waits for.
5. (c) django-import-export with default settings (`practices.resources.ListCountResource`, row by row) on
   the first 6,000 rows, scaled ×10. The lists already exist (created by step 4); the ListCount table is
   emptied first, so it only creates counts: less work than the product import does, a generous peer.
6. The national data set for later sections: the list tables emptied, then
   `generate_data --lists 5000 --months 24` into the database.
"""

from __future__ import annotations

import time
from pathlib import Path

SECTION = "import"
LISTS, MONTHS, START, SEED = 5000, 12, "2023-01", "1"
NAIVE_ROWS = 6000
NATIONAL_LISTS, NATIONAL_MONTHS = 5000, 24
RUNS = 3  # the import and COPY: median of three (docs/performance.md)
TARGET_COPY_RATIO = 15.0  # docs/performance.md (issue 20)
TARGET_REIMPORT_SECONDS = 0.5
TARGET_MEMORY_MB = 250.0
TARGET_CLI_SECONDS = 10.0  # import_lists, eager, recompute included
TARGET_SPEEDUP = 15.0  # django-import-export's estimate ÷ import_lists
TARGET_GENERATE_SECONDS = 60.0
COPY_COLUMNS = (
    ("kommunenummer", "text"),
    ("organisasjonsnummer", "text"),
    ("legekontor", "text"),
    ("hpr_nummer", "text"),
    ("lege_navn", "text"),
    ("listenummer", "text"),
    ("listetak", "integer"),
    ("antall_pasienter", "integer"),
    ("maaned", "text"),
    ("behovsindeks", "numeric(8, 4)"),
    ("driftsform", "text"),
)
LEDGER_TABLES = ("grants_paymentline", "grants_paymentrun", "grants_paymentmonth")
LIST_TABLES = (
    "practices_listcount",
    "practices_listholder",
    "practices_patientlist",
    "practices_practice",
    "practices_doctor",
)


# --- steps (each in its own process) ----------------------------------------------------------------------


def step_product_import(path: str, mode: str = "staged") -> dict:
    """`import_file` of the whole file, as `manage.py import_lists FILE` runs it (system user, source cli); `mode`
    "plain" runs the row-by-row plan the staged import replaced on PostgreSQL (the SQLite path)."""
    from django.conf import settings

    from practices.services.list_import import import_file
    from practices.signals import list_counts_changed

    settings.LIST_IMPORT_STAGED = mode != "plain"
    # The recompute that follows a committed import is measured by its own section, not here.
    list_counts_changed.receivers = []
    list_counts_changed.sender_receivers_cache.clear()
    data = Path(path).read_bytes()
    began = time.perf_counter()
    job = import_file(user=None, data=data, filename=Path(path).name, dry_run=False, source="cli")
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "status": job.status,
        "data_rows": job.data_rows,
        "created": job.created,
        "changed": job.changed,
        "unchanged": job.unchanged,
        "errors": job.errors[:5],
        "message": job.message,
    }


def step_naive_import(path: str, rows: str) -> dict:
    """django-import-export, default settings, on the header and the first `rows` data rows of the file."""
    import tablib

    from practices.resources import ListCountResource

    with open(path, encoding="utf-8") as handle:
        text = "".join(line for _, line in zip(range(int(rows) + 1), handle, strict=False))
    began = time.perf_counter()
    dataset = tablib.Dataset().load(text, format="csv", delimiter=";")
    result = ListCountResource().import_data(dataset)
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "rows": len(dataset),
        "totals": dict(result.totals),
        "has_errors": result.has_errors() or result.has_validation_errors(),
    }


# --- the section ------------------------------------------------------------------------------------------


def _copy(bench, path: Path) -> tuple[float, int]:
    columns = ", ".join(name for name, _ in COPY_COLUMNS)
    with bench.connect() as connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(f"CREATE TABLE bench_copy ({', '.join(f'{n} {t}' for n, t in COPY_COLUMNS)})")
        connection.commit()
        data = path.read_bytes()
        began = time.perf_counter()
        with cursor.copy(
            f"COPY bench_copy ({columns}) FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'UTF8')"
        ) as copy:
            copy.write(data)
        connection.commit()
        seconds = time.perf_counter() - began
        cursor.execute("SELECT count(*) FROM bench_copy")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_copy")
        connection.commit()
    return seconds, copied


COUNT_COLUMNS = "patient_list_id, month, antall_pasienter, listetak, behovsindeks, import_job_id"


def _counts_floor(bench) -> list[float]:
    """The file's counts as the import left them, COPYed straight back into practices_listcount (its primary key,
    two more indexes and two foreign keys, checked at commit), RUNS times: what writing the counts alone costs,
    before any parsing, checking or diffing (docs/performance.md)."""
    runs = []
    with bench.connect() as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY (SELECT {COUNT_COLUMNS} FROM practices_listcount ORDER BY id) TO STDOUT") as copy:
            data = b"".join(bytes(chunk) for chunk in copy)
        for _ in range(RUNS):
            cursor.execute("TRUNCATE practices_listcount")
            connection.commit()
            began = time.perf_counter()
            with cursor.copy(f"COPY practices_listcount ({COUNT_COLUMNS}) FROM STDIN") as copy:
                copy.write(data)
            connection.commit()
            runs.append(time.perf_counter() - began)
    return runs


def _mb(value: float) -> str:
    return f"{value:,.0f} MB".replace(",", " ")


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _median(results: list, key=lambda result: result["seconds"]):
    return sorted(results, key=key)[len(results) // 2]


def _empty(bench) -> None:
    historical = [
        name for (name,) in bench.sql("SELECT tablename FROM pg_tables WHERE tablename LIKE 'practices_historical%'")
    ]
    bench.sql(f"TRUNCATE {', '.join(LIST_TABLES + LEDGER_TABLES + tuple(historical))} RESTART IDENTITY CASCADE")


def _spread(values: list[float]) -> str:
    return " / ".join(f"{value:.2f}" for value in sorted(values))


def run(bench) -> dict:
    figure = bench.figure
    path = bench.workdir / f"lister_{LISTS}x{MONTHS}.csv"
    seconds, _ = bench.manage(
        "generate_data",
        "--lists",
        str(LISTS),
        "--months",
        str(MONTHS),
        "--start",
        START,
        "--seed",
        SEED,
        "--csv",
        str(path),
    )
    rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
    size_mb = path.stat().st_size / 1024 / 1024
    print(
        f"import file: {_n(rows)} rows ({LISTS} lists × {MONTHS} months from {START}), {size_mb:.1f} MB, "
        f"generated in {seconds:.1f} s"
    )

    firsts = []
    for _ in range(RUNS):
        _empty(bench)
        firsts.append(bench.step("import_bench:step_product_import", str(path)))
        if firsts[-1]["status"] != "done" or firsts[-1]["created"] != rows:
            raise _failure(bench, "product import", firsts[-1])
    agains = [bench.step("import_bench:step_product_import", str(path)) for _ in range(RUNS)]
    for again in agains:
        if again["status"] != "done":
            raise _failure(bench, "re-import", again)
    first, again = _median(firsts), _median(agains)
    copies = [_copy(bench, path) for _ in range(RUNS)]
    copy_seconds, copied = _median(copies, key=lambda result: result[0])
    floors = _counts_floor(bench)
    floor = sorted(floors)[len(floors) // 2]

    _empty(bench)
    plain = bench.step("import_bench:step_product_import", str(path), "plain")
    if plain["status"] != "done" or plain["created"] != rows:
        raise _failure(bench, "row-by-row import", plain)

    _empty(bench)
    cli_seconds, cli_out = bench.manage("import_lists", str(path))
    cli_last = cli_out.strip().splitlines()[-1]
    lines, runs_done = bench.sql(
        "SELECT (SELECT count(*) FROM grants_paymentline), "
        "(SELECT count(*) FROM grants_paymentrun WHERE status = 'done')"
    )[0]
    if cli_last != f"opprettet {rows}, endret 0, uendret 0" or not lines:
        raise _failure(bench, "import_lists", {"last line": cli_last, "payment lines": lines})

    bench.sql("TRUNCATE practices_listcount")
    naive = bench.step("import_bench:step_naive_import", str(path), str(NAIVE_ROWS))
    stored = bench.sql("SELECT count(*) FROM practices_listcount")[0][0]
    if naive["has_errors"] or naive["totals"].get("new") != NAIVE_ROWS or stored != NAIVE_ROWS:
        raise _failure(bench, "django-import-export", {**naive, "stored": stored})
    naive_estimate = naive["seconds"] * rows / NAIVE_ROWS

    _empty(bench)
    generate_seconds, summary = bench.manage(
        "generate_data", "--lists", str(NATIONAL_LISTS), "--months", str(NATIONAL_MONTHS), "--seed", SEED
    )

    product = first["seconds"]
    speedup = naive_estimate / cli_seconds
    copy_ratio = product / copy_seconds
    peak = max(result["peak_rss_mb"] for result in firsts)
    figures = [
        figure(
            "product_import",
            f"product import, {_n(rows)} rows into an empty database (median of {RUNS})",
            f"{product:.2f} s",
            "—",
            None,
            seconds=product,
            runs=[result["seconds"] for result in firsts],
            rows=rows,
            created=first["created"],
        ),
        figure(
            "copy",
            f"PostgreSQL COPY into a bare table, {_n(copied)} rows (median of {RUNS})",
            f"{copy_seconds:.2f} s",
            seconds=copy_seconds,
            runs=[result[0] for result in copies],
            rows=copied,
            sub=True,
        ),
        figure(
            "ratio_to_copy",
            "product import ÷ COPY",
            f"{copy_ratio:.1f}×",
            f"≤ {TARGET_COPY_RATIO:.0f}×",
            copy_ratio <= TARGET_COPY_RATIO,
            ratio=copy_ratio,
            sub=True,
        ),
        figure(
            "counts_floor",
            f"the floor: the {_n(rows)} counts alone COPYed into practices_listcount with its keys (median of {RUNS})",
            f"{floor:.2f} s = {floor / copy_seconds:.1f}× COPY",
            seconds=floor,
            runs=floors,
            ratio=floor / copy_seconds,
            sub=True,
        ),
        figure(
            "product_import_memory",
            f"peak memory of the import (process maxrss, highest of {RUNS})",
            _mb(peak),
            f"≤ {TARGET_MEMORY_MB:.0f} MB",
            peak <= TARGET_MEMORY_MB,
            peak_rss_mb=peak,
            baseline_rss_mb=first["baseline_rss_mb"],
            sub=True,
        ),
        figure(
            "reimport",
            f"re-import of the same file, all uendret (median of {RUNS})",
            f"{again['seconds']:.2f} s",
            f"≤ {TARGET_REIMPORT_SECONDS} s, uendret = {_n(rows)}",
            again["seconds"] <= TARGET_REIMPORT_SECONDS
            and all(result["unchanged"] == rows and not result["created"] + result["changed"] for result in agains),
            seconds=again["seconds"],
            runs=[result["seconds"] for result in agains],
            unchanged=again["unchanged"],
            changed=again["changed"],
            created=again["created"],
            peak_rss_mb=again["peak_rss_mb"],
        ),
        figure(
            "plain_import",
            "the row-by-row plan it replaced (LIST_IMPORT_STAGED off, the SQLite path), same file, empty database",
            f"{plain['seconds']:.2f} s",
            seconds=plain["seconds"],
            peak_rss_mb=plain["peak_rss_mb"],
            sub=True,
        ),
        figure(
            "import_lists",
            "manage.py import_lists FILE, empty database, eager: the recompute of the 12 months included (wall)",
            f"{cli_seconds:.2f} s",
            f"≤ {TARGET_CLI_SECONDS:.0f} s",
            cli_seconds <= TARGET_CLI_SECONDS,
            seconds=cli_seconds,
            payment_lines=lines,
            payment_runs=runs_done,
        ),
        figure(
            "naive_import",
            f"django-import-export, default settings, {_n(NAIVE_ROWS)} rows",
            f"{naive['seconds']:.2f} s",
            seconds=naive["seconds"],
            rows=NAIVE_ROWS,
            peak_rss_mb=naive["peak_rss_mb"],
        ),
        figure(
            "naive_import_scaled",
            f"scaled ×{rows / NAIVE_ROWS:.0f} to {_n(rows)} rows (estimate)",
            f"{naive_estimate:.1f} s",
            seconds=naive_estimate,
            sub=True,
        ),
        figure(
            "speedup_over_naive",
            "import_lists (recompute included) faster than django-import-export",
            f"{speedup:.1f}×",
            f"≥ {TARGET_SPEEDUP:.0f}×",
            speedup >= TARGET_SPEEDUP,
            ratio=speedup,
            sub=True,
        ),
        figure(
            "generate_national",
            f"generate_data --lists {NATIONAL_LISTS} --months {NATIONAL_MONTHS} into the database",
            f"{generate_seconds:.1f} s",
            f"≤ {TARGET_GENERATE_SECONDS:.0f} s",
            generate_seconds <= TARGET_GENERATE_SECONDS,
            seconds=generate_seconds,
            summary=summary.strip(),
        ),
    ]
    notes = [
        f"file: {_n(rows)} rows, {size_mb:.1f} MB, `;`, UTF-8; {LISTS} lists × {MONTHS} months from {START}, "
        "~0.5 % of list-months missing",
        "each import runs in a fresh process; times exclude Python/Django start-up and reading the file; "
        "the recompute after commit is not included (the import_lists figure includes it)",
        f"runs, seconds: import {_spread([r['seconds'] for r in firsts])}; re-import "
        f"{_spread([r['seconds'] for r in agains])}; COPY {_spread([r[0] for r in copies])}",
        f"memory: peak RSS of the import process, of which {_mb(first['baseline_rss_mb'])} before the import "
        "(Django + the file)",
        f"import_lists: a fresh `manage.py` process (start-up included) as a user runs it, no broker, so the "
        f"recompute runs in it: {_n(runs_done)} payment runs done, {_n(lines)} payment lines",
        "django-import-export: ListCountResource with the library defaults (row by row, one pass, no dry run "
        "first as the admin does); the lists already existed (created by import_lists) and the counts "
        f"table was emptied, so it only creates counts; {_n(NAIVE_ROWS)} rows timed, ×{rows / NAIVE_ROWS:.2f} "
        "to the whole file",
        "COPY: the same file into a table with the same columns, no keys or indexes, one transaction",
        f"floor: the counts the import wrote, COPYed back into the emptied practices_listcount (primary key, "
        f"unique (list, month), (month, list) and import_job indexes; foreign keys to the list and the import job, "
        f"checked at commit) and committed; runs {_spread(floors)} s",
        f"generate_data: wall time of the command (including start-up); {summary.strip()}; the database now "
        "holds this national data set for the later sections",
    ]
    return {"title": f"Import of a {_n(rows)}-row file (docs/performance.md)", "figures": figures, "notes": notes}


def _failure(bench, what: str, result: dict) -> Exception:
    return bench.Error(f"{what} did not give the expected result: {result}")
