import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def send(task, *args) -> bool:
    """Queue a task; False (logged) when the broker cannot be reached, so the caller can tell the user and keep
    the work startable again instead of failing the request."""
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - kombu/redis raise several kinds; all mean "not queued"
        logging.getLogger(__name__).exception("could not queue %s%r", task.name, args)
        return False
    return True


def tasks_run_eagerly() -> bool:
    """True without a broker (make run): work that would be queued runs in the request instead."""
    return bool(app.conf.task_always_eager)


@app.task(name="config.ping")
def ping(value):
    """Round-trip check used by the test suite and operations ("is a worker listening?")."""
    return value
