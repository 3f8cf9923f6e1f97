"""`make bench`: the performance figures of docs/performance.md, measured in one run on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fastlege .venv/bin/python bench/run.py [--sections import_bench]
        [--strict]

It never touches the database named in DATABASE_URL: it takes only the server and user from it, drops and
re-creates a scratch database (`fastlege_bench`), migrates it, and runs each section against that. Each
measured step runs in a fresh Python process (`run.py --step module:function args…`), so its peak memory
(maxrss) is its own. Every section prints a table (figure, value, target, result) and stores its figures in
bench/results.json, keyed by section and merged with what is there. See docs/performance.md.

A section is a module in this folder with `SECTION` (its key) and `run(bench) -> dict`, listed in SECTIONS
(import_bench, recompute_bench, pages_bench, scenario_bench; common.py holds their shared helpers). Steps that
must run in their own process are functions of such a module, called as `bench.step("module:function", *args)`;
they return a dict that includes `seconds`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.json"
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "fastlege_bench")  # another name: two benches side by side
SECTIONS = ["import_bench", "recompute_bench", "pages_bench", "scenario_bench"]
OPTIONAL = ["load_bench"]  # about six minutes: `run.py load` alone, or `--load` after the others
RESULT_PREFIX = "BENCH-RESULT "


class BenchError(Exception):
    """The benchmark cannot run or a step failed; the message says why."""


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Bench:
    """What a section gets: the scratch database, fresh-process steps, manage.py and plain SQL."""

    Error = BenchError  # sections raise bench.Error(...) to stop the run with a message

    def __init__(self, database_url: str, workdir: Path):
        parts = urlsplit(database_url)
        if parts.scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
            raise BenchError(
                "make bench needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/fastlege "
                f"(now: {parts.scheme or 'unset, so the SQLite default'})."
            )
        self.server = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "user": unquote(parts.username or "postgres"),
            "password": unquote(parts.password) if parts.password else None,
        }
        self.workdir = workdir
        userinfo = self.server["user"] + (f":{parts.password}" if parts.password else "")
        self.database_url = f"postgres://{userinfo}@{self.server['host']}:{self.server['port']}/{BENCH_DATABASE}"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
        self.env.update(
            {
                "DATABASE_URL": self.database_url,
                "DEBUG": "0",  # no query log in memory
                "MEDIA_ROOT": str(workdir / "media"),  # uploads kept by the import land here, not in media/
                "PYTHONPATH": str(ROOT),
                "DJANGO_SETTINGS_MODULE": "config.settings",
            }
        )  # no CELERY_BROKER_URL: tasks run eagerly in-process and never reach a real worker

    # --- database ---------------------------------------------------------------------------------------

    def connect(self, dbname: str = BENCH_DATABASE, autocommit: bool = False):
        import psycopg

        return psycopg.connect(
            dbname=dbname, autocommit=autocommit, **{k: v for k, v in self.server.items() if v is not None}
        )

    def sql(self, *statements: str) -> list:
        """Run statements in one transaction on the scratch database; the last one's rows."""
        rows: list = []
        with self.connect() as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                rows = cursor.fetchall() if cursor.description else []
        return rows

    def recreate_database(self) -> None:
        try:
            with self.connect("postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
        except Exception as error:  # psycopg.OperationalError and friends: say what to check
            raise BenchError(
                f"Cannot (re)create the scratch database {BENCH_DATABASE} on "
                f"{self.server['host']}:{self.server['port']} as {self.server['user']}: {error}"
            )

    # --- processes --------------------------------------------------------------------------------------

    def manage(self, *args: str) -> tuple[float, str]:
        """`manage.py args` against the scratch database: (wall seconds, stdout)."""
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - began
        if done.returncode:
            raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return seconds, done.stdout

    def step(self, target: str, *args: str) -> dict:
        """Run `module:function(*args)` in a fresh process; its dict plus `peak_rss_mb` and `baseline_rss_mb`."""
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--step", target, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        if done.returncode or not lines:
            raise BenchError(
                f"step {target} failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        return json.loads(lines[-1][len(RESULT_PREFIX) :])

    @staticmethod
    def figure(
        key: str, name: str, value: str, target: str = "", ok: bool | None = None, *, sub: bool = False, **data
    ) -> dict:
        """One line of a section's table: `key` is stable (results.json), `ok` None for a reference figure
        without a target, `sub` indents it under the figure before."""
        return {"key": key, "figure": name, "value": value, "target": target, "ok": ok, "sub": sub, **data}


def _run_step(target: str, args: list[str]) -> None:
    """Child side of Bench.step: set Django up, connect, then call the step and print its result."""
    sys.path[:0] = [str(ROOT), str(BENCH_DIR)]
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    baseline = _maxrss_mb()
    result = function(*args)
    result.update(peak_rss_mb=round(_maxrss_mb(), 1), baseline_rss_mb=round(baseline, 1))
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


# --- report ---------------------------------------------------------------------------------------------


def print_table(title: str, figures: list[dict], notes: list[str]) -> None:
    rows = [("figure", "value", "target", "result")] + [
        (
            ("  " if f.get("sub") else "") + f["figure"],
            f["value"],
            f["target"] or "—",
            {True: "pass", False: "FAIL", None: "—"}[f["ok"]],
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print(f"\n{title}")
    for index, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))
    for note in notes:
        print(f"  * {note}")


def save_results(section: str, result: dict) -> None:
    """Merge one section into bench/results.json (other sections' figures are kept)."""
    stored = {}
    if RESULTS.exists():
        try:
            stored = json.loads(RESULTS.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            stored = {}
    stored[section] = result
    RESULTS.write_text(json.dumps(stored, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated section modules [{','.join(SECTIONS)}]"
    )
    parser.add_argument("--load", action="store_true", help="also run the load section (Locust, ~6 min)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (generated files)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    options, rest = parser.parse_known_args(argv)
    if options.step:
        _run_step(options.step, rest)
        return 0
    if options.load:
        options.sections += ",load_bench"
    if rest and all(f"{name}_bench" in SECTIONS + OPTIONAL for name in rest):  # `run.py load`: only those sections
        options.sections, rest = ",".join(f"{name}_bench" for name in rest), []
    if rest:
        parser.error(f"unknown arguments: {' '.join(rest)}")

    workdir = Path(tempfile.mkdtemp(prefix="fastlege-bench-"))
    failed = False
    try:
        bench = Bench(os.environ.get("DATABASE_URL", ""), workdir)
        began = time.perf_counter()
        bench.recreate_database()
        seconds, _ = bench.manage("migrate", "--noinput", "-v", "0")
        print(
            f"scratch database {BENCH_DATABASE} on {bench.server['host']}:{bench.server['port']} "
            f"re-created and migrated in {seconds:.1f} s"
        )
        sys.path.insert(0, str(BENCH_DIR))
        for name in filter(None, options.sections.split(",")):
            module = importlib.import_module(name)
            result = module.run(bench)
            result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            print_table(result.get("title", module.SECTION), result["figures"], result.get("notes", []))
            save_results(module.SECTION, result)
            failed |= any(f["ok"] is False for f in result["figures"])
        print(f"\nbench finished in {time.perf_counter() - began:.0f} s; results in {RESULTS.relative_to(ROOT)}")
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    finally:
        if options.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed and options.strict else 0


if __name__ == "__main__":
    sys.exit(main())
