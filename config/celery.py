import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def tasks_run_eagerly() -> bool:
    """True without a broker (make run): work that would be queued runs in the request instead."""
    return bool(app.conf.task_always_eager)


@app.task(name="config.ping")
def ping(value):
    """Round-trip check used by the test suite and operations ("is a worker listening?")."""
    return value
