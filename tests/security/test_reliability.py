"""Faults with real services (issue 10): Redis down when work is started, a lost PostgreSQL connection."""

import shutil
import subprocess
import time
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from config.celery import app
from grants.models import PaymentRun
from practices.models import ImportJob, ListCount, PatientList
from practices.services import list_import
from tests import factories
from tests.conftest import service_missing, wait_until
from tests.helpers import LIST_HEADER as HEADER

PORT = 6391


@pytest.fixture
def own_redis(monkeypatch):
    """A redis-server of this test's own (never the shared one), stopped by the test to simulate an outage."""
    binary = shutil.which("redis-server")
    if not binary:
        service_missing("redis-server is not installed")
    process = subprocess.Popen([binary, "--port", str(PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=PORT)
    wait_until(lambda: _pings(client), timeout=10)
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    url = f"redis://127.0.0.1:{PORT}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads the environment before its own settings
    app.conf.broker_url, app.conf.task_always_eager = url, False
    reset_pools()
    assert app.connection_for_write().as_uri().endswith(f":{PORT}/0")
    yield process
    process.kill()
    process.wait()
    monkeypatch.undo()
    app.conf.broker_url, app.conf.task_always_eager = saved
    reset_pools()


def reset_pools():
    """Drop Celery's connection pools so the next send connects to the broker configured now."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu keeps producer pools per connection, globally


def _pings(client):
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 - not up yet
        return False


def stop(process):
    process.terminate()
    process.wait(timeout=10)
    reset_pools()


@pytest.mark.django_db
def test_redis_down_when_a_caseworker_starts_a_recompute(client, oslo, caseworker, own_redis,
                                                         django_capture_on_commit_callbacks):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1))
    stop(own_redis)
    client.force_login(caseworker)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grants:recompute", args=["0301", "2020-06"]))
    assert response.status_code == 302 and time.monotonic() - started < 15
    run = PaymentRun.objects.get()
    assert run.status == "failed" and "køtjenesten ikke svarer" in run.message
    page = client.get(reverse("grants:payment_month", args=["0301", "2020-06"])).content.decode()
    assert "køtjenesten ikke svarer" in page and "Beregn på nytt" in page  # it can be started again


@pytest.mark.django_db
def test_redis_down_when_an_administrator_confirms_a_large_import(client, oslo, administrator, own_redis,
                                                                  django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = [HEADER] + [f"0301;961793386;Åsen;{3000000 + i};Lege {i};{500 + i};1500;900;2021-{m:02d}"
                       for i in range(100) for m in range(1, 12)]
    client.force_login(administrator)
    client.post(reverse("practices:import_index"),
                {"file": SimpleUploadedFile("stor.csv", ("\n".join(rows) + "\n").encode())})
    job = ImportJob.objects.get()
    stop(own_redis)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("practices:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "preview" and "køtjenesten ikke svarer" in job.message
    assert ListCount.objects.count() == 0
    page = client.get(reverse("practices:import_detail", args=[job.pk])).content.decode()
    assert "Bekreft og importer" in page and "kan bekreftes på nytt" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_database_connection_during_an_import_writes_nothing(monkeypatch):
    from django.db import OperationalError, connections

    rows = [HEADER] + [f"0301;961793386;Åsen;{3000000 + i};Lege {i};{500 + i};1500;900;2021-01" for i in range(50)]
    def kill_connection_then(write):
        def written(*args, **kwargs):
            with connections["default"].cursor() as cursor:  # the server ends this session mid-transaction
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            return write(*args, **kwargs)
        return written

    # the row-by-row path writes the counts with bulk_create; the staged import (PostgreSQL) its holders and
    # counts after the practices, doctors and lists: either way the session ends half-way through the writes
    monkeypatch.setattr(ListCount.objects, "bulk_create", kill_connection_then(ListCount.objects.bulk_create))
    monkeypatch.setattr(list_import, "_staged_holders", kill_connection_then(list_import._staged_holders))
    with pytest.raises(OperationalError):
        list_import.import_file(user=None, data=("\n".join(rows) + "\n").encode(), filename="x.csv", dry_run=False)
    connection.close()
    monkeypatch.undo()
    assert (PatientList.objects.count(), ListCount.objects.count()) == (0, 0)
    job = ImportJob.objects.get()
    assert job.status == "failed" and "Ingenting er lagret" in job.message


def _start_worker(queue, env):
    import sys

    from tests.conftest import ARTIFACTS, ROOT

    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"killed-worker-{queue}.log", "a")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1", "--without-heartbeat",
         "--without-gossip", "--without-mingle", "-l", "info"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_a_recompute_is_redelivered_and_the_ledger_ends_identical(settings):
    """SIGKILL the worker while its recompute waits inside the transaction; a new worker gets the task again
    after the visibility timeout and the ledger equals an uninterrupted run's."""
    import os
    import signal
    import uuid

    import psycopg

    from grants.models import PaymentLine, PaymentMonth
    from grants.services import ledger
    from grants.tasks import recompute_month_task
    from tests.conftest import _redis_ok, subprocess_env

    broker = settings.CELERY_BROKER_URL
    if not broker or not _redis_ok(broker):
        service_missing("a Redis broker is needed (CELERY_BROKER_URL)")
    holders = [factories.ListHolderFactory() for _ in range(3)]
    for i, holder in enumerate(holders):
        factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1),
                                   antall_pasienter=400 + 500 * i)
    municipality = holders[0].patient_list.municipality
    ledger.recompute_month(municipality_id=municipality.pk, month=date(2020, 6, 1))
    expected = sorted(PaymentLine.objects.values_list("patient_list_id", "kind", "amount"))
    PaymentLine.objects.all().delete()
    month_row = PaymentMonth.objects.get()

    db = settings.DATABASES["default"]
    blocker = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                              dbname=db["NAME"])
    blocker.execute("SELECT 1 FROM grants_paymentmonth WHERE id = %s FOR UPDATE", [month_row.pk])  # holds the lock

    queue = f"kill-{uuid.uuid4().hex[:8]}"
    env = subprocess_env(CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=broker, CELERY_TASK_DEFAULT_QUEUE=queue,
                         CELERY_VISIBILITY_TIMEOUT="3", CELERY_UNACKED_RESTORE_INTERVAL="1",
                         CELERY_UNACKED_RESTORE_THROTTLE="1", DEBUG="0", SECRET_KEY="test-worker-key")
    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.update(task_always_eager=False, broker_url=broker, broker_transport_options={"visibility_timeout": 3})
    reset_pools()
    first = _start_worker(queue, env)
    second = None
    try:
        run = PaymentRun.objects.create(municipality=municipality, month=date(2020, 6, 1))
        recompute_month_task.apply_async([run.pk], queue=queue)
        wait_until(lambda: PaymentRun.objects.get(pk=run.pk).status == "running", timeout=60)
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker, in the middle of the recompute
        first.wait(timeout=10)
        blocker.rollback()
        assert PaymentLine.objects.count() == 0  # nothing half-written by the killed run
        second = _start_worker(queue, env)
        wait_until(lambda: PaymentRun.objects.get(pk=run.pk).status == "done", timeout=90)
        assert sorted(PaymentLine.objects.values_list("patient_list_id", "kind", "amount")) == expected
    finally:
        blocker.close()
        for process in (first, second):
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
        app.conf.update(task_always_eager=saved[0], broker_url=saved[1], broker_transport_options=saved[2])
        reset_pools()
