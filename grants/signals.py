"""Recompute the months an import touched, once it has committed (docs/operations.md)."""

from collections import defaultdict

from django.dispatch import receiver

from alis.signals import agreement_payments_changed
from grants.models import PaymentMonth
from grants.services.ledger import start_recompute_many, start_recompute_months
from practices.models import Municipality
from practices.signals import list_counts_changed


@receiver(list_counts_changed)
def recompute_after_import(sender, months, **kwargs):
    municipalities = {m.kommunenummer: m for m in Municipality.objects.filter(
        kommunenummer__in={knr for knr, _ in months})}
    by_month = defaultdict(list)
    for kommunenummer, month in months:
        by_month[month].append(municipalities[kommunenummer])
    for month, touched in sorted(by_month.items()):
        start_recompute_many(municipalities=touched, month=month, trigger="import")


def closed_months(keys) -> set:
    """Which of {(kommunenummer, month)} are closed payment months (import warning, docs/import.md)."""
    rows = PaymentMonth.objects.filter(status=PaymentMonth.Status.CLOSED,
                                       municipality__kommunenummer__in={k for k, _ in keys},
                                       month__in={m for _, m in keys}).values_list("municipality__kommunenummer",
                                                                                   "month")
    return set(rows) & set(keys)


@receiver(agreement_payments_changed)
def recompute_after_alis_decision(sender, municipality_id, months, **kwargs):
    """An ALIS approval or termination changed what an agreement pays: recompute those months (docs/operations.md)."""
    start_recompute_months(municipality=Municipality.objects.get(pk=municipality_id), months=months)
