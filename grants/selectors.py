"""Reads for the ledger; every queryset starts from the user's municipalities (docs/architecture.md)."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from alis.selectors import agreement_table, agreements_ending, awaiting_decision
from core.months import add_months, effective_end, first_of_month, month_label
from grants import rules
from grants.models import (
    CONTROL_CALCULATION,
    EVER_GRANTED,
    CaseStatus,
    GrunntilskuddApplication,
    IntroduksjonsAvtale,
    PaymentLine,
    PaymentMonth,
    PaymentRun,
    RateSchedule,
)
from grants.rules import GRUNNTILSKUDD_MONTHS, grunntilskudd_end
from practices.models import ImportJob, ListCount, ListHolder, Municipality, Notice, Role
from practices.selectors import list_table, municipalities_for


def municipality_for(user, kommunenummer: str) -> Municipality:
    """One of the user's municipalities by number; 404 for any other."""
    return get_object_or_404(municipalities_for(user), kommunenummer=kommunenummer)


def payment_month_for(municipality: Municipality, month: date) -> PaymentMonth:
    """The stored month, or an unsaved open one (a month that was never computed)."""
    return (PaymentMonth.objects.select_related("attested_by", "authorised_by")
            .filter(municipality=municipality, month=month).first()
            or PaymentMonth(municipality=municipality, month=month))


def lines_for(*, municipalities, month: date | None = None) -> QuerySet[PaymentLine]:
    lines = PaymentLine.objects.filter(municipality__in=municipalities)
    if month is not None:
        lines = lines.filter(month=month)
    return lines.select_related("municipality", "patient_list", "doctor")


def export_order(lines: QuerySet[PaymentLine]) -> QuerySet[PaymentLine]:
    """kommunenummer, listenummer, hpr_nummer, type (docs/import.md); lines without a list first."""
    return lines.order_by("municipality__kommunenummer", "patient_list__listenummer", "doctor__hpr_nummer", "kind",
                          "pk")


def totals_by_kind(lines: QuerySet[PaymentLine]) -> list[dict]:
    """Sum and count per kind and payee, in the order of the kinds (basis, under, over, grunntilskudd, …)."""
    labels = dict(PaymentLine.Kind.choices)
    order = {kind: index for index, kind in enumerate(labels)}
    control = ExpressionWrapper(CONTROL_CALCULATION, output_field=BooleanField())
    rows = lines.order_by().annotate(control=control).values("kind", "kept_by_municipality", "control").annotate(
        total=Sum("amount"), count=Count("pk"))
    rows = sorted(rows, key=lambda row: (order.get(row["kind"], len(order)), row["kept_by_municipality"],
                                         row["control"]))
    return [{**row, "label": labels.get(row["kind"], row["kind"])} for row in rows]


def month_sums(totals: list[dict]) -> dict:
    """Paid out, kept by the municipality, control calculations (utjamning while a parameter is an estimate: shown,
    not paid) and in all, from totals_by_kind (the month page)."""
    paid_out = sum((t["total"] for t in totals if not t["kept_by_municipality"] and not t["control"]), Decimal("0"))
    kept = sum((t["total"] for t in totals if t["kept_by_municipality"]), Decimal("0"))
    control = sum((t["total"] for t in totals if t["control"]), Decimal("0"))
    return {"paid_out": paid_out, "kept": kept, "control": control, "total": paid_out + kept}


def utjamning_summary(payment_month) -> dict | None:
    """What the month page and the dashboard say about utjamning for a small municipality (docs/payments.md): the
    stored figures of the last computation with the words; None when there is nothing to say (a large
    municipality, or a month not computed)."""
    data = payment_month.utjamning if payment_month is not None else None
    if not data or data.get("status") == rules.UTJAMNING_TOO_BIG:
        return None
    return {**data, "message": payment_month.utjamning_message, "month": payment_month.month,
            "qualifies": data.get("status") == rules.UTJAMNING_PAID,
            "snitt": Decimal(data["snitt"]) if data.get("snitt") else None}


def _month_sum(*, paid=False, **filters_):
    lines = PaymentLine.objects.filter(municipality=OuterRef("municipality"), month=OuterRef("month"), **filters_)
    if paid:  # control calculations are shown, never paid (docs/payments.md)
        lines = lines.exclude(CONTROL_CALCULATION)
    total = Subquery(lines.order_by().values("municipality").annotate(s=Sum("amount")).values("s")[:1])
    return Coalesce(total, 0, output_field=DecimalField(max_digits=14, decimal_places=2))


