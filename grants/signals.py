"""Recompute the months an import touched, once it has committed (docs/operations.md)."""

from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from alis.signals import agreement_payments_changed
from grants.models import PaymentMonth
from grants.services.ledger import start_recompute_keys, start_recompute_months
from grants.services.notices import month_waiting
from practices.models import Municipality
from practices.signals import list_counts_changed, population_changed


@receiver(list_counts_changed)
def recompute_after_import(sender, months, **kwargs):
    """One run per municipality and month the import touched (`sender`, the ImportJob), all carried out by one task,
    month by month."""
    municipalities = {m.kommunenummer: m for m in Municipality.objects.filter(
        kommunenummer__in={knr for knr, _ in months})}
    keys = sorted(months, key=lambda key: (key[1], key[0]))
    start_recompute_keys(keys=[(municipalities[knr], month) for knr, month in keys], trigger="import",
                         import_job_id=getattr(sender, "pk", None))


@receiver(population_changed)
def recompute_after_population(sender, changes, **kwargs):
    """A year's population decides that year's utjamning: recompute the months of the year that have a ledger (closed
    ones book korreksjon in the next open month, docs/payments.md)."""
    query = Q()
    for municipality_id, year in changes:
        query |= Q(municipality_id=municipality_id, month__year=year)
    months = PaymentMonth.objects.filter(query).select_related("municipality").order_by("month", "municipality_id")
    start_recompute_keys(keys=[(pm.municipality, pm.month) for pm in months], trigger="population")


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


@receiver(post_save, sender=PaymentMonth)
def month_waits(sender, instance, **kwargs):
    """A month that now waits for attestation or authorisation: a notice to the caseworkers (once per step)."""
    month_waiting(instance, today=timezone.localdate())
