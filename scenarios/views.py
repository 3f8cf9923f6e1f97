"""Thin views of "Hva om" (docs/architecture.md): scenario list, form, result page with charts and exports,
progress polling, and the built-in report "Effekt av handlingsplanen"."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.money import format_number_nb, format_rate
from core.months import add_months, format_month
from core.progress import progress_of
from grants import exports
from practices.models import ListCount
from practices.permissions import require
from scenarios import permissions, rules, selectors, services
from scenarios.forms import ScenarioForm
from scenarios.models import Scenario, ScenarioRun

AMOUNT_KEYS = {"actual", "scenario", "difference", "booked", "gain_sum", "lose_sum"}


def _decimals(value):
    """The stored summary with its amounts (strings) as Decimal, for the money filters."""
    if isinstance(value, dict):
        return {k: (Decimal(v) if k in AMOUNT_KEYS and isinstance(v, str) else _decimals(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


@login_required
def index(request):
    scenarios = (selectors.scenarios_for(request.user).select_related("created_by")
                 .prefetch_related("municipalities"))
    page = Paginator(scenarios, 25).get_page(request.GET.get("side"))
    latest = {}
    runs = ScenarioRun.objects.filter(scenario__in=[s.pk for s in page]).only(
        "pk", "scenario_id", "status", "actual_total", "scenario_total", "created_at")
    for run in runs.order_by("scenario", "-created_at", "-pk"):
        latest.setdefault(run.scenario_id, run)
    for scenario in page:
        scenario.latest_run = latest.get(scenario.pk)
    return render(request, "scenarios/index.html", {
        "page": page, "can_create": permissions.can_create_any(request.user)})


def _initial_period(request) -> dict:
    """The twelve months up to the latest month with counts in the current municipality."""
    last = None
    if request.municipality is not None:
        last = ListCount.objects.filter(patient_list__municipality=request.municipality).order_by(
            "-month").values_list("month", flat=True).first()
    if last is None:
        return {}
    return {"period_from": add_months(last, -11), "period_to": last}


@login_required
def create(request):
    require(permissions.can_create_any(request.user))
    initial = {"municipalities": [request.municipality] if request.municipality else [],
               **_initial_period(request)}
    return _edit(request, Scenario(), initial=initial)


@login_required
def edit(request, pk):
    scenario = selectors.scenario_for(request.user, pk)
    require(permissions.can_change(request.user, scenario))
    return _edit(request, scenario)


def _edit(request, scenario, initial=None):
    form = ScenarioForm(request.POST or None, instance=scenario, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        scenario = form.save(commit=False)
        try:
            services.save_scenario(scenario=scenario, municipalities=form.cleaned_data.get("municipalities") or [],
                                   user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Scenarioet er lagret og beregnet.") if scenario.runs.filter(
                status=ScenarioRun.Status.DONE).exists() else _("Scenarioet er lagret. Beregningen er startet."))
            return redirect("scenarios:detail", pk=scenario.pk)
    return render(request, "scenarios/form.html", {"form": form, "scenario": scenario if scenario.pk else None})


@login_required
@require_POST
def copy(request, pk):
    scenario = selectors.scenario_for(request.user, pk)
    try:
        new = services.copy_scenario(scenario=scenario, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("scenarios:detail", pk=scenario.pk)
    messages.success(request, _("Kopien er laget. Endre den som du vil."))
    return redirect("scenarios:edit", pk=new.pk)


@login_required
@require_POST
def delete(request, pk):
    scenario = selectors.scenario_for(request.user, pk)
    services.delete_scenario(scenario=scenario, user=request.user)
    messages.success(request, _("Scenarioet «%(name)s» er slettet.") % {"name": scenario.name})
    return redirect("scenarios:index")


@login_required
@require_POST
def run(request, pk):
    scenario = selectors.scenario_for(request.user, pk)
    services.start_run(scenario=scenario, user=request.user)
    return redirect("scenarios:detail", pk=scenario.pk)


def _progress(run: ScenarioRun) -> int:
    return progress_of(services.PROGRESS, run.pk, run.status, running=2)


@login_required
def run_progress(request, pk):
    """Polled by htmx; reloads the page when the run has finished."""
    run = get_object_or_404(selectors.runs_for(request.user), pk=pk)
    if run.is_finished:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "scenarios/_progress.html", {"run": run, "progress": _progress(run)})


def schedule_rows(scenario: Scenario) -> list[tuple[str, str]]:
    """The scenario's schedule as (label, value) lines; empty fields read "som gjeldende"."""
    same = _("som gjeldende sats")

    def kr(value):
        return same if value is None else f"kr {format_rate(value)}"

    return [
        (_("Modell"), scenario.get_model_display() if scenario.model else same),
        (_("Knekkpunkt"), same if scenario.knekkpunkt is None else format_number_nb(scenario.knekkpunkt)),
        (_("Sats under knekkpunkt / per pasient"), kr(scenario.rate_under)),
        (_("Sats over knekkpunkt"), kr(scenario.rate_over)),
        (_("Betalt opp til"), _("ingen grense") if scenario.no_paid_up_to else same if scenario.paid_up_to is None
         else format_number_nb(scenario.paid_up_to)),
        (_("Grunntilskudd"), _("som for %(floor)s pasienter i %(months)s måneder") % {
            "floor": format_number_nb(scenario.grunntilskudd_floor), "months": scenario.grunntilskudd_months}),
        (_("Introduksjonsavtaler"), _("%(p)s %% av avtalt tilskudd") % {
            "p": format_rate(scenario.introduksjon_percent)}),
        (_("ALIS"), _("%(p)s %% av avtalt utbetaling") % {"p": format_rate(scenario.alis_percent)}),
        (_("Utjamning: referanseliste"), _("som parametertabellen") if scenario.utjamning_reference is None
         else format_number_nb(scenario.utjamning_reference)),
        (_("Utjamning: innbyggergrense"), _("som parametertabellen") if scenario.utjamning_population_limit is None
         else _("færre enn %(n)s") % {"n": format_number_nb(scenario.utjamning_population_limit)}),
    ]