def payment_months(user):
    """The user's PaymentMonth rows with their totals: paid out, kept by the municipality, all (one query)."""
    count = PaymentLine.objects.filter(municipality=OuterRef("municipality"), month=OuterRef("month")).order_by(
    ).values("municipality").annotate(n=Count("pk")).values("n")[:1]
    return PaymentMonth.objects.filter(municipality__in=municipalities_for(user)).select_related(
        "municipality", "attested_by", "authorised_by").annotate(
        line_count=Coalesce(Subquery(count), 0), total=_month_sum(),
        paid_out=_month_sum(paid=True, kept_by_municipality=False),
        kept=_month_sum(kept_by_municipality=True)).order_by("municipality__kommunenummer", "-month")


def month_overview(municipality: Municipality) -> list[dict]:
    """Every month with lines or a PaymentMonth row: totals, paid out vs kept, status — two queries."""
    sums = {row["month"]: row for row in PaymentLine.objects.filter(municipality=municipality).order_by()
            .values("month").annotate(total=Sum("amount"), lines=Count("pk"),
                                      lists=Count("patient_list", distinct=True))}
    months = {m.month: m for m in PaymentMonth.objects.filter(municipality=municipality)}
    rows = []
    for month in sorted(set(sums) | set(months), reverse=True):
        rows.append({"month": month, "payment_month": months.get(month), **sums.get(month, {})})
    return rows


def payee_totals(lines: QuerySet[PaymentLine]) -> list[dict]:
    """One sum per payee and month for the finance system: doctors, and the municipality for kept lines."""
    return list(lines.order_by().values(
        "municipality__kommunenummer", "month", "kept_by_municipality", "doctor__hpr_nummer", "doctor__name",
    ).annotate(total=Sum("amount")).order_by("municipality__kommunenummer", "month", "kept_by_municipality",
                                             "doctor__hpr_nummer"))


def runs_for(user) -> QuerySet[PaymentRun]:
    return PaymentRun.objects.filter(municipality__in=municipalities_for(user))


def rates() -> QuerySet[RateSchedule]:
    return RateSchedule.objects.order_by("valid_from")


def cases_for(user, model) -> QuerySet:
    """Grant cases of the user's municipalities (404 for any other, docs/architecture.md)."""
    return model.objects.filter(municipality__in=municipalities_for(user))


def cases_awaiting(user, model) -> QuerySet:
    """Submitted or appealed cases in municipalities where the user is caseworker, that the user neither
    created nor submitted (four-eyes): the worklist."""

    return model.objects.filter(
        municipality__in=municipalities_for(user, roles=[Role.CASEWORKER]),
        status__in=[CaseStatus.INNSENDT, CaseStatus.PAAKLAGET],
    ).exclude(created_by=user).exclude(submitted_by=user)


def holdings_on(list_ids, month: date) -> dict:
    """{list_id: rules.Holding} in force in `month` (one query)."""

    holdings = {}
    for list_id, doctor_id, driftsform, avtale_fra, from_month in ListHolder.objects.filter(
            patient_list_id__in=list_ids, from_month__lte=month).order_by("patient_list_id", "from_month").values_list(
            "patient_list_id", "doctor_id", "driftsform", "avtale_fra", "from_month"):
        holdings[list_id] = rules.Holding(doctor_id, driftsform, avtale_fra, from_month)
    return holdings


def _why_unpaid(gap, count: tuple[int, int] | None) -> str:
    """Why a covered month has no grunntilskudd line: the agreement first, then the month's (n, listetak)."""

    if gap:
        return str(gap)
    if count is None:
        return _("mangler listetall")
    return (rules.grunntilskudd_reason_none(n=count[0], listetak=count[1])
            or _("måneden er ikke beregnet på nytt etter vedtaket"))


