from celery import shared_task

from practices.services.list_import import import_run


@shared_task(acks_late=True)
def run_import(job_id: int) -> None:
    import_run(job_id=job_id)
