"""Section `recompute` of `make bench` (docs/performance.md): the ledger over the national data set.

Parent side: `run(bench)`. The functions named `step_*` run in a fresh process each (bench.step).

(a) One national month (2023-12, the last of the data set: behovsindeks in force), every municipality with
    lists in one `ledger.recompute_months` call, into an empty ledger; then the same call again (idempotent:
    nothing changes). Target ≤ 2 s.
    Query count of one `recompute_months` call for 1 municipality (Oslo, the largest) and for all of them: for
    a first computation (a pasienttilpasset month, one line per list, and a knekkpunkt month, ~7,800 lines)
    and for a month that is unchanged. It must not grow (new lines are one COPY per month).
(b) All 24 months, a loop of 24 `recompute_months` calls (one per month, every municipality), into an empty
    ledger. Target ≤ 10 s (docs/performance.md).
(c) The month of (a) again from an empty month, the way production does it: `ledger.recompute_all` creates one
    PaymentRun per municipality and sends one task for all of them to a real Celery worker (`celery -A config
    worker -c 2`, prefork) on Redis, on a queue of its own. Timed from the first send until every run of the
    month is done; compared with (a). Skipped (reported, not failed) when Redis is not reachable.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import date

from common import (
    celery_env,
    ensure_national_data,
    forget_queue,
    national_months,
    profile_top,
    start_worker,
    stop,
)

SECTION = "recompute"
TARGET_MONTH_SECONDS = 2.0
TARGET_ALL_MONTHS_SECONDS = 10.0
BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
WORKER_CONCURRENCY = 2
WORKER_START_TIMEOUT = 60.0
CELERY_TIMEOUT = 300.0
LEDGER_TABLES = ("grants_paymentline", "grants_paymentrun", "grants_paymentmonth")


# --- steps (each in its own process) ----------------------------------------------------------------------


def _all_ids() -> list[int]:
    from grants.services import ledger

    return list(ledger.municipalities_with_lists().values_list("pk", flat=True))


def _oslo_id() -> int:
    from practices.models import Municipality

    return Municipality.objects.get(kommunenummer="0301").pk


def _timed(ids: list[int], month: date) -> tuple[float, dict]:
    from grants.services import ledger

    began = time.perf_counter()
    outcomes = ledger.recompute_months(municipality_ids=ids, month=month)
    return time.perf_counter() - began, outcomes


def _profile_fresh(ids: list[int], month: date) -> list[str]:
    """cProfile of a first computation of `month`: its lines and months deleted inside a transaction that is
    rolled back afterwards, so the ledger stays as it was."""
    from django.db import transaction

    from grants.models import PaymentLine, PaymentMonth
    from grants.services import ledger

    with transaction.atomic():
        PaymentLine.objects.filter(month=month).delete()
        PaymentMonth.objects.filter(month=month).delete()
        lines = profile_top(lambda: ledger.recompute_months(municipality_ids=ids, month=month))
        transaction.set_rollback(True)
    return lines


def step_one_month(month: str, profile_over: str) -> dict:
    """(a): the whole month into an empty ledger, then again (nothing changes)."""
    month, ids = date.fromisoformat(month), _all_ids()
    first, outcomes = _timed(ids, month)
    second, again = _timed(ids, month)
    result = {
        "seconds": first,
        "seconds_again": second,
        "municipalities": len(ids),
        "lines": sum(o.lines for o in outcomes.values()),
        "total": str(sum(o.total for o in outcomes.values())),
        "missing": sum(o.missing for o in outcomes.values()),
        "changed": sum(o.changed for o in outcomes.values()),
        "changed_again": sum(o.changed for o in again.values()),
        "lines_again": sum(o.lines for o in again.values()),
    }
    if max(first, second) > float(profile_over):
        result["profile"] = _profile_fresh(ids, month)
    return result


def step_query_counts(unchanged: str, *fresh: str) -> dict:
    """Queries of one recompute_months call for 1 municipality (Oslo) and for all: on a month already computed
    (`unchanged`), and for a first computation on months never computed, given as pairs `one,all` (one month
    for Oslo alone, another for all, so that each call starts from an empty month)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grants.services import ledger

    ids, oslo = _all_ids(), _oslo_id()

    def count(municipality_ids, month):
        with CaptureQueriesContext(connection) as captured:
            outcomes = ledger.recompute_months(municipality_ids=municipality_ids, month=date.fromisoformat(month))
        statements = [query["sql"] for query in captured.captured_queries]
        return {
            "queries": len(statements),
            "inserts": sum(sql.startswith('INSERT INTO "grants_paymentline"') for sql in statements),
            "lines": sum(o.lines for o in outcomes.values()),
            "sql": [sql[:90] for sql in statements],
        }

    result = {"seconds": 0.0, "municipalities": len(ids), "unchanged": {"one": count([oslo], unchanged)}}
    result["unchanged"]["all"] = count(ids, unchanged)
    result["fresh"] = []
    for pair in fresh:
        one_month, all_month = pair.split(",")
        result["fresh"].append(
            {
                "one_month": one_month,
                "all_month": all_month,
                "one": count([oslo], one_month),
                "all": count(ids, all_month),
            }
        )
    return result


