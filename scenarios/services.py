"""Writes of "Hva om": save, copy and delete scenarios; start, carry out and store runs (docs/scenarios.md).

A run reads the real counts and decisions through the ledger's own computation (scenarios.compute) and stores
its outcome on the ScenarioRun and its ScenarioResultRows — never a PaymentLine, PaymentMonth or PaymentRun.
Large scopes run in a Celery task with live progress in the cache; small ones (and every run without a
broker) in the request.
"""

import logging
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.months import format_month, month_label
from core.progress import set_progress
from core.tasks import send, tasks_run_eagerly
from grants.models import PaymentLine
from grants.services import ledger
from practices.models import ListCount, Municipality, PatientList
from practices.permissions import can_view, require
from scenarios import compute, permissions, rules, selectors
from scenarios.models import Scenario, ScenarioResultRow, ScenarioRun
from scenarios.tasks import compute_scenario_run

logger = logging.getLogger(__name__)
PROGRESS = "scenario-run"
# Above this many list-months a run goes to a worker (Oslo, ~900 lists, over two years is ~21 000).
ASYNC_LIST_MONTHS = 20_000
HANDLINGSPLAN_FROM = date(2020, 5, 1)  # the action plan's first measures
EDITABLE_FIELDS = ["name", "description", "all_municipalities", "period_from", "period_to", "model", "knekkpunkt",
                   "rate_under", "rate_over", "paid_up_to", "no_paid_up_to", "grunntilskudd_floor",
                   "grunntilskudd_months", "introduksjon_percent", "alis_percent", "utjamning_reference",
                   "utjamning_population_limit"]


# --- scenarios ----------------------------------------------------------------------------------------------


def scenario_errors(scenario: Scenario, municipalities) -> dict:
    """What keeps the scenario from being computed, as {field or None: Norwegian message}: no scope, a period
    too long, a schedule that is incomplete for some month, a floor or duration not computable yet."""
    errors = {}
    if not scenario.all_municipalities and not list(municipalities):
        errors["municipalities"] = _("Velg minst én kommune.")
    if scenario.period_from and scenario.period_to:
        months = scenario.months()
        if not months:
            errors["period_to"] = _("«Til måned» kan ikke være før «fra måned».")
        elif len(months) > rules.MAX_MONTHS:
            errors["period_to"] = _("Perioden kan være høyst %(n)s måneder.") % {"n": rules.MAX_MONTHS}
        else:
            try:
                schedule = scenario.schedule()
            except ValueError as error:
                errors[None] = str(error)
            else:
                problem = rules.schedule_error(schedule, ledger.rate_rows(), months)
                if problem:
                    errors[None] = problem
    return errors


def save_scenario(*, scenario: Scenario, municipalities, user) -> Scenario:
    """Create or change a scenario (its history records who and when), then compute it. Raises
    PermissionDenied (creator, role in every municipality of the scope) or ValidationError."""
    municipalities = list(municipalities)
    creating = scenario.pk is None
    if creating:
        scenario.created_by = user
    else:
        require(permissions.can_change(user, Scenario.objects.get(pk=scenario.pk)))
    require(permissions.can_create(user, municipalities, all_municipalities=scenario.all_municipalities))
    if scenario.all_municipalities:
        municipalities = []
    errors = scenario_errors(scenario, municipalities)
    if errors:
        raise ValidationError({key or "__all__": message for key, message in errors.items()})
    scenario.full_clean()
    with transaction.atomic():
        scenario._change_reason = "Opprettet" if creating else "Endret"
        scenario._history_user = user  # also outside a request (simple-history's middleware sets it there)
        scenario.save()
        scenario.municipalities.set(municipalities)
        run = _new_run(scenario=scenario, user=user)
    _dispatch(run)
    return scenario


def copy_scenario(*, scenario: Scenario, user) -> Scenario:
    """A copy the user owns ("Kopi av …"), computed at once; the original is untouched."""
    copy = Scenario(**{name: getattr(scenario, name) for name in EDITABLE_FIELDS})
    copy.name = (_("Kopi av %(name)s") % {"name": scenario.name})[:200]
    copy.copied_from = scenario
    return save_scenario(scenario=copy, municipalities=scenario.municipalities.all(), user=user)


