"""Recompute the months an import touched, once it has committed (SPEC.md §8)."""

from django.dispatch import receiver

from practices.models import Municipality
from practices.signals import list_counts_changed


@receiver(list_counts_changed)
def recompute_after_import(sender, months, **kwargs):
    from collections import defaultdict

    from grants.services.ledger import start_recompute_many

    municipalities = {m.kommunenummer: m for m in Municipality.objects.filter(
        kommunenummer__in={knr for knr, _ in months})}
    by_month = defaultdict(list)
    for kommunenummer, month in months:
        by_month[month].append(municipalities[kommunenummer])
    for month, touched in sorted(by_month.items()):
        start_recompute_many(municipalities=touched, month=month, trigger="import")