def _charts(result: dict) -> dict:
    months = result.get("months", [])
    curve = result.get("curve") or {}
    return {
        "months": {"labels": [m["month"] for m in months], "actual": [m["actual"] for m in months],
                   "scenario": [m["scenario"] for m in months]},
        "histogram": {"labels": [b["label"] for b in result.get("histogram", [])],
                      "values": [b["count"] for b in result.get("histogram", [])],
                      "sides": [b["side"] for b in result.get("histogram", [])]},
        "curve": curve,
    }


@login_required
def detail(request, pk):
    scenario = selectors.scenario_for(request.user, pk)
    newest, done = selectors.latest_runs(scenario)
    result = done.result if done else {}
    return render(request, "scenarios/detail.html", {
        "scenario": scenario, "municipalities": scenario.municipalities.order_by("kommunenummer"),
        "schedule": schedule_rows(scenario),
        "run": newest, "done": done, "progress": _progress(newest) if newest else 0,
        "result": _decimals(result), "charts": _charts(result),
        "top": selectors.largest_changes(done) if done else [],
        "stale": bool(done and (done.schedule(), done.period_from, done.period_to)
                      != (scenario.schedule(), scenario.period_from, scenario.period_to)),
        "can_run": permissions.can_run(request.user, scenario),
        "can_change": permissions.can_change(request.user, scenario),
        "can_copy": permissions.can_create(request.user, scenario.municipalities.all(),
                                           all_municipalities=scenario.all_municipalities),
        "history": _history(scenario),
    })


def _history(scenario: Scenario, limit: int = 20) -> list:
    """The scenario's changes, newest first. Saving the municipalities writes a second record of the same
    change (simple-history's m2m support); it is shown once."""
    records = list(scenario.history.select_related("history_user").order_by("-history_date")[:2 * limit])
    shown = []
    for record in records:
        previous = shown[-1] if shown else None
        if previous and (previous.history_change_reason, previous.history_user_id) == (
                record.history_change_reason, record.history_user_id) and (
                previous.history_date - record.history_date).total_seconds() < 5:
            shown[-1] = record  # keep the first of the pair: its type says "created" for a new scenario
            continue
        shown.append(record)
    return shown[:limit]


# --- exports --------------------------------------------------------------------------------------------------

MONTH_COLUMNS = ["maaned", "type", "faktisk", "scenario", "differanse", "linjer_faktisk", "linjer_scenario"]
LIST_COLUMNS = ["kommunenummer", "listenummer", "hpr_nummer", "lege", "mottaker", "pasienter", "maaneder",
                "faktisk", "scenario", "differanse"]


def _money(value, as_text: bool):
    """An amount of the stored summary (a string) or of a result row, as the ledger's exports write it."""
    return exports.money_cell(Decimal(value), as_text)


def month_rows(result: dict, *, as_text: bool) -> list[list]:
    rows = []
    for month in result.get("months", []):
        for f in month["kinds"]:
            rows.append([month["month"], f["kind"], _money(f["actual"], as_text), _money(f["scenario"], as_text),
                         _money(f["difference"], as_text), f["actual_lines"], f["scenario_lines"]])
    return rows