def grunntilskudd_months(case, *, until: date) -> list[dict]:
    """Each month a granted grunntilskudd covers, up to `until`: what the ledger paid for it, or why nothing
    (the ledger's rules: the agreement, then the count) — for the case page (four queries)."""

    months = covered_months(case, until=until) if case.status in EVER_GRANTED else []
    if not months:
        return []
    paid = dict(PaymentLine.objects.filter(case_ref=f"grunntilskudd:{case.pk}", kind=rules.KIND_GRUNNTILSKUDD)
                .order_by().values_list("month").annotate(total=Sum("amount")))
    counts = {month: (n, listetak) for month, n, listetak in ListCount.objects.filter(
        patient_list_id=case.patient_list_id, month__in=months).values_list("month", "antall_pasienter", "listetak")}
    holders = [rules.Holding(*row) for row in ListHolder.objects.filter(
        patient_list_id=case.patient_list_id, from_month__lte=months[-1]).order_by("from_month").values_list(
        "doctor_id", "driftsform", "avtale_fra", "from_month")]
    rows = []
    for month in months:
        if month in paid:
            rows.append({"month": month, "amount": paid[month], "reason": ""})
            continue
        holding = next((h for h in reversed(holders) if h.from_month <= month), None)
        gap = rules.grunntilskudd_agreement_gap(doctor_id=case.doctor_id, avtale_fra=case.avtale_fra,
                                                holding=holding)
        rows.append({"month": month, "amount": None, "reason": _why_unpaid(gap, counts.get(month))})
    return rows


def grunntilskudd_not_paying(municipality: Municipality, month: date) -> list[dict]:
    """Covered lists that get no grunntilskudd this month, with the reason ("listen har 512 pasienter",
    "listen har ny innehaver fra oktober 2026")."""

    covering = grunntilskudd_covering([municipality.pk], month)
    if not covering:
        return []
    paying = set(PaymentLine.objects.filter(municipality=municipality, month=month, kind=rules.KIND_GRUNNTILSKUDD)
                 .values_list("patient_list_id", flat=True))
    waiting = set(covering) - paying
    counts = {c.patient_list_id: c for c in ListCount.objects.filter(
        patient_list_id__in=waiting, month=month).select_related("patient_list")}
    holdings = holdings_on(waiting, month)
    rows = []
    for list_id in sorted(waiting):
        count = counts.get(list_id)
        case, gap = rules.paying_case(covering[list_id], holdings.get(list_id))
        reason = _why_unpaid(gap, (count.antall_pasienter, count.listetak) if count else None)
        rows.append({"list_id": list_id, "case_ref": (case or covering[list_id][0]).ref,
                     "listenummer": count.patient_list.listenummer if count else "", "reason": reason})
    return rows


def worklist(user, municipality) -> dict:
    """The dashboard's worklist for one municipality: cases awaiting my decision, months awaiting the second
    signature, my failed imports, my notices, and grants ending in the next 90 days."""



    today = timezone.localdate()
    horizon = today + timedelta(days=90)
    awaiting = [*cases_awaiting(user, GrunntilskuddApplication).filter(municipality=municipality)
                .select_related("doctor", "patient_list"),
                *cases_awaiting(user, IntroduksjonsAvtale).filter(municipality=municipality).select_related("doctor")]
    granted = GrunntilskuddApplication.objects.filter(municipality=municipality, status=CaseStatus.INNVILGET)
    earliest = (today.replace(day=1) - timedelta(days=31 * (GRUNNTILSKUDD_MONTHS + 1))).replace(day=1)
    ending = []
    for case in granted.filter(avtale_fra__gte=earliest).select_related("doctor", "patient_list"):
        end = grunntilskudd_end(case.avtale_fra)
        if today <= end <= horizon:
            ending.append({"case": case, "kind": "grunntilskudd", "end": end})
    for case in IntroduksjonsAvtale.objects.filter(municipality=municipality, status=CaseStatus.INNVILGET,
                                                   end_date__gte=today, end_date__lte=horizon).select_related("doctor"):
        ending.append({"case": case, "kind": "introduksjon", "end": case.end_date})
    return {
        "awaiting": awaiting,
        "to_authorise": PaymentMonth.objects.filter(municipality=municipality, status=PaymentMonth.Status.ATTESTED)
        .exclude(attested_by=user).order_by("month"),
        "alis_awaiting": list(awaiting_decision(user).filter(municipality=municipality).select_related("doctor")),
        "alis_behind": agreement_table(user, municipality=municipality, today=today, behind=True),
        "alis_ending": list(agreements_ending(user, municipality=municipality, today=today)),
        "failed_imports": ImportJob.objects.filter(user=user, status=ImportJob.Status.FAILED).defer(
            "errors", "warnings", "changed_sample").order_by("-created_at")[:5],
        "notices": Notice.objects.filter(user=user, municipality=municipality, read_at__isnull=True)[:20],
        "ending": sorted(ending, key=lambda row: row["end"]),
    }


