"""Celery tasks: ids in, one service call, idempotent (docs/operations.md)."""

from celery import shared_task

from scenarios import services


@shared_task(acks_late=True)
def compute_scenario_run(run_id: int) -> str:
    """Carry out a queued scenario or report run; a finished one is left alone (safe to deliver twice)."""
    return services.execute_run(run_id).status
