"""Reads for ALIS (docs/alis.md). Every queryset starts from `municipalities_for(user)`; the functions the
payments app and the daily job call take municipality ids (they run as the system)."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from alis import rules
from alis.models import AlisAgreement, SupervisionRequirement, SupervisionSession, SupervisorChange
from core.months import add_months, effective_end, first_of_month
from practices.models import Role
from practices.selectors import municipalities_for


def agreements_for(user, *, roles=None) -> QuerySet[AlisAgreement]:
    scope = municipalities_for(user) if roles is None else municipalities_for(user, roles=roles)
    return AlisAgreement.objects.filter(municipality__in=scope)


def agreement_for(user, pk) -> AlisAgreement:
    """One agreement the user may see; another municipality's is a 404."""
    return get_object_or_404(
        agreements_for(user).select_related("municipality", "practice", "doctor", "supervisor", "created_by",
                                            "submitted_by", "decided_by"), pk=pk)


def requirements() -> list[rules.Requirement]:
    """The requirement table as plain rules (one query)."""
    return [row.as_rule() for row in SupervisionRequirement.objects.all()]


def requirement_rows() -> QuerySet[SupervisionRequirement]:
    return SupervisionRequirement.objects.order_by("kind", "valid_from")


def _current_supervisor(today: date):
    latest = SupervisorChange.objects.filter(agreement=OuterRef("pk"), from_date__lte=today).order_by("-from_date")
    return {"current_supervisor_name": Coalesce(Subquery(latest.values("supervisor__name")[:1]),
                                                F("supervisor__name"), output_field=CharField())}


def compliance_for(agreements, *, today: date,
                   table: list[rules.Requirement] | None = None) -> dict[int, rules.Compliance]:
    """{agreement id: Compliance} for many agreements in two queries (sessions summed per day and kind)."""
    table = requirements() if table is None else table
    ids = [a.pk for a in agreements]
    sessions = defaultdict(list)
    for agreement_id, day, kind, hours in SupervisionSession.objects.filter(agreement_id__in=ids).order_by().values(
            "agreement_id", "date", "kind").annotate(total=Sum("hours")).values_list(
            "agreement_id", "date", "kind", "total"):
        sessions[agreement_id].append((day, kind, hours))
    return {
        a.pk: rules.compliance(start=a.start_date, end=a.effective_end, today=today, requirements=table,
                               sessions=sessions.get(a.pk, ()), approved=a.status == rules.GODKJENT)
        for a in agreements
    }


def agreement_table(user, *, municipality, today: date, status: str = "", behind: bool = False,
                    search: str = "") -> list[AlisAgreement]:
    """The municipality's agreements with the current supervisor and `.compliance` — four queries, whatever the
    number of agreements (the behind filter needs every agreement's compliance, so it is a list)."""
    queryset = agreements_for(user).filter(municipality=municipality).select_related(
        "municipality", "practice", "doctor").annotate(**_current_supervisor(today))
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(Q(avtalenummer__icontains=search) | Q(doctor__name__icontains=search)
                                   | Q(doctor__hpr_nummer=search) | Q(practice__name__icontains=search))
    agreements = list(queryset.order_by("-start_date", "avtalenummer"))
    results = compliance_for(agreements, today=today)
    for agreement in agreements:
        agreement.compliance = results[agreement.pk]
    if behind:
        agreements = [a for a in agreements if a.compliance.behind]
    return agreements


def supervisor_timeline(agreement) -> list[dict]:
    """[{from_date, supervisor, change}] — the original supervisor from the start, then every change."""
    timeline = [{"from_date": agreement.start_date, "supervisor": agreement.supervisor, "change": None}]
    for change in agreement.supervisor_changes.select_related("supervisor", "recorded_by").order_by("from_date"):
        timeline.append({"from_date": change.from_date, "supervisor": change.supervisor, "change": change})
    return timeline


def agreement_facts(agreement, *, changes=None) -> rules.AgreementFacts:
    """The plain values session validation needs (the supervisor timeline with names)."""
    if changes is None:
        changes = list(agreement.supervisor_changes.select_related("supervisor"))
    names = {agreement.supervisor_id: agreement.supervisor.name}
    names.update({c.supervisor_id: c.supervisor.name for c in changes})
    return rules.AgreementFacts(
        status=agreement.status, start=agreement.start_date, end=agreement.effective_end,
        original_supervisor_id=agreement.supervisor_id,
        changes=tuple((c.from_date, c.supervisor_id) for c in changes), names=tuple(names.items()))


