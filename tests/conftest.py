"""Test infrastructure: real services when asked for, reference data after flushes, role fixtures.

Tests marked `celery` get a real worker on Redis (PostgreSQL required, so the worker sees committed data),
tests marked `browser` get Playwright on /usr/bin/chromium. Under REQUIRE_SERVICES=1 (CI) a missing
service fails the test; without it the test is skipped with the reason."""

import os
import shutil
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
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
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
def outsider(bergen):
    """An administrator of another municipality."""
    return factories.member(bergen, "administrator", username="admin.bergen")


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
    log = open(ARTIFACTS / "celery-worker.log", "w")  # noqa: SIM115 - closed at session end
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
        pytest.fail(f"Celery worker did not start: {error}; see test-artifacts/celery-worker.log")
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


# --- browser ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_instance():
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        service_missing(f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium')")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser_instance, live_server, request):
    context = browser_instance.new_context(locale="nb-NO", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    except Exception:  # noqa: BLE001 - a screenshot is a by-product, never the failure
        pass
    context.close()


@pytest.fixture(autouse=True)
def _browser_marker(request):
    if request.node.get_closest_marker("browser"):
        request.getfixturevalue("browser_instance")


def login(page, username, password=factories.PASSWORD):
    page.goto(page.base_url + "/konto/logg-inn/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "logg-inn" not in url)


def wait_until(predicate, *, timeout=30.0, interval=0.1):
    """Poll with a deadline instead of sleeping (STYLE.md: no sleeps in tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout:.0f} s")


def assert_accessible(page):
    """axe-core (vendored) on the current page: no serious or critical WCAG 2.1 AA violations."""
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    violations = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']})).violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))")
    assert violations == [], f"{page.url}: {violations}"
