"""Reads of the payout (docs/payments.md, «Betaling og bilag»): the payee valid on a month's first day, the lines a
month pays out."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext

from grants.models import CONTROL_CALCULATION, PaymentLine
from payout.models import Payee
from payout.rules import format_kontonummer
from practices.models import Doctor
from practices.selectors import municipalities_for


def payees_for(user) -> QuerySet[Payee]:
    """The payees of the user's municipalities."""
    return Payee.objects.filter(municipality__in=municipalities_for(user)).select_related(
        "municipality", "doctor", "entered_by", "confirmed_by")


def payees_on(municipality, day: date) -> dict[int, Payee]:
    """{doctor_id: the payee valid on `day`}: the latest `valid_from` on or before the day (empty = from the
    start). One query."""
    chosen = {}
    for payee in (Payee.objects.filter(municipality=municipality)
                  .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day))
                  .select_related("doctor").order_by("doctor_id", "-valid_from")):
        current = chosen.get(payee.doctor_id)
        if current is None or (current.valid_from is None and payee.valid_from is not None):
            chosen[payee.doctor_id] = payee
    return chosen


def paid_lines(municipality, month: date) -> QuerySet[PaymentLine]:
    """The month's lines the municipality pays out: a doctor's, not kept by the municipality, and no control
    calculation — an utjamning line (or its korreksjon) whose parameter row is an estimate (docs/payments.md,
    «Betalingsfil og bilag»)."""
    return PaymentLine.objects.filter(municipality=municipality, month=month, doctor__isnull=False,
                                      kept_by_municipality=False).exclude(CONTROL_CALCULATION)


def paid_by_doctor(municipality, month: date) -> dict[int, dict]:
    """{doctor_id: {"total", "kinds": {kind: amount}, "lists": [listenummer, …]}} of the month's paid lines."""
    result = defaultdict(lambda: {"total": 0, "kinds": {}, "lists": set()})
    for row in (paid_lines(municipality, month).order_by().values("doctor_id", "kind", "patient_list__listenummer")
                .annotate(amount=Sum("amount"))):
        entry = result[row["doctor_id"]]
        entry["total"] += row["amount"]
        entry["kinds"][row["kind"]] = entry["kinds"].get(row["kind"], 0) + row["amount"]
        if row["patient_list__listenummer"]:
            entry["lists"].add(row["patient_list__listenummer"])
    return {doctor: {**entry, "lists": sorted(entry["lists"])} for doctor, entry in result.items()}


@dataclass
class PayeeMonth:
    """One doctor's paid lines in a month with the payee valid on its first day (None: missing)."""

    doctor: Doctor
    payee: Payee | None
    total: Decimal
    kinds: dict[str, Decimal]
    lists: list[str]

    @property
    def problem(self) -> str:
        """"" when the payee can be paid; else what is wrong, in Norwegian."""
        if self.payee is None:
            return gettext("mangler utbetalingsmottaker")
        if self.payee.is_pending:
            return gettext("kontonummeret venter på bekreftelse")
        return ""


@dataclass
class MonthPayout:
    """The month page's «Betaling» and the payment file (docs/payments.md, «Betalingsfil og bilag»): payees to pay
    (sum > 0, confirmed account), payees owing the municipality (sum ≤ 0: no transaction) and doctors whose payee
    is missing or pending (sum > 0: they block the file)."""

    to_pay: list[PayeeMonth]
    owing: list[PayeeMonth]
    to_fix: list[PayeeMonth]

    @property
    def control_sum(self) -> Decimal:
        return sum((row.total for row in self.to_pay), Decimal("0"))


def month_payout(municipality, month: date) -> MonthPayout:
    """Who the month pays, who owes and who must be fixed first, ordered by name. Three queries."""
    paid = paid_by_doctor(municipality, month)
    payees = payees_on(municipality, month)
    doctors = Doctor.objects.in_bulk(list(paid))
    result = MonthPayout([], [], [])
    for doctor_id, entry in paid.items():
        row = PayeeMonth(doctor=doctors[doctor_id], payee=payees.get(doctor_id), total=Decimal(entry["total"]),
                         kinds=entry["kinds"], lists=entry["lists"])
        if row.total <= 0:
            result.owing.append(row)
        elif row.problem:
            result.to_fix.append(row)
        else:
            result.to_pay.append(row)
    for rows in (result.to_pay, result.owing, result.to_fix):
        rows.sort(key=lambda row: (row.doctor.name, row.doctor.hpr_nummer))
    return result


PAYEE_FIELDS = (("name", "Navn"), ("organisasjonsnummer", "Organisasjonsnummer"), ("kontonummer", "Kontonummer"),
                ("valid_from", "Gyldig fra"))


def payee_history(payee: Payee) -> list[dict]:
    """The payee's history, newest first: {"when", "who", "reason", "changes": [(field, label, old, new)],
    "confirmed"} per record, the kontonummer as 8601.11.17947. One query."""
    entries, previous = [], None
    for record in payee.history.select_related("history_user").order_by("history_date", "history_id"):
        changes = []
        for name, label in PAYEE_FIELDS:
            old = getattr(previous, name) if previous is not None else None
            new = getattr(record, name)
            if previous is None and new in (None, ""):
                continue
            if previous is None or old != new:
                if name == "kontonummer":
                    old = None if previous is None else format_kontonummer(old or "")
                    new = format_kontonummer(new or "")
                changes.append((name, label, old, new))
        confirmed = record.confirmed_at is not None and (previous is None or previous.confirmed_at is None)
        entries.append({"when": record.history_date, "who": record.history_user, "reason": record.history_change_reason,
                        "changes": changes, "confirmed": confirmed,
                        "pending": record.confirmed_at is None})
        previous = record
    return entries[::-1]