def sessions_of(agreement) -> QuerySet[SupervisionSession]:
    return agreement.sessions.select_related("supervisor", "created_by").order_by("-date", "-pk")


def session_for(user, agreement_pk, pk) -> SupervisionSession:
    return get_object_or_404(SupervisionSession.objects.filter(agreement__in=agreements_for(user)).select_related(
        "agreement__municipality", "agreement__supervisor", "supervisor"), agreement_id=agreement_pk, pk=pk)


def hours_on(agreement_id: int, day: date, *, exclude_pk=None) -> Decimal:
    queryset = SupervisionSession.objects.filter(agreement_id=agreement_id, date=day)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.aggregate(total=Sum("hours"))["total"] or Decimal(0)


def awaiting_decision(user) -> QuerySet[AlisAgreement]:
    """Submitted agreements in the user's caseworker municipalities that someone else created and submitted
    (the dashboard's worklist)."""
    return agreements_for(user, roles=[Role.CASEWORKER]).filter(status=rules.INNSENDT).exclude(
        created_by=user).exclude(submitted_by=user).select_related("municipality", "doctor").order_by("submitted_at")


def agreements_ending(user, *, municipality, today: date, days: int = 90) -> QuerySet[AlisAgreement]:
    """Approved agreements of the municipality whose planned end is within `days` (the dashboard's expiries)."""
    return agreements_for(user).filter(municipality=municipality, status=rules.GODKJENT, end_date__gte=today,
                                       end_date__lte=today + timedelta(days=days)).select_related(
        "doctor").order_by("end_date")


def state_grant_totals(agreements) -> dict:
    """Income from the state grant (Nasjonal ALIS og veiledning) per year of the agreements shown: {year: kr}.

    Only agreements ever approved count (godkjent, fullført, avsluttet: the table reaches the last two only from
    godkjent), each prorated by the grant period's days in the year (rules.state_grant_by_year, docs/alis.md)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for a in agreements:
        if a.status not in rules.EVER_APPROVED:
            continue
        for year, income in rules.state_grant_by_year(per_year=a.state_grant_per_year,
                                                      period_from=a.state_grant_period_from,
                                                      period_to=a.state_grant_period_to).items():
            totals[year] += income
    return dict(sorted(totals.items()))


# --- for the payments app and the daily job (they run as the system) -------------------------------------


def agreements_paying(municipality_ids: list[int], month: date) -> list[dict]:
    """Agreements that cover any day of `month` with an annual payment, whatever their status now, if they were
    ever approved (docs/payments.md): [{id, municipality_id, doctor_id, annual_payment, start, end, avtalenummer}],
    `end` the effective end (termination date or planned end). One query."""
    first = first_of_month(month)
    rows = AlisAgreement.objects.filter(
        municipality_id__in=municipality_ids, status__in=rules.EVER_APPROVED, annual_payment__gt=0,
        start_date__lt=add_months(first, 1),
    ).annotate(end=Coalesce("terminated_on", "end_date")).filter(end__gte=first).order_by(
        "municipality_id", "avtalenummer").values(
        "id", "municipality_id", "doctor_id", "annual_payment", "start_date", "end_date", "terminated_on",
        "avtalenummer")
    return [{"id": r["id"], "municipality_id": r["municipality_id"], "doctor_id": r["doctor_id"],
             "annual_payment": r["annual_payment"], "start": r["start_date"],
             "end": effective_end(r["end_date"], r["terminated_on"]), "avtalenummer": r["avtalenummer"]}
            for r in rows]


def doctor_agreement_municipalities(doctor_ids) -> list[tuple[int, int]]:
    """(doctor_id, municipality_id) of every ALIS agreement where the doctor is the ALIS doctor or a supervisor,
    for practices.selectors.doctor_municipalities."""
    pairs = list(AlisAgreement.objects.filter(doctor_id__in=doctor_ids).order_by().values_list(
        "doctor_id", "municipality_id").distinct())
    pairs += AlisAgreement.objects.filter(supervisor_id__in=doctor_ids).order_by().values_list(
        "supervisor_id", "municipality_id").distinct()
    pairs += SupervisorChange.objects.filter(supervisor_id__in=doctor_ids).order_by().values_list(
        "supervisor_id", "agreement__municipality_id").distinct()
    return pairs
