"""All reference data loaded by data migrations, in one call (for tests that flush the database)."""

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from alis.models import SupervisionRequirement
from alis.reference import load_requirements
from core.history import record_shipped_history
from grants.models import RateSchedule, UtjamningParameter
from grants.reference import load_rates, load_schedules, load_utjamning
from practices.models import Municipality
from practices.reference import load_municipalities


def ensure_reference_data() -> None:
    if Municipality.objects.count() < 357:
        load_municipalities(Municipality)
    load_rates(RateSchedule)
    load_schedules(PeriodicTask, CrontabSchedule)
    load_requirements(SupervisionRequirement)
    load_utjamning(UtjamningParameter)
    # as the migrations grants 0005 and 0009 and alis 0003 do
    record_shipped_history(RateSchedule, RateSchedule.history.model)
    record_shipped_history(SupervisionRequirement, SupervisionRequirement.history.model)
    record_shipped_history(UtjamningParameter, UtjamningParameter.history.model)