def step_all_months(months: str, profile_over: str) -> dict:
    """(b): a loop of one recompute_months call per month, every municipality, into an empty ledger."""
    ids = _all_ids()
    per_month = {}
    began = time.perf_counter()
    lines = 0
    for value in months.split(","):
        seconds, outcomes = _timed(ids, date.fromisoformat(value))
        per_month[value[:7]] = round(seconds, 3)
        lines += sum(o.lines for o in outcomes.values())
    total = time.perf_counter() - began
    result = {"seconds": total, "per_month": per_month, "lines": lines, "municipalities": len(ids)}
    if total > float(profile_over):
        slowest = max(per_month, key=per_month.get)
        result["profile"] = _profile_fresh(ids, date.fromisoformat(f"{slowest}-01"))
    return result


def step_celery(month: str, queue: str, broker: str, mode: str) -> dict:
    """(c): the month through the real worker listening on `queue`, until every run is done: `ledger.recompute_all`
    (one run per municipality, one task for all of them, as an import sends its months)."""
    from config.celery import app
    from grants.models import PaymentRun
    from grants.services import ledger

    app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False, task_default_queue=queue)
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while True:  # the worker is up when it answers a ping sent through the same queue
        try:
            app.send_task("config.ping", args=["ready"], queue=queue).get(timeout=5)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
    month = date.fromisoformat(month)
    finished = (PaymentRun.Status.DONE, PaymentRun.Status.FAILED)
    began = time.perf_counter()
    runs = ledger.recompute_all(month=month, trigger="bench")
    sent = time.perf_counter() - began
    ids = [run.pk for run in runs]
    pending = PaymentRun.objects.filter(pk__in=ids).exclude(status__in=finished)
    polls = 0
    while pending.exists():
        polls += 1
        if time.perf_counter() - began > CELERY_TIMEOUT:
            raise RuntimeError(f"{pending.count()} of {len(ids)} runs not done after {CELERY_TIMEOUT:.0f} s")
        time.sleep(0.02)
    seconds = time.perf_counter() - began
    done = PaymentRun.objects.filter(pk__in=ids)
    durations = sorted(run.duration or 0.0 for run in done)
    return {
        "seconds": seconds,
        "send_seconds": sent,
        "runs": len(ids),
        "failed": done.filter(status=PaymentRun.Status.FAILED).count(),
        "lines": sum(run.lines for run in done),
        "task_seconds_sum": sum(durations),
        "task_seconds_median": durations[len(durations) // 2] if durations else 0.0,
        "task_seconds_max": durations[-1] if durations else 0.0,
        "polls": polls,
        "tasks": 1,
    }


# --- the worker (parent side) -----------------------------------------------------------------------------


def _redis_reachable(url: str) -> str:
    """'' when Redis answers at `url`, else the reason."""
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return ""
    except Exception as error:  # redis missing or unreachable: say so in the table
        return f"{error.__class__.__name__}: {error}"


def _run_with_worker(bench, month: date) -> dict[str, dict]:
    """Start a worker on a queue of its own, run (c) both ways (the month emptied before each), stop it."""
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = celery_env(bench.env, BROKER, queue)
    log_path = bench.workdir / "celery-worker.log"
    results = {}
    with open(log_path, "w") as log:
        worker = start_worker(env, queue, log, concurrency=WORKER_CONCURRENCY)
        try:
            for mode in ("each",):
                _clear_ledger(bench, month)
                results[mode] = bench.step("recompute_bench:step_celery", month.isoformat(), queue, BROKER, mode)
        except bench.Error as error:
            raise bench.Error(f"{error}\ncelery worker log:\n{log_path.read_text()[-3000:]}") from None
        finally:
            stop(worker, timeout=20)
            forget_queue(BROKER, queue)
    return results


# --- the section ------------------------------------------------------------------------------------------


def _clear_ledger(bench, month: date | None = None) -> None:
    if month is None:
        historical = [
            name
            for (name,) in bench.sql("SELECT tablename FROM pg_tables WHERE tablename LIKE 'grants_historicalpayment%'")
        ]
        # CASCADE: tables of other apps refer to the ledger (payout's payment files of a month)
        bench.sql(f"TRUNCATE {', '.join(LEDGER_TABLES + tuple(historical))} RESTART IDENTITY CASCADE")
    else:
        bench.sql(*(f"DELETE FROM {table} WHERE month = '{month.isoformat()}'" for table in LEDGER_TABLES))


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _count_figures(bench, counts: dict) -> list[dict]:
    """Query counts: equal for Oslo and for all municipalities (the new lines are one COPY, not counted)."""
    figures = []
    rows = [(f"first computation, {fresh['all_month'][:7]}", fresh) for fresh in counts["fresh"]]
    rows.append(("month unchanged", counts["unchanged"]))
    for label, row in rows:
        one, every = row["one"], row["all"]
        equal = one["queries"] == every["queries"]
        batches_only = one["queries"] - one["inserts"] == every["queries"] - every["inserts"]
        value = f"{one['queries']} / {every['queries']}"
        if not equal:
            value += f" (INSERT batches {one['inserts']} / {every['inserts']})"
        figures.append(
            bench.figure(
                "queries_" + ("unchanged" if "unchanged" in label else row["all_month"][:7]),
                f"queries of one recompute_months call, {label}: Oslo / all ({_n(every['lines'])} lines)",
                value,
                "constant",
                batches_only,
                one=one["queries"],
                all=every["queries"],
                inserts_one=one["inserts"],
                inserts_all=every["inserts"],
                lines_one=one["lines"],
                lines_all=every["lines"],
                sql_all=every["sql"],
                sub=True,
            )
        )
    return figures


def run(bench) -> dict:
    figure = bench.figure
    source = ensure_national_data(bench)
    months = national_months()
    month = months[-1]
    _clear_ledger(bench)

    one = bench.step("recompute_bench:step_one_month", month.isoformat(), str(TARGET_MONTH_SECONDS))
    if one["changed_again"] or one["lines_again"] != one["lines"]:
        raise bench.Error(f"the second recompute of {month:%Y-%m} changed the ledger: {one}")
    # first computations: a pasienttilpasset month (one line per list) and a knekkpunkt month (two for many)
    counts = bench.step(
        "recompute_bench:step_query_counts",
        month.isoformat(),
        f"{months[-2].isoformat()},{months[-3].isoformat()}",
        f"{months[14].isoformat()},{months[15].isoformat()}",
    )

    _clear_ledger(bench)
    every = bench.step(
        "recompute_bench:step_all_months", ",".join(m.isoformat() for m in months), str(TARGET_ALL_MONTHS_SECONDS)
    )
    slowest = max(every["per_month"].items(), key=lambda item: item[1])

    unreachable = _redis_reachable(BROKER)
    celery = {} if unreachable else _run_with_worker(bench, month)

    label = f"{month:%Y-%m}"
    figures = [
        figure(
            "one_month",
            f"recompute of one national month ({label}), {one['municipalities']} municipalities, empty ledger",
            f"{one['seconds']:.2f} s",
            f"≤ {TARGET_MONTH_SECONDS:.0f} s",
            one["seconds"] <= TARGET_MONTH_SECONDS,
            seconds=one["seconds"],
            municipalities=one["municipalities"],
            lines=one["lines"],
            total=one["total"],
            missing=one["missing"],
            peak_rss_mb=one["peak_rss_mb"],
        ),
        figure(
            "one_month_again",
            "the same again (idempotent: nothing changes)",
            f"{one['seconds_again']:.2f} s",
            f"≤ {TARGET_MONTH_SECONDS:.0f} s, 0 changed",
            one["seconds_again"] <= TARGET_MONTH_SECONDS and not one["changed_again"],
            seconds=one["seconds_again"],
            changed=one["changed_again"],
            sub=True,
        ),
        *_count_figures(bench, counts),
        figure(
            "all_months",
            f"recompute of {len(months)} months ({months[0]:%Y-%m}–{label}), one call per month, empty ledger",
            f"{every['seconds']:.1f} s",
            f"≤ {TARGET_ALL_MONTHS_SECONDS:.0f} s",
            every["seconds"] <= TARGET_ALL_MONTHS_SECONDS,
            seconds=every["seconds"],
            lines=every["lines"],
            per_month=every["per_month"],
            peak_rss_mb=every["peak_rss_mb"],
        ),
        figure(
            "all_months_slowest", f"slowest month ({slowest[0]})", f"{slowest[1]:.2f} s", seconds=slowest[1], sub=True
        ),
    ]
    if not celery:
        figures.append(
            figure(
                "celery",
                f"{label} through a Celery worker (fan-out per municipality)",
                "not run",
                ok=None,
                reason=f"Redis not reachable at {BROKER}: {unreachable}",
            )
        )
    else:
        each = celery["each"]
        overhead = each["seconds"] - one["seconds"]
        figures += [
            figure(
                "celery",
                f"{label} through a Celery worker (-c {WORKER_CONCURRENCY}): recompute_all, {each['tasks']} task, "
                "send → all runs done",
                f"{each['seconds']:.2f} s",
                f"{each['runs']} done, 0 failed",
                each["failed"] == 0 and each["lines"] == one["lines"],
                **each,
            ),
            figure(
                "celery_send",
                f"of which creating the {each['runs']} runs and sending the tasks",
                f"{each['send_seconds']:.2f} s",
                seconds=each["send_seconds"],
                sub=True,
            ),
            figure(
                "celery_overhead",
                "overhead vs one recompute_months call (a)",
                f"+{overhead:.2f} s ({each['seconds'] / one['seconds']:.1f}×)",
                seconds=overhead,
                ratio=each["seconds"] / one["seconds"],
                sub=True,
            ),
        ]
    notes = [
        f"data: {source}; 5 000 lists × 24 months; every figure starts from an empty ledger "
        "(payment lines, months and runs emptied) unless it says otherwise",
        "each step runs in a fresh process; times are of the calls only (no Python/Django start-up)",
        f"(a) {_n(one['lines'])} lines, {one['missing']} lists 'mangler listetall'; peak memory "
        f"{one['peak_rss_mb']:.0f} MB",
        "query counts: CaptureQueriesContext around one call (transaction statements included); a first "
        "computation uses a month never computed, one for Oslo alone and the next for all "
        f"{counts['municipalities']}; 'unchanged' is {label} after (a); new lines are written by one COPY per "
        "month (psycopg's copy on the connection's own cursor, which CaptureQueriesContext does not see)",
        f"(b) {_n(every['lines'])} lines in all (≈ 7 800 a month to 2023-04, knekkpunkt; ≈ 5 000 from 2023-05, "
        f"pasienttilpasset); peak memory {every['peak_rss_mb']:.0f} MB",
    ]
    if not celery:
        notes.append(f"(c) not run: Redis not reachable at {BROKER} ({unreachable})")
    else:
        notes.append(
            f"(c) worker: celery -A config worker -c {WORKER_CONCURRENCY} (prefork) on {BROKER}, a queue of its "
            f"own, started before and stopped after; {label}'s lines, months and runs deleted before each way; "
            "time from the first send until every run is done (polled every 20 ms); one task for all runs: "
            f"the runs' own times (started → finished) sum to {each['task_seconds_sum']:.1f} s, median "
            f"{each['task_seconds_median'] * 1000:.0f} ms, max {each['task_seconds_max'] * 1000:.0f} ms"
        )
    for key, result in (("(a)", one), ("(b)", every)):
        if result.get("profile"):
            notes.append(
                f"{key} missed its target; cProfile of one first computation (the slowest month), top "
                "entries by own time:"
            )
            notes.extend(f"    {line}" for line in result["profile"])
    return {"title": "Recompute of the ledger, national data (docs/performance.md)", "figures": figures, "notes": notes}