CHART_MONTHS = 24


def dashboard_figures(user, municipality) -> dict:
    """Charts and key figures of the dashboard (docs/architecture.md) in four queries, whatever the number of lists.

    The key figures rest on each list's latest count and say the month of the latest (`as_of`); lists whose
    latest count is older are counted (`older_counts`) so the page can say so. Both monthly charts cover the
    same 24 months, ending with the latest month that has counts or payments."""

    patients = dict(ListCount.objects.filter(patient_list__municipality=municipality).order_by()
                    .values_list("month").annotate(total=Sum("antall_pasienter")))
    payments = defaultdict(dict)
    for row in (PaymentLine.objects.filter(municipality=municipality).order_by().values("month", "kind")
                .annotate(total=Sum("amount"))):
        payments[row["kind"]][row["month"]] = row["total"]
    with_data = set(patients) | {m for per_kind in payments.values() for m in per_kind}
    months = []
    if with_data:
        last = max(with_data)
        months = [add_months(last, offset) for offset in range(1 - CHART_MONTHS, 1)]
        months = [m for m in months if m >= min(with_data)]
    lists = list(list_table(user, municipality=municipality).values("latest_count", "latest_month", "listetak",
                                                                     "holder_driftsform"))
    counted = [row for row in lists if row["latest_count"] is not None]
    as_of = max((row["latest_month"] for row in counted), default=None)
    bins = defaultdict(int)
    for row in counted:
        bins[min(row["latest_count"] // 100 * 100, 2500)] += 1
    labels = dict(PaymentLine.Kind.choices)
    latest = (PaymentMonth.objects.filter(municipality=municipality, computed_at__isnull=False).exclude(utjamning={})
              .order_by("-month").first())
    return {
        "utjamning": utjamning_summary(latest),
        "as_of": as_of, "older_counts": sum(row["latest_month"] < as_of for row in counted),
        "chart_period": (months[0], months[-1]) if months else None,
        # places a citizen can choose: a list over its listetak has none, and does not cancel another's
        "free_capacity": sum(max(0, r["listetak"] - r["latest_count"]) for r in counted),
        "lists": len(lists), "vacant": sum(r["holder_driftsform"] == "ubesatt" for r in lists),
        "over_listetak": sum(r["latest_count"] > r["listetak"] for r in counted),
        "charts": {
            "patients": {"labels": [month_label(m) for m in months],
                         "values": [patients.get(m) for m in months]},
            "payments": {"labels": [month_label(m) for m in months],
                         "series": [{"label": str(labels.get(kind, kind)),
                                     "values": [str(per_kind.get(m, 0)) for m in months]}
                                    for kind, per_kind in sorted(payments.items())]},
            "sizes": {"labels": [str(b) for b in range(0, 2600, 100)],
                      "values": [bins.get(b, 0) for b in range(0, 2600, 100)], "knekkpunkt": str(rules.KNEKKPUNKT),
                      "axis": str(_("Antall lister")), "x_axis": str(_("Pasienter på listen"))},
        },
    }


def latest_data_month(municipality) -> date | None:
    """The latest month with list counts or payment lines in a municipality (the report opens on it)."""
    counts = ListCount.objects.filter(patient_list__municipality=municipality).aggregate(m=Max("month"))["m"]
    lines = PaymentLine.objects.filter(municipality=municipality).aggregate(m=Max("month"))["m"]
    return max((m for m in (counts, lines) if m), default=None)


def doctor_case_municipalities(doctor_ids) -> list[tuple[int, int]]:
    """(doctor_id, municipality_id) of every grunntilskudd and introduksjonsavtale, for
    practices.selectors.doctor_municipalities."""

    pairs = []
    for model in (GrunntilskuddApplication, IntroduksjonsAvtale):
        pairs += model.objects.filter(doctor_id__in=doctor_ids).order_by().values_list(
            "doctor_id", "municipality_id").distinct()
    return pairs


# --- what a case covers, for the ledger and the case page ------------------------------------------------


def covered_months(case, *, until: date) -> list[date]:
    """The months a case pays in, up to `until` (later months have no counts yet)."""
    if isinstance(case, GrunntilskuddApplication):
        if case.avtale_fra is None:
            return []
        first, last = rules.grunntilskudd_coverage(case.avtale_fra)
    else:
        first, last = first_of_month(case.start_date), first_of_month(case.effective_end)
    months, month = [], first
    while month <= min(last, until):
        months.append(month)
        month = add_months(month, 1)
    return months



def ledger_horizon(municipality, today: date) -> date:
    """The last month a decision's recompute reaches: this month, or a later month the ledger already has."""
    latest = PaymentMonth.objects.filter(municipality=municipality).order_by("-month").values_list(
        "month", flat=True).first()
    return max(first_of_month(today), latest or first_of_month(today))


def case_payments_state(case, *, today: date) -> dict | None:
    """Whether the ledger follows the case's last decision (approval or termination): the covered open months
    computed before it (`stale`) and the runs still queued or running for them (`pending`). None before a
    decision that pays (docs/payments.md, «Utbetalingene følger vedtaket»)."""
    decided = case.events.filter(action__in=["approve", "terminate"]).order_by("-at").values_list(
        "at", flat=True).first()
    if decided is None:
        return None
    months = covered_months(case, until=ledger_horizon(case.municipality, today))
    stored = PaymentMonth.objects.filter(municipality=case.municipality, month__in=months)
    stale = sorted(pm.month for pm in stored if pm.status == PaymentMonth.Status.OPEN
                   and (pm.computed_at is None or pm.computed_at < decided))
    pending = PaymentRun.objects.filter(municipality=case.municipality, month__in=months, created_at__gte=decided,
                                        status__in=[PaymentRun.Status.QUEUED, PaymentRun.Status.RUNNING]).count()
    return {"decided": decided, "months": len(months), "stale": stale, "pending": pending}


def grunntilskudd_covering(municipality_ids: list[int], month: date,
                           months: int = rules.GRUNNTILSKUDD_MONTHS) -> dict[int, list[rules.Covering]]:
    """{list_id: [Covering]} for cases ever granted that cover the month (one query); `months` is the grant's
    duration (24; another only in a scenario). A list may have two (the doctor's and a successor's): the
    ledger pays the one whose agreement the list is held under that month (rules.paying_case)."""
    earliest = add_months(month, -(months - 1))
    rows = GrunntilskuddApplication.objects.filter(
        municipality_id__in=municipality_ids, status__in=EVER_GRANTED,
        avtale_fra__gte=earliest, avtale_fra__lt=add_months(month, 1),
    ).filter(Q(terminated_on__isnull=True) | Q(terminated_on__gte=month)).order_by("-avtale_fra", "pk").values_list(
        "pk", "patient_list_id", "doctor_id", "avtale_fra", "terminated_on")
    covering: dict[int, list[rules.Covering]] = {}
    for pk, list_id, doctor_id, avtale_fra, terminated_on in rows:
        if rules.grunntilskudd_covers(avtale_fra=avtale_fra, terminated_on=terminated_on, month=month,
                                            months=months):
            covering.setdefault(list_id, []).append(rules.Covering(f"grunntilskudd:{pk}", doctor_id, avtale_fra))
    return covering


def introduksjon_paying(municipality_ids: list[int], month: date) -> list[dict]:
    """Introduksjonsavtaler ever granted that cover days of the month, with a contribution (one query)."""
    next_month = add_months(month, 1)
    rows = IntroduksjonsAvtale.objects.filter(
        municipality_id__in=municipality_ids, status__in=EVER_GRANTED, annual_contribution__gt=0,
        start_date__lt=next_month, end_date__gte=month,
    ).filter(Q(terminated_on__isnull=True) | Q(terminated_on__gte=month)).values(
        "pk", "municipality_id", "doctor_id", "annual_contribution", "start_date", "end_date", "terminated_on")
    return [{"id": r["pk"], "municipality_id": r["municipality_id"], "doctor_id": r["doctor_id"],
             "annual": r["annual_contribution"], "start": r["start_date"],
             "end": effective_end(r["end_date"], r["terminated_on"])} for r in rows]


def import_recompute(user, job) -> dict | None:
    """{"total", "done", "failed", "percent"} of the payment runs an import started in the user's municipalities,
    in one query; None when it started none there (docs/import.md)."""
    counts = PaymentRun.objects.filter(import_job=job, municipality__in=municipalities_for(user)).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status=PaymentRun.Status.DONE)),
        failed=Count("pk", filter=Q(status=PaymentRun.Status.FAILED)))
    if not counts["total"]:
        return None
    finished = counts["done"] + counts["failed"]
    return {**counts, "finished": finished == counts["total"], "percent": 100 * finished // counts["total"]}