def delete_scenario(*, scenario: Scenario, user) -> None:
    require(permissions.can_change(user, scenario))
    scenario._change_reason, scenario._history_user = "Slettet", user
    scenario.delete()


# --- runs ---------------------------------------------------------------------------------------------------


def start_run(*, scenario: Scenario, user) -> ScenarioRun:
    """Compute the scenario again (the real data may have changed since)."""
    require(permissions.can_run(user, scenario))
    with transaction.atomic():
        run = _new_run(scenario=scenario, user=user)
    return _dispatch(run)


def _new_run(*, scenario: Scenario, user) -> ScenarioRun:
    municipalities = list(scenario.municipalities.all())
    run = ScenarioRun.objects.create(
        kind=ScenarioRun.Kind.SCENARIO, scenario=scenario, all_municipalities=scenario.all_municipalities,
        scope_key=selectors.scope_key(municipalities, all_municipalities=scenario.all_municipalities),
        period_from=scenario.period_from, period_to=scenario.period_to, parameters=scenario.schedule().as_dict(),
        started_by=user)
    run.municipalities.set(municipalities)
    return run


def start_report(*, user, municipalities=(), all_municipalities: bool = False) -> ScenarioRun:
    """"Effekt av handlingsplanen" for these of the user's municipalities (all: a superuser's whole country),
    from 2020-05 to the latest month with counts: actual payments against the flat kr 499 of before."""
    municipalities = list(municipalities)
    if all_municipalities:
        require((user.is_superuser, _("Bare superbrukere kan se rapporten for hele landet.")))
    for municipality in municipalities:
        require(can_view(user, municipality))
    ids = _ids(all_municipalities, municipalities)
    last = ListCount.objects.filter(patient_list__municipality_id__in=ids).order_by("-month").values_list(
        "month", flat=True).first()
    if last is None or last < HANDLINGSPLAN_FROM:
        raise ValidationError(_("Det finnes ingen listetall fra mai 2020 eller senere for kommunene. Importer "
                                "listetall først."))
    with transaction.atomic():
        run = ScenarioRun.objects.create(
            kind=ScenarioRun.Kind.HANDLINGSPLAN, all_municipalities=all_municipalities,
            scope_key=selectors.scope_key(municipalities, all_municipalities=all_municipalities),
            period_from=HANDLINGSPLAN_FROM, period_to=last, parameters=rules.FLAT_499.as_dict(), started_by=user)
        run.municipalities.set(municipalities)
    return _dispatch(run)


def _ids(all_municipalities: bool, municipalities) -> list[int]:
    if all_municipalities:
        return list(ledger.municipalities_with_lists().values_list("pk", flat=True))
    return sorted(m.pk if isinstance(m, Municipality) else m for m in municipalities)


def _scope_ids(run: ScenarioRun) -> list[int]:
    return _ids(run.all_municipalities, run.municipalities.values_list("pk", flat=True))


def _dispatch(run: ScenarioRun) -> ScenarioRun:
    """Large scopes to a worker (when there is one), the rest now, in the request."""
    threshold = getattr(settings, "SCENARIO_ASYNC_LIST_MONTHS", ASYNC_LIST_MONTHS)
    list_months = PatientList.objects.filter(municipality_id__in=_scope_ids(run)).count() * len(run.months())
    if list_months > threshold and not tasks_run_eagerly():
        transaction.on_commit(lambda: _queue(compute_scenario_run, run))
        return run
    return execute_run(run.pk)


def _queue(task, run: ScenarioRun) -> None:
    if not send(task, run.pk):
        ScenarioRun.objects.filter(pk=run.pk, status=ScenarioRun.Status.QUEUED).update(
            status=ScenarioRun.Status.FAILED, message=ledger.QUEUE_DOWN, finished_at=timezone.now())


