"""Reads for the ledger; every queryset starts from the user's municipalities (SPEC.md §10)."""

from datetime import date

from django.db.models import Count, QuerySet, Sum
from django.shortcuts import get_object_or_404

from grants.models import PaymentLine, PaymentMonth, PaymentRun, RateSchedule
from practices.models import Municipality
from practices.selectors import municipalities_for


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
    """kommunenummer, listenummer, hpr_nummer, type (SPEC.md §9); lines without a list first."""
    return lines.order_by("municipality__kommunenummer", "patient_list__listenummer", "doctor__hpr_nummer", "kind",
                          "pk")


def totals_by_kind(lines: QuerySet[PaymentLine]) -> list[dict]:
    labels = dict(PaymentLine.Kind.choices)
    rows = list(lines.order_by().values("kind", "kept_by_municipality").annotate(
        total=Sum("amount"), count=Count("pk")).order_by("kind", "kept_by_municipality"))
    return [{**row, "label": labels.get(row["kind"], row["kind"])} for row in rows]


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
