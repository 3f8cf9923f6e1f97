"""The recompute after an import (docs/import.md): one run per municipality and month, carried out by one task
month by month, each month computed once for all its municipalities; the import's page follows the runs."""

import pytest
from django.urls import reverse

from grants.models import PaymentLine, PaymentRun
from grants.services import ledger
from practices.services.list_import import import_file
from tests.helpers import DATA

pytestmark = pytest.mark.django_db


def test_an_import_recomputes_its_months_with_one_task_and_one_computation_per_month(
        monkeypatch, django_capture_on_commit_callbacks):
    sent, computed = [], []
    queue, recompute_months = ledger._queue, ledger.recompute_months
    monkeypatch.setattr(ledger, "_queue", lambda task, ids, argument: (sent.append(ids), queue(task, ids, argument)))
    monkeypatch.setattr(ledger, "recompute_months", lambda **kwargs: (
        computed.append((kwargs["month"], len(kwargs["municipality_ids"]))), recompute_months(**kwargs))[1])
    with django_capture_on_commit_callbacks(execute=True):
        job = import_file(user=None, data=(DATA / "lister_eksempel.csv").read_bytes(), filename="l.csv",
                          dry_run=False, source="cli")
    assert len(job.months) == 6
    runs = PaymentRun.objects.filter(import_job=job)
    assert runs.count() == 24 and set(runs.values_list("status", flat=True)) == {"done"}  # 4 municipalities × 6
    assert len(sent) == 1 and sorted(sent[0]) == sorted(runs.values_list("pk", flat=True))
    assert [n for _, n in computed] == [4] * 6 and [m for m, _ in computed] == sorted(m for m, _ in computed)
    assert PaymentLine.objects.exists()


def test_the_import_page_follows_the_recompute_of_the_users_municipalities(client, administrator,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_file(user=None, data=(DATA / "lister_eksempel.csv").read_bytes(), filename="l.csv",
                          dry_run=False, source="cli")
    oslo_runs = PaymentRun.objects.filter(import_job=job, municipality=administrator.memberships.get().municipality)
    PaymentRun.objects.filter(import_job=job).update(status=PaymentRun.Status.QUEUED)
    oslo_runs.filter(month__lte="2020-04-01").update(status=PaymentRun.Status.DONE)
    client.force_login(administrator)
    page = client.get(reverse("practices:import_detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-recompute"' in page and "2 av 6" in page and "hx-get" in page
    oslo_runs.update(status=PaymentRun.Status.DONE)
    part = client.get(reverse("practices:import_recompute", args=[job.pk])).content.decode()
    assert "6 kommunemåneder" in part and "hx-get" not in part
