"""Long runs (payment runs, scenario runs, imports): their common row and their live progress.

A run writes inside one transaction, so the database row cannot show progress until commit; the cache can
(Redis when there is a broker, shared by worker and web). The row keeps the final state."""

from collections.abc import Callable, Iterable
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils.translation import gettext_lazy as _

TTL = 6 * 3600


def _key(kind: str, pk: int) -> str:
    return f"progress:{kind}:{pk}"


_LISTENERS: list[Callable[[str, int, int], None]] = []


def set_progress(kind: str, pk: int, percent: int) -> None:
    percent = max(0, min(100, int(percent)))
    try:
        cache.set(_key(kind, pk), percent, TTL)
    except Exception:  # noqa: BLE001 - progress is a courtesy; never fail a run over it
        pass
    notify(kind, pk, percent)


def set_progress_many(kind: str, pks: Iterable[int], percent: int) -> None:
    """The same percentage for many runs in one cache round trip (a month's runs finish together)."""
    percent = max(0, min(100, int(percent)))
    try:
        cache.set_many({_key(kind, pk): percent for pk in pks}, TTL)
    except Exception:  # noqa: BLE001
        pass


def notify(kind: str, pk: int, percent: int) -> None:
    """Tell the listeners in this process (a command's progress bar, core.terminal) how far a step has come."""
    for listener in list(_LISTENERS):
        listener(kind, pk, percent)


@contextmanager
def listening(callback: Callable[[str, int, int], None]):
    """Call `callback(kind, pk, percent)` for every progress event in this process while the block runs."""
    _LISTENERS.append(callback)
    try:
        yield
    finally:
        _LISTENERS.remove(callback)


def get_progress(kind: str, pk: int, default: int = 0) -> int:
    try:
        value = cache.get(_key(kind, pk))
    except Exception:  # noqa: BLE001
        value = None
    return default if value is None else value


def progress_of(kind: str, pk: int, status: str, *, running: int = 0) -> int:
    """The percentage to show for a run row (statuses queued/running/done/failed, as all run models have): the
    cache only while it runs, so a value left under the same id (a restored or re-created database) never
    shows on a queued or finished run."""
    if status in ("done", "failed"):
        return 100
    if status != "running":
        return 0
    return get_progress(kind, pk, running)


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("I kø")
    RUNNING = "running", _("Beregner")
    DONE = "done", _("Ferdig")
    FAILED = "failed", _("Feilet")


class Run(models.Model):
    """One background computation (a payment run, a scenario run): who started it, when, and how it ended."""

    Status = RunStatus
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    message = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