def list_rows(rows, *, as_text: bool) -> list[list]:
    return [[exports.safe_text(row.municipality.kommunenummer), exports.safe_text(row.patient_list.listenummer),
             exports.safe_text(row.doctor.hpr_nummer if row.doctor_id else ""),
             exports.safe_text(row.doctor.name if row.doctor_id else ""),
             "kommune" if row.kept_by_municipality else "lege", "" if row.patients is None else row.patients,
             row.months, _money(row.actual, as_text), _money(row.scenario, as_text),
             _money(row.difference, as_text)] for row in rows]


@login_required
def export(request, pk, table, fmt):
    """The run's comparison per month and kind (`maaneder`) or per list (`lister`), as CSV or XLSX."""
    run = get_object_or_404(selectors.runs_for(request.user), pk=pk, status=ScenarioRun.Status.DONE)
    if fmt not in ("csv", "xlsx") or table not in ("maaneder", "lister"):
        raise Http404
    as_text = fmt == "csv"
    if table == "maaneder":
        columns, rows = MONTH_COLUMNS, month_rows(run.result, as_text=as_text)
    else:
        columns, rows = LIST_COLUMNS, list_rows(selectors.export_rows(run), as_text=as_text)
    name = run.scenario.name if run.scenario_id else _("effekt av handlingsplanen")
    return exports.file_response(columns, rows, fmt, f"hva-om-{name}-{table}", title="Hva om")


# --- the built-in report ------------------------------------------------------------------------------------


def _report_scope(request):
    """(municipalities, all, chosen kommunenummer): the user's municipalities, or one of them (?kommune=)."""
    chosen = request.GET.get("kommune") or request.POST.get("kommune") or ""
    if chosen:
        municipality = next((m for m in request.municipalities if m.kommunenummer == chosen), None)
        if municipality is None:
            raise Http404
        return [municipality], False, chosen
    if request.user.is_superuser:
        return [], True, ""
    return list(request.municipalities), False, ""


REPORT_COLUMNS = ["maaned", "basistilskudd", "flat_499", "knekkpunkteffekt", "grunntilskudd",
                  "lister_med_grunntilskudd", "introduksjonsavtaler_aktive", "introduksjon_kr", "alis_aktive",
                  "alis_kr", "sum_beregnet", "bokfort"]


def _report_export(rows, fmt):
    as_text = fmt == "csv"
    data = [[r["month"], _money(r["basis"], as_text), _money(r["flat"], as_text), _money(r["effect"], as_text),
             _money(r["grunntilskudd"], as_text), r["grunntilskudd_lists"], r["introduksjon"],
             _money(r["introduksjon_kr"], as_text), r["alis"],
             _money(r["alis_kr"], as_text), _money(r["total"], as_text),
             "" if r["booked"] is None else _money(r["booked"], as_text)] for r in rows]
    return exports.file_response(REPORT_COLUMNS, data, fmt, "effekt-av-handlingsplanen", title="Hva om")


@login_required
def report(request):
    municipalities, all_municipalities, chosen = _report_scope(request)
    if not municipalities and not all_municipalities:
        raise Http404
    key = selectors.scope_key(municipalities, all_municipalities=all_municipalities)
    if request.method == "POST":
        try:
            services.start_report(user=request.user, municipalities=municipalities,
                                  all_municipalities=all_municipalities)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(reverse("scenarios:report") + (f"?kommune={chosen}" if chosen else ""))
    newest, done = selectors.report_run(request.user, key), selectors.report_done(request.user, key)
    rows = rules.action_plan_rows(done.result) if done else []
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx") and done:
        return _report_export(rows, fmt)
    totals = {name: sum((r[name] for r in rows), Decimal("0.00")) for name in ("basis", "flat", "effect",
                                                                               "grunntilskudd", "total")}
    return render(request, "scenarios/report.html", {
        "municipalities": municipalities, "all_municipalities": all_municipalities, "chosen": chosen,
        "run": newest, "done": done, "progress": _progress(newest) if newest else 0, "rows": rows,
        "totals": totals,
        "chart": {"labels": [r["month"] for r in rows], "effect": [str(r["effect"]) for r in rows],
                  "grunntilskudd": [str(r["grunntilskudd"]) for r in rows],
                  "introduksjon": [r["introduksjon"] for r in rows], "alis": [r["alis"] for r in rows]},
        "period_end": format_month(done.period_to) if done else "",
    })
