"""Reads of the payout (docs/payments.md, «Betaling og bilag»): the payee valid on a month's first day, the lines a
month pays out."""

from collections import defaultdict
from datetime import date

from django.db.models import Q, QuerySet, Sum

from grants.models import PaymentLine
from payout.models import Payee
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
    """The month's lines the municipality pays out: a doctor's, not kept by the municipality (SPEC §9a)."""
    return PaymentLine.objects.filter(municipality=municipality, month=month, doctor__isnull=False,
                                      kept_by_municipality=False)


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
