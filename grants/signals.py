"""Recompute the months an import touched, once it has committed (SPEC.md §8)."""

from django.dispatch import receiver

from practices.models import Municipality
from practices.signals import list_counts_changed


@receiver(list_counts_changed)
def recompute_after_import(sender, months, **kwargs):
    from grants.services.ledger import start_recompute

    municipalities = {m.kommunenummer: m for m in Municipality.objects.filter(
        kommunenummer__in={knr for knr, _ in months})}
    for kommunenummer, month in months:
        start_recompute(municipality=municipalities[kommunenummer], month=month, trigger="import")
