"""Celery tasks: ids in, one service call (docs/operations.md). The service is imported inside the task
(HackSoft's pattern): the service queues this task, so it imports this module."""

from celery import shared_task


@shared_task(acks_late=True)
def run_import(job_id: int) -> None:
    from practices.services.list_import import import_run

    import_run(job_id=job_id)
