"""The report page (issue 8): per municipality and period, payments by kind and month, active grants and
agreements, supervision hours — a constant number of queries, whatever the period."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from alis.models import AlisAgreement, SupervisionSession
from core.months import add_months, format_month
from grants import rules
from grants.models import EVER_GRANTED, GrunntilskuddApplication, IntroduksjonsAvtale, PaymentLine, PaymentMonth

KINDS = [rules.KIND_BASIS, rules.KIND_BASIS_UNDER, rules.KIND_BASIS_OVER, rules.KIND_GRUNNTILSKUDD,
         rules.KIND_INTRODUKSJON, rules.KIND_ALIS, rules.KIND_UTJAMNING, rules.KIND_KORREKSJON]
COLUMNS = ["maaned", *KINDS, "sum", "utbetalt_til_leger", "beholdt_av_kommunen", "grunntilskudd_aktive",
           "introduksjonsavtaler_aktive", "alis_aktive", "veiledning_individuell_timer", "veiledning_gruppe_timer"]


def months_between(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last and len(months) < 240:
        months.append(month)
        month = add_months(month, 1)
    return months


def _active(cases, first_of, end_of, months) -> dict:
    counts = defaultdict(int)
    for case in cases:
        start, end = first_of(case), end_of(case)
        for month in months:
            if start <= month <= end:
                counts[month] += 1
    return counts


def report(municipality, first: date, last: date) -> list[dict]:
    months = months_between(first, last)
    end = add_months(months[-1], 1)  # the months shown (at most 240): lines after them are not read (was a 500)
    rows = {m: {"maaned": m, **{k: Decimal("0.00") for k in KINDS}, "sum": Decimal("0.00"),
                "utbetalt_til_leger": Decimal("0.00"), "beholdt_av_kommunen": Decimal("0.00")} for m in months}
    for line in (PaymentLine.objects.filter(municipality=municipality, month__gte=first, month__lt=end).order_by()
                 .values("month", "kind", "kept_by_municipality", "estimate", "corrected_kind")
                 .annotate(total=Sum("amount"))):
        row = rows[line["month"]]
        row[line["kind"]] += line["total"]
        if line["estimate"] and rules.KIND_UTJAMNING in (line["kind"], line["corrected_kind"]):
            continue  # a control calculation: in its column, not in what is paid (docs/payments.md)
        row["sum"] += line["total"]
        row["beholdt_av_kommunen" if line["kept_by_municipality"] else "utbetalt_til_leger"] += line["total"]
    grunntilskudd = GrunntilskuddApplication.objects.filter(municipality=municipality, status__in=EVER_GRANTED,
                                                            avtale_fra__isnull=False)
    active_g = _active(grunntilskudd, lambda c: rules.grunntilskudd_coverage(c.avtale_fra)[0],
                       lambda c: min(rules.grunntilskudd_coverage(c.avtale_fra)[1],
                                     c.terminated_on or date.max), months)
    intro = IntroduksjonsAvtale.objects.filter(municipality=municipality, status__in=EVER_GRANTED)
    active_i = _active(intro, lambda c: c.start_date.replace(day=1), lambda c: c.effective_end, months)
    alis = AlisAgreement.objects.filter(municipality=municipality, status__in=["godkjent", "fullfort", "avsluttet"])
    active_a = _active(alis, lambda a: a.start_date.replace(day=1),
                       lambda a: a.effective_end, months)
    hours = defaultdict(Decimal)
    for row in (SupervisionSession.objects.filter(agreement__municipality=municipality, date__gte=first,
                                                  date__lt=end).annotate(m=TruncMonth("date")).order_by()
                .values("m", "kind").annotate(total=Sum("hours"))):
        hours[(row["m"], row["kind"])] += row["total"]
    computed = set(PaymentMonth.objects.filter(municipality=municipality, month__gte=first, month__lt=end)
                   .values_list("month", flat=True))
    for month, row in rows.items():
        row.update({"computed": month in computed, "grunntilskudd_aktive": active_g[month],
                    "introduksjonsavtaler_aktive": active_i[month], "alis_aktive": active_a[month],
                    "veiledning_individuell_timer": hours[(month, "individuell")],
                    "veiledning_gruppe_timer": hours[(month, "gruppe")]})
    return [rows[m] for m in months]


def totals(rows: list[dict]) -> dict:
    summed = {key: sum((row[key] for row in rows), Decimal("0")) for key in COLUMNS[1:]}
    return summed


def as_table(rows: list[dict], *, as_text: bool) -> list[list]:
    def cell(key, value):
        if key == "maaned":
            return format_month(value)
        if isinstance(value, Decimal):
            return f"{value:.2f}" if as_text else value
        return value

    return [[cell(key, row[key]) for key in COLUMNS] for row in rows]