def execute_run(run_id: int) -> ScenarioRun:
    """Carry out a run (the task's body): compute, summarise, store. A finished run is left alone (a task may
    be delivered twice); a failure leaves the run failed with a message, never stuck running."""
    run = ScenarioRun.objects.get(pk=run_id)
    if run.is_finished:
        return run
    run.status, run.started_at = ScenarioRun.Status.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    set_progress(PROGRESS, run.pk, 2)
    began = time.perf_counter()
    try:
        ids = _scope_ids(run)
        months = run.months()
        outcome = compute.compute(
            municipality_ids=ids, months=months, schedule=run.schedule(),
            progress=lambda done, total: set_progress(PROGRESS, run.pk, 2 + 90 * done // total))
        computed = time.perf_counter()
        patients = _patients(ids, run.period_from, run.period_to)
        rows = [ScenarioResultRow(
            run=run, municipality_id=figures.municipality_id, patient_list_id=list_id, doctor_id=figures.doctor_id,
            kept_by_municipality=figures.kept, patients=patients.get(list_id), months=figures.months,
            actual=figures.actual, scenario=figures.scenario, difference=figures.scenario - figures.actual)
            for list_id, figures in sorted(outcome.lists.items())]
        result = summary(run, outcome, ids, rows)
        summarised = time.perf_counter()
        with transaction.atomic():
            ScenarioResultRow.objects.filter(run=run).delete()  # a re-delivered task starts over
            ScenarioResultRow.objects.bulk_create(rows, batch_size=5000)
            run.result = result
            run.lists = len(rows)
            run.actual_total = sum((m.actual for m in outcome.months), Decimal("0.00"))
            run.scenario_total = sum((m.scenario for m in outcome.months), Decimal("0.00"))
            run.status, run.progress, run.finished_at = ScenarioRun.Status.DONE, 100, timezone.now()
            run.timings = {"compute": round(computed - began, 3), "summary": round(summarised - computed, 3),
                           "write": round(time.perf_counter() - summarised, 3),
                           "total": round(time.perf_counter() - began, 3)}
            run.save()
            _prune(run)
    except Exception as error:
        logger.exception("scenario run %s failed", run_id)
        message = str(error) if isinstance(error, ValueError) else _(
            "Beregningen feilet (%(error)s). Prøv igjen; meld fra hvis det gjentar seg.") % {
            "error": error.__class__.__name__}
        ScenarioRun.objects.filter(pk=run.pk).update(status=ScenarioRun.Status.FAILED, message=message,
                                                     progress=100, finished_at=timezone.now())
        run.refresh_from_db()
    set_progress(PROGRESS, run.pk, 100)
    return run


def _prune(run: ScenarioRun) -> None:
    """Keep one result per scenario (per scope for the report): the older finished runs and their rows go."""
    older = ScenarioRun.objects.filter(kind=run.kind, created_at__lte=run.created_at, status__in=(
        ScenarioRun.Status.DONE, ScenarioRun.Status.FAILED)).exclude(pk=run.pk)
    if run.scenario_id:
        older = older.filter(scenario_id=run.scenario_id)
    else:
        older = older.filter(scenario=None, scope_key=run.scope_key)
    older.delete()


def _patients(ids: list[int], first: date, last: date) -> dict[int, int]:
    """Each list's patients in its latest month with a count in the period — one query."""
    latest = ListCount.objects.filter(patient_list=OuterRef("pk"), month__gte=first, month__lte=last).order_by(
        "-month").values("antall_pasienter")[:1]
    return {pk: n for pk, n in PatientList.objects.filter(municipality_id__in=ids).annotate(
        n=Subquery(latest)).values_list("pk", "n") if n is not None}


# --- the summary the result page draws ------------------------------------------------------------------------


def _kr(value: Decimal) -> str:
    return f"{value:.2f}"


KIND_ORDER = [kind for kind, _label in PaymentLine.Kind.choices]


def summary(run: ScenarioRun, outcome: compute.Outcome, ids: list[int], rows: list[ScenarioResultRow]) -> dict:
    """JSON for the result page and the report: per month and kind, per kind over the period, the lists that
    gain and lose (histogram), the rates used, the payment-against-list-size curve; amounts as strings."""
    booked = defaultdict(Decimal)
    for month, total in (PaymentLine.objects.filter(municipality_id__in=ids, month__gte=run.period_from,
                                                    month__lte=run.period_to)
                         .order_by().values_list("month").annotate(total=Sum("amount"))):
        booked[month] = total
    labels = dict(PaymentLine.Kind.choices)
    months, kinds = [], defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for figures in outcome.months:
        per_kind = []  # a list: jsonb does not keep the order of an object's keys
        for kind in sorted(figures.kinds, key=KIND_ORDER.index):
            f = figures.kinds[kind]
            per_kind.append({"kind": kind, "label": str(labels.get(kind, kind)), "actual": _kr(f.actual),
                             "scenario": _kr(f.scenario), "difference": _kr(f.scenario - f.actual),
                             "actual_lines": f.actual_lines, "scenario_lines": f.scenario_lines})
            kinds[kind][0] += f.actual
            kinds[kind][1] += f.scenario
        months.append({
            "month": format_month(figures.month), "label": month_label(figures.month),
            "actual": _kr(figures.actual), "scenario": _kr(figures.scenario),
            "difference": _kr(figures.scenario - figures.actual),
            "booked": _kr(booked[figures.month]) if figures.month in booked else None,
            "missing": figures.missing, "estimate": bool(figures.real_rate and figures.real_rate.is_estimate),
            "kinds": per_kind,
        })
    differences = [row.difference for row in rows]
    result = {
        "months": months,
        "kinds": [{"kind": kind, "label": str(labels.get(kind, kind)), "actual": _kr(a), "scenario": _kr(s),
                   "difference": _kr(s - a)} for kind, (a, s) in sorted(kinds.items(),
                                                                       key=lambda item: KIND_ORDER.index(item[0]))],
        "lists": {
            "count": len(rows), "gain": sum(d > 0 for d in differences), "lose": sum(d < 0 for d in differences),
            "same": sum(d == 0 for d in differences),
            "gain_sum": _kr(sum((d for d in differences if d > 0), Decimal("0.00"))),
            "lose_sum": _kr(sum((d for d in differences if d < 0), Decimal("0.00"))),
        },
        "histogram": rules.histogram(differences),
        "rates": _rate_periods(outcome),
        "curve": _curve(outcome),
        "missing": sum(m.missing for m in outcome.months),
        "estimate_months": [m["month"] for m in months if m["estimate"]],
    }
    if run.kind == ScenarioRun.Kind.HANDLINGSPLAN:
        result["agreements"] = selectors.active_agreements(ids, run.months())
    return result


def _rate_periods(outcome: compute.Outcome) -> list[dict]:
    """Consecutive months with the same real and scenario rates, as one row each."""
    periods = []
    for figures in outcome.months:
        actual, scenario = rules.describe_rate(figures.real_rate), rules.describe_rate(figures.scenario_rate)
        if periods and (periods[-1]["actual_rate"], periods[-1]["scenario_rate"]) == (actual, scenario):
            periods[-1]["to"] = format_month(figures.month)
        else:
            periods.append({"from": format_month(figures.month), "to": format_month(figures.month),
                            "actual_rate": actual, "scenario_rate": scenario,
                            "estimate": bool(figures.real_rate and figures.real_rate.is_estimate)})
    return periods


def _curve(outcome: compute.Outcome) -> dict:
    """Payment against list size in the period's last month, both schedules, with and without grunntilskudd."""
    last = outcome.months[-1] if outcome.months else None
    if last is None:
        return {}
    rates = {"scenario": last.scenario_rate}
    if last.real_rate is not None:
        rates = {"actual": last.real_rate, **rates}
    return {"month": format_month(last.month), "label": month_label(last.month),
            "basis": rules.size_curve(rates, last.month),
            "grunntilskudd": rules.size_curve(rates, last.month, grunntilskudd=True),
            "knekkpunkt": sorted({r.knekkpunkt for r in rates.values() if r.knekkpunkt})}
