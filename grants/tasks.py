"""Celery tasks: ids and plain values in, one service call, idempotent (docs/operations.md). Each imports its
service inside (HackSoft's pattern): the services queue these tasks, so they import this module."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from practices.models import Municipality


@shared_task(acks_late=True)
def recompute_month_task(run_id: int) -> None:
    from grants.services import ledger

    ledger.execute_run(run_id)


@shared_task(acks_late=True)
def recompute_runs_task(run_ids: list[int]) -> None:
    from grants.services import ledger

    ledger.execute_runs(run_ids)


@shared_task(acks_late=True)
def recompute_month(municipality_id: int, month: str) -> None:
    """Recompute one municipality-month given as `YYYY-MM-DD` (a run row records it)."""
    from grants.services import ledger

    ledger.start_recompute(municipality=Municipality.objects.get(pk=municipality_id),
                           month=date.fromisoformat(month), trigger="task")


@shared_task(acks_late=True)
def recompute_all(month: str) -> int:
    from grants.services import ledger

    return len(ledger.recompute_all(month=date.fromisoformat(month)))


@shared_task(acks_late=True)
def recompute_current_month() -> int:
    """Nightly (django-celery-beat): the current month, in Europe/Oslo."""
    from grants.services import ledger

    today = timezone.localdate()
    return len(ledger.recompute_all(month=today.replace(day=1), trigger="nightly"))


@shared_task(acks_late=True)
def expire_eligibility_today() -> dict:
    """Daily (django-celery-beat): docs/operations.md."""
    from grants.services.expiry import expire_eligibility

    return expire_eligibility(today=timezone.localdate())
