"""Section `scenario` of `make bench` (issue 11, "Hva om"): a scenario over the national data set.

Parent side: `run(bench)`; the measuring runs in a fresh process per scope (`step_scenario`).

(a) A scenario over the whole country (a superuser's scope: every municipality with lists, 5,000 lists), over
    the first 12 months of the data set (2022-01..2022-12, all knekkpunkt months: two lines for most lists, the
    heaviest year), with the knekkpunkt moved to 1,200. Timed: `scenarios.services.execute_run` — what the
    Celery task runs: both computations of every month through `ledger.compute_months`, the summary, and the
    5,000 ScenarioResultRows written. Target ≤ 10 s.
(b) Queries of that run, and of the same scenario for one small municipality: equal (constant in the number
    of lists and municipalities; linear in months only).
(c) Nothing written to the ledger: payment lines, months and runs are counted before and after (the last
    month is computed first when no other section left a ledger).
"""

from __future__ import annotations

import time
from datetime import date

from common import ensure_national_data, national_months, profile_top

SECTION = "scenario"
TARGET_SECONDS = 10.0
MONTHS = 12
USERNAME = "bench.scenario"


# --- the step (in its own process) ------------------------------------------------------------------------


def _ledger_rows() -> list[int]:
    from grants.models import PaymentLine, PaymentMonth, PaymentRun

    return [PaymentLine.objects.count(), PaymentMonth.objects.count(), PaymentRun.objects.count()]


def _compute_ledger(month: date) -> None:
    """A real ledger month to check (c) against, when no other section left one (not timed)."""
    from grants.services import ledger

    ids = list(ledger.municipalities_with_lists().values_list("pk", flat=True))
    ledger.recompute_months(municipality_ids=ids, month=month)


def step_scenario(first: str, last: str, scope: str, profile_over: str) -> dict:
    """One scenario run over `scope` ("all", or a kommunenummer), months `first`..`last`."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from practices.models import Municipality
    from scenarios import services
    from scenarios.models import Scenario

    user, _ = get_user_model().objects.get_or_create(username=USERNAME, defaults={"is_superuser": True})
    municipalities = [] if scope == "all" else [Municipality.objects.get(kommunenummer=scope)]
    scenario = Scenario.objects.create(name=f"Bench: knekkpunkt 1 200 ({scope})", all_municipalities=scope == "all",
                                       period_from=date.fromisoformat(first), period_to=date.fromisoformat(last),
                                       knekkpunkt=1200, created_by=user)
    scenario.municipalities.set(municipalities)
    with transaction.atomic():
        run = services._new_run(scenario=scenario, user=user)
    if scope == "all" and not _ledger_rows()[0]:
        _compute_ledger(date.fromisoformat(last))
    before = _ledger_rows()
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        run = services.execute_run(run.pk)
    seconds = time.perf_counter() - began
    if run.status != "done":
        raise RuntimeError(f"the scenario run failed: {run.message}")
    result = {
        "seconds": seconds,
        "queries": len(captured.captured_queries),
        "lists": run.lists,
        "months": len(run.months()),
        "actual_total": str(run.actual_total),
        "scenario_total": str(run.scenario_total),
        "difference": str(run.difference),
        "gain": run.result["lists"]["gain"],
        "lose": run.result["lists"]["lose"],
        "timings": run.timings,
        "ledger_before": before,
        "ledger_after": _ledger_rows(),
    }
    if seconds > float(profile_over):
        with transaction.atomic():
            again = services._new_run(scenario=scenario, user=user)
        result["profile"] = profile_top(lambda: services.execute_run(again.pk))
    return result


# --- the section ------------------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _small_municipality(bench) -> str:
    """A municipality with a single list (the smallest scope), for the query comparison."""
    rows = bench.sql(
        "SELECT m.kommunenummer FROM practices_municipality m JOIN practices_patientlist l ON l.municipality_id = m.id "
        "GROUP BY m.kommunenummer HAVING count(*) = 1 ORDER BY m.kommunenummer LIMIT 1"
    )
    return rows[0][0] if rows else "0301"


def run(bench) -> dict:
    figure = bench.figure
    source = ensure_national_data(bench)
    months = national_months()[:MONTHS]
    first, last = months[0].isoformat(), months[-1].isoformat()
    national = bench.step("scenario_bench:step_scenario", first, last, "all", str(TARGET_SECONDS))
    small_knr = _small_municipality(bench)
    small = bench.step("scenario_bench:step_scenario", first, last, small_knr, str(TARGET_SECONDS))
    untouched = all(step["ledger_before"] == step["ledger_after"] for step in (national, small))
    label = f"{months[0]:%Y-%m}–{months[-1]:%Y-%m}"
    figures = [
        figure(
            "national",
            f"scenario over the whole country, {_n(national['lists'])} lists × {national['months']} months "
            f"({label}), knekkpunkt 1 200: execute_run",
            f"{national['seconds']:.2f} s",
            f"≤ {TARGET_SECONDS:.0f} s",
            national["seconds"] <= TARGET_SECONDS,
            **{k: v for k, v in national.items() if k != "profile"},
        ),
        figure(
            "national_phases",
            "of which computing / summary / writing the rows",
            f"{national['timings']['compute']:.2f} / {national['timings']['summary']:.2f} / "
            f"{national['timings']['write']:.2f} s",
            sub=True,
        ),
        figure(
            "queries",
            f"queries of the run: whole country / {small_knr} ({small['lists']} list)",
            f"{national['queries']} / {small['queries']}",
            "equal",
            national["queries"] == small["queries"],
            national=national["queries"],
            small=small["queries"],
        ),
        figure(
            "ledger_untouched",
            "payment lines, months and runs before / after",
            f"{national['ledger_before']} / {national['ledger_after']}",
            "unchanged",
            untouched,
        ),
    ]
    notes = [
        f"data: {source}",
        f"scenario: every municipality with lists (a superuser's scope), {label}, knekkpunkt 1 200 and every other "
        "field as the real rate in force (653/526 from 2022-01, 675/544 and the 2 500 cap from 2022-07)",
        f"result: actual {national['actual_total']} kr, scenario {national['scenario_total']} kr, difference "
        f"{national['difference']} kr; {national['gain']} lists gain, {national['lose']} lose",
        "each scope runs in a fresh process; the time is of execute_run only (what the Celery task does), "
        f"peak memory {national['peak_rss_mb']:.0f} MB",
    ]
    if national.get("profile"):
        notes.append("missed its target; cProfile of a second run, top entries by own time:")
        notes.extend(f"    {line}" for line in national["profile"])
    return {"title": '"Hva om": a scenario over national data (issue 11)', "figures": figures, "notes": notes}
