"""Queueing Celery tasks from services (core.tasks): the Celery app itself is config/celery.py, on top."""

import logging

from celery import current_app


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
    return bool(current_app.conf.task_always_eager)
