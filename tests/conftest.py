"""Test infrastructure: real services when asked for, reference data after flushes, role fixtures.

Tests marked `celery` get a real worker on Redis (PostgreSQL required, so the worker sees committed data);
tests marked `browser` live in tests/e2e/, whose conftest.py gives them Playwright on /usr/bin/chromium. Under
REQUIRE_SERVICES=1 (CI) a missing service fails the test; without it the test is skipped with the reason.

Tests are grouped by app (tests/core/, practices/, grants/, alis/, scenarios/), plus security/ (access and write
matrices, fuzzing, faults) and e2e/ (the browser). Helpers shared by several modules are in tests/helpers.py,
tests/matrix.py and the factories modules; a test module never imports another test module."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from config.reference_data import ensure_reference_data
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside the ORM
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
WORKER_MEDIA = ARTIFACTS / "worker-media"


def service_missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1, but {reason}", pytrace=False)
    pytest.skip(reason)


def is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush the database at teardown; put municipalities (etc.) back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or {"live_server", "transactional_db"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _media_root(request, tmp_path, settings):
    """Uploads go to a scratch folder; with a real worker, to the folder the worker process uses too."""
    shared = request.node.get_closest_marker("celery") is not None
    settings.MEDIA_ROOT = WORKER_MEDIA if shared else tmp_path / "media"


@pytest.fixture(autouse=True)
def _require_postgres_marker(request):
    if request.node.get_closest_marker("postgres") and not is_postgres():
        service_missing("this test needs PostgreSQL (DATABASE_URL=postgres://…)")


def subprocess_env(**extra) -> dict:
    """Environment for a `manage.py` child process that must see the test database (PostgreSQL only)."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "CONN_MAX_AGE": "0", **extra}


# --- roles ------------------------------------------------------------------------------------------------


@pytest.fixture
def oslo(db):
    from practices.models import Municipality

    return Municipality.objects.get(kommunenummer="0301")


@pytest.fixture
def bergen(db):
    from practices.models import Municipality

    return Municipality.objects.get(kommunenummer="4601")


@pytest.fixture
def trondheim(db):
    from practices.models import Municipality

    return Municipality.objects.get(kommunenummer="5001")


@pytest.fixture
def trondheim_admin(trondheim):
    return factories.member(trondheim, "administrator", username="admin.trondheim")


@pytest.fixture
def administrator(oslo):
    return factories.member(oslo, "administrator", username="admin.oslo")


@pytest.fixture
def caseworker(oslo):
    return factories.member(oslo, "caseworker", username="saksbehandler.oslo")


@pytest.fixture
def caseworker2(oslo):
    return factories.member(oslo, "caseworker", username="saksbehandler2.oslo")


@pytest.fixture
def auditor(oslo):
    return factories.member(oslo, "auditor", username="revisor.oslo")


@pytest.fixture
def api():
    """api(user) → a DRF test client authenticated as `user` (anonymous without one)."""
    from rest_framework.test import APIClient

    def as_user(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client
    return as_user


@pytest.fixture
def users(administrator, caseworker, caseworker2, auditor, outsider):
    return {"administrator": administrator, "caseworker": caseworker, "caseworker2": caseworker2,
            "auditor": auditor, "outsider": outsider}


@pytest.fixture
def outsider(bergen):
    """An administrator of another municipality."""
    return factories.member(bergen, "administrator", username="admin.bergen")


@pytest.fixture
def fast_passwords(settings):
    """Test users need no slow password hashing: `pytestmark = pytest.mark.usefixtures("fast_passwords")`."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(oslo, administrator, caseworker, caseworker2):
    """One Oslo object of every kind a URL pattern takes (tests/matrix.py), for the access and write sweeps."""
    from tests.matrix import make_world

    return make_world(oslo, administrator)


# --- Celery worker ----------------------------------------------------------------------------------------


def _redis_ok(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process on Redis, on a queue of its own, against the test database."""
    if not is_postgres():
        service_missing("Celery worker tests need PostgreSQL (the worker must see committed data)")
    broker = settings.CELERY_BROKER_URL
    if not broker:
        service_missing("CELERY_BROKER_URL is not set, so tasks run eagerly (set it to redis://127.0.0.1:6379/0)")
    if not _redis_ok(broker):
        service_missing(f"Redis is not reachable at {broker}")
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = subprocess_env(**{
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DEBUG": "0",
        "SECRET_KEY": "test-worker-key",
        "MEDIA_ROOT": str(WORKER_MEDIA),
    })
    ARTIFACTS.mkdir(exist_ok=True)
    log_name = "-".join(filter(None, ["celery-worker", os.environ.get("PYTEST_XDIST_WORKER")])) + ".log"
    log = open(ARTIFACTS / log_name, "w")  # noqa: SIM115 - closed at session end
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "2", "-P", "prefork",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False, task_default_queue=queue)
    try:
        result = app.send_task("config.ping", args=["ready"], queue=queue)
        result.get(timeout=60)
    except Exception as error:  # noqa: BLE001 - reported as a failed service below
        process.kill()
        pytest.fail(f"Celery worker did not start: {error}; see test-artifacts/{log_name}")
    yield {"process": process, "queue": queue, "broker": broker, "app": app}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    app.conf.update(saved)
    log.close()


@pytest.fixture
def celery_worker(celery_worker_process):
    """Use in tests marked `celery` (with transactional_db): tasks go to the real worker. At teardown, waits
    until the worker is idle, so that follow-up tasks (a recompute after an import) do not hold locks while
    the database is flushed for the next test."""
    yield celery_worker_process
    drain_worker(celery_worker_process)


def drain_worker(worker, timeout=60.0):
    import redis

    app, queue = worker["app"], worker["queue"]
    client = redis.Redis.from_url(worker["broker"])

    def idle():
        if client.llen(queue):
            return False
        inspect = app.control.inspect(timeout=1.0)
        busy = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
        return not any(busy)

    wait_until(idle, timeout=timeout, interval=0.2)


@pytest.fixture(autouse=True)
def _celery_marker(request):
    """Tests marked `celery` get the real worker; all others run tasks eagerly, even when a broker is set."""
    if request.node.get_closest_marker("celery"):
        request.getfixturevalue("celery_worker")
        yield
        return
    from config.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


# --- polling ----------------------------------------------------------------------------------------------


def wait_until(predicate, *, timeout=30.0, interval=0.1):
    """Poll with a deadline instead of sleeping (STYLE.md: no sleeps in tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout:.0f} s")
