"""Celery tasks: ids in, one service call, idempotent (docs/operations.md). The service is imported inside the
task (HackSoft's pattern): the service queues this task, so it imports this module."""

from celery import shared_task


@shared_task(acks_late=True)
def compute_scenario_run(run_id: int) -> str:
    """Carry out a queued scenario or report run; a finished one is left alone (safe to deliver twice)."""
    from scenarios import services

    return services.execute_run(run_id).status
