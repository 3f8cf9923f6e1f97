"""History records for rows shipped with the system (django-simple-history)."""

from django.utils import timezone

SHIPPED_REASON = "Levert med systemet"


def record_shipped_history(model, historical_model, *, reason: str = SHIPPED_REASON) -> int:
    """Give every row without history a first record ("+", now, `reason`), so that the first edit in the admin
    keeps the shipped value beside the new one (rows loaded with bulk_create get none). Takes the models as
    arguments, so a data migration can pass its historical ones. Returns the number of records written."""
    pk = model._meta.pk.attname
    tracked = {field.attname for field in historical_model._meta.concrete_fields}
    copied = [field.attname for field in model._meta.concrete_fields if field.attname in tracked]
    shipped = {"history_date": timezone.now(), "history_type": "+", "history_change_reason": reason}
    rows = model.objects.exclude(**{f"{pk}__in": historical_model.objects.values(pk)})
    records = [historical_model(**{name: getattr(row, name) for name in copied}, **shipped) for row in rows]
    historical_model.objects.bulk_create(records)
    return len(records)
