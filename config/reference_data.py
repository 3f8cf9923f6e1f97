"""All reference data loaded by data migrations, in one call (for tests that flush the database)."""

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


def ensure_reference_data() -> None:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    from alis.models import SupervisionRequirement
    from alis.reference import load_requirements
    from grants.models import RateSchedule
    from grants.reference import load_rates, load_schedules
    from practices.models import Municipality
    from practices.reference import load_municipalities

    if Municipality.objects.count() < 357:
        load_municipalities(Municipality)
    load_rates(RateSchedule)
    load_schedules(PeriodicTask, CrontabSchedule)
    load_requirements(SupervisionRequirement)
    # as the migrations grants 0005 and alis 0003 do
    record_shipped_history(RateSchedule, RateSchedule.history.model)
    record_shipped_history(SupervisionRequirement, SupervisionRequirement.history.model)
