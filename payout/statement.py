"""The yearly statement (*årsoppgave*, docs/payments.md «Årsoppgave»): a read of one doctor's paid lines in one
municipality and year, from the authorised (closed) months only, by month and kind, grouped by the payee valid on
each month's first day. Constant queries: the lines, the closed months and the doctor's payees, one query each."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Sum
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from core.months import MONTH_NAMES
from grants.models import CONTROL_CALCULATION, PaymentLine, PaymentMonth
from payout.models import Payee
from practices.models import Doctor


def mask_kontonummer(digits: str) -> str:
    """Only the last four digits, in the usual grouping: "86011117947" → "****.**.*7947". The statement is printed
    and passed on; the last four digits let the payee recognise the account (docs/personvern.md)."""
    digits = digits or ""
    if len(digits) != 11:
        return "*" * max(len(digits) - 4, 0) + digits[-4:]
    return f"****.**.*{digits[-4:]}"


def month_ranges(months: list[date]) -> str:
    """The months as runs of consecutive months in one year: [jan, feb, mar, jul] → "januar–mars, juli"."""
    runs: list[list[int]] = []
    for number in sorted(month.month for month in months):
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(MONTH_NAMES[a - 1]) if a == b else f"{MONTH_NAMES[a - 1]}–{MONTH_NAMES[b - 1]}"
                     for a, b in runs)


@dataclass
class StatementRow:
    month: date
    amounts: list  # one Decimal or None per kind column
    total: Decimal

    @property
    def label(self) -> str:
        return str(MONTH_NAMES[self.month.month - 1])


@dataclass
class PayeeSection:
    """The months one payee received (or the doctor, when no payee was registered for those months)."""

    payee: Payee | None
    rows: list[StatementRow] = field(default_factory=list)
    kind_totals: list = field(default_factory=list)
    total: Decimal = Decimal("0.00")

    @property
    def months_text(self) -> str:
        return month_ranges([row.month for row in self.rows])

    @property
    def masked_kontonummer(self) -> str:
        return mask_kontonummer(self.payee.kontonummer) if self.payee else ""


@dataclass
class YearlyStatement:
    municipality: object
    doctor: Doctor
    year: int
    kinds: list[tuple[str, str]]  # (code, label) of the kinds present, in the ledger's order
    sections: list[PayeeSection]
    total: Decimal
    closed_months: list[date]
    not_authorised: list[date]  # months of the year that are not closed: left out

    @property
    def not_authorised_text(self) -> str:
        return month_ranges(self.not_authorised)


# utjamning while a parameter is an estimate: a column of its own, outside the sums (docs/payments.md)
CONTROL = "kontrollberegning"
CONTROL_LABEL = _("Utjamningstilskudd (kontrollberegning, ikke utbetalt)")


def _payee_on(payees: list[Payee], day: date) -> Payee | None:
    """The payee valid on `day`: the latest `valid_from` on or before it; one without a date is from the start
    (payout.selectors.payees_on, for one doctor over many days without a query per day)."""
    valid = [payee for payee in payees if payee.valid_from is None or payee.valid_from <= day]
    return max(valid, key=lambda payee: payee.valid_from or date.min, default=None)


def yearly_statement(*, municipality, hpr: str, year: int) -> YearlyStatement:
    """One doctor's paid lines (not kept by the municipality) in the municipality's closed months of `year`, by
    month and kind, one section per payee. 404 when the doctor has no paid line in the municipality that year,
    authorised or not: a municipality sees only its own doctors' statements."""
    if not 2000 <= year <= 2999:  # date() refuses year 0 and 10 000; no ledger has a month outside this
        raise Http404
    lines = PaymentLine.objects.filter(municipality=municipality, doctor__hpr_nummer=hpr, month__year=year,
                                       kept_by_municipality=False)
    sums = list(lines.order_by().annotate(control=ExpressionWrapper(CONTROL_CALCULATION, output_field=BooleanField()))
                .values("month", "kind", "control").annotate(amount=Sum("amount")))
    if not sums:
        raise Http404
    doctor = Doctor.objects.get(hpr_nummer=hpr)
    closed = sorted(PaymentMonth.objects.filter(municipality=municipality, month__year=year,
                                                status=PaymentMonth.Status.CLOSED).values_list("month", flat=True))
    payees = list(Payee.objects.filter(municipality=municipality, doctor=doctor)
                  .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=date(year, 12, 1))))

    closed_set = set(closed)
    by_month: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for row in sums:
        if row["month"] in closed_set:
            kind = CONTROL if row["control"] else row["kind"]
            by_month[row["month"]][kind] = by_month[row["month"]].get(kind, Decimal("0.00")) + row["amount"]
    present = {kind for amounts in by_month.values() for kind in amounts}
    kinds = [(code, label) for code, label in [*PaymentLine.Kind.choices, (CONTROL, CONTROL_LABEL)] if code in present]

    sections: dict[int | None, PayeeSection] = {}
    for month in sorted(by_month):
        payee = _payee_on(payees, month)
        section = sections.setdefault(payee.pk if payee else None, PayeeSection(payee=payee))
        amounts = [by_month[month].get(code) for code, _label in kinds]
        section.rows.append(StatementRow(month=month, amounts=amounts,
                                         total=sum((amount for kind, amount in by_month[month].items()
                                                    if kind != CONTROL), Decimal("0.00"))))
    for section in sections.values():
        section.kind_totals = [sum((row.amounts[i] for row in section.rows if row.amounts[i] is not None),
                                   Decimal("0.00")) for i in range(len(kinds))]
        section.total = sum((row.total for row in section.rows), Decimal("0.00"))
    ordered = sorted(sections.values(), key=lambda section: section.rows[0].month)
    return YearlyStatement(
        municipality=municipality, doctor=doctor, year=year, kinds=kinds, sections=ordered,
        total=sum((section.total for section in ordered), Decimal("0.00")), closed_months=closed,
        not_authorised=[date(year, number, 1) for number in range(1, 13) if date(year, number, 1) not in closed_set])


def statement_years(*, doctor, municipalities) -> list[tuple]:
    """[(municipality, year)] where the doctor has paid lines in a closed month of one of `municipalities` (a
    list, as the request holds it), newest year first: the links on the doctor's page. One query."""
    by_pk = {municipality.pk: municipality for municipality in municipalities}
    closed = PaymentMonth.objects.filter(municipality=OuterRef("municipality"), month=OuterRef("month"),
                                         status=PaymentMonth.Status.CLOSED)
    pairs = (PaymentLine.objects.filter(doctor=doctor, municipality__in=list(by_pk), kept_by_municipality=False)
             .filter(Exists(closed)).order_by().values_list("municipality", "month__year").distinct())
    return sorted(((by_pk[pk], year) for pk, year in pairs),
                  key=lambda pair: (-pair[1], pair[0].kommunenummer))
