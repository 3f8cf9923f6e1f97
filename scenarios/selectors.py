"""Reads. Every scenario and run a view, export or task shows starts from the user's municipalities
(docs/architecture.md): an object whose scope reaches outside them is a 404."""

import hashlib

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Abs
from django.shortcuts import get_object_or_404

from alis.models import AlisAgreement
from alis.rules import EVER_APPROVED
from core.months import add_months, effective_end, format_month
from grants import rules as ledger_rules
from grants.models import EVER_GRANTED, IntroduksjonsAvtale
from practices.models import Municipality
from practices.selectors import municipalities_for
from scenarios.models import Scenario, ScenarioResultRow, ScenarioRun


def _visible(model, user) -> QuerySet:
    """Scenarios or runs whose scope is non-empty and lies wholly inside the user's municipalities."""
    if not user.is_authenticated or not user.is_active:
        return model.objects.none()
    if user.is_superuser:
        return model.objects.all()
    scope = model.municipalities.through.objects.filter(
        **{f"{model._meta.model_name}_id": OuterRef("pk")})  # scenario_id / scenariorun_id
    outside = scope.exclude(municipality_id__in=municipalities_for(user).values("pk"))
    return model.objects.filter(all_municipalities=False).filter(Exists(scope)).exclude(Exists(outside))


def scenarios_for(user) -> QuerySet[Scenario]:
    return _visible(Scenario, user)


def scenario_for(user, pk) -> Scenario:
    return get_object_or_404(scenarios_for(user).select_related("created_by", "copied_from"), pk=pk)


def runs_for(user) -> QuerySet[ScenarioRun]:
    return _visible(ScenarioRun, user)


def latest_runs(scenario: Scenario) -> tuple[ScenarioRun | None, ScenarioRun | None]:
    """(the newest run, the newest finished one): the page shows the second while the first is computing."""
    newest = scenario.runs.defer("result").order_by("-created_at", "-pk").first()
    done = scenario.runs.filter(status=ScenarioRun.Status.DONE).order_by("-created_at", "-pk").first()
    return newest, done


def largest_changes(run: ScenarioRun, limit: int = 20) -> QuerySet[ScenarioResultRow]:
    return (run.rows.exclude(difference=0).select_related("municipality", "patient_list", "doctor")
            .order_by(Abs("difference").desc(), "municipality__kommunenummer", "patient_list__listenummer")[:limit])


def export_rows(run: ScenarioRun) -> QuerySet[ScenarioResultRow]:
    return run.rows.select_related("municipality", "patient_list", "doctor").order_by(
        "municipality__kommunenummer", "patient_list__listenummer")


def scope_key(municipalities, *, all_municipalities: bool = False) -> str:
    """"all", or a digest of the sorted municipality ids: the same scope finds the same report run."""
    if all_municipalities:
        return "all"
    ids = ",".join(str(pk) for pk in sorted(m.pk if isinstance(m, Municipality) else m for m in municipalities))
    return hashlib.sha256(ids.encode()).hexdigest()[:40]


def report_run(user, key: str) -> ScenarioRun | None:
    return (runs_for(user).filter(kind=ScenarioRun.Kind.HANDLINGSPLAN, scope_key=key).defer("result")
            .order_by("-created_at", "-pk").first())


def report_done(user, key: str) -> ScenarioRun | None:
    return (runs_for(user).filter(kind=ScenarioRun.Kind.HANDLINGSPLAN, scope_key=key,
                                  status=ScenarioRun.Status.DONE).order_by("-created_at", "-pk").first())


def active_agreements(municipality_ids: list[int], months: list) -> dict:
    """Per month, how many introduksjonsavtaler (ever granted) and ALIS agreements (ever approved) cover at
    least one day of it, whatever their status now (docs/payments.md "covers") — one query per kind.

    {"months": [...], "introduksjon": [n, ...], "alis": [n, ...]}."""
    if not months:
        return {"months": [], "introduksjon": [], "alis": []}
    first, after = months[0], add_months(months[-1], 1)

    def per_month(rows):
        spans = [(start, effective_end(end, terminated)) for start, end, terminated in rows]
        return [sum(ledger_rules.days_covered(start=s, end=e, month=month) > 0 for s, e in spans)
                for month in months]

    introduksjon = per_month(IntroduksjonsAvtale.objects.filter(
        municipality_id__in=municipality_ids, status__in=EVER_GRANTED, start_date__lt=after, end_date__gte=first,
    ).values_list("start_date", "end_date", "terminated_on"))
    alis = per_month(AlisAgreement.objects.filter(
        municipality_id__in=municipality_ids, status__in=EVER_APPROVED, start_date__lt=after,
        end_date__gte=first).values_list("start_date", "end_date", "terminated_on"))
    return {"months": [format_month(m) for m in months], "introduksjon": introduksjon, "alis": alis}
