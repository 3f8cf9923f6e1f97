"""Live progress of long runs (imports, payment runs).

A run writes inside one transaction, so the database row cannot show progress until commit; the cache can
(Redis when there is a broker, shared by worker and web). The row keeps the final state."""

from django.core.cache import cache

TTL = 6 * 3600


def _key(kind: str, pk: int) -> str:
    return f"progress:{kind}:{pk}"


def set_progress(kind: str, pk: int, percent: int) -> None:
    try:
        cache.set(_key(kind, pk), max(0, min(100, int(percent))), TTL)
    except Exception:  # noqa: BLE001 - progress is a courtesy; never fail a run over it
        pass


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
