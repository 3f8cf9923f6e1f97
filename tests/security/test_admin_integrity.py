"""Frozen money and its audit records cannot be changed in the Django admin, not even by a superuser, and the
shipped reference rows have history from the start (issue 15, finding 5; docs/rates.md, docs/payments.md)."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.urls import reverse

from alis.models import SupervisionRequirement
from config.reference_data import ensure_reference_data
from core.history import SHIPPED_REASON
from grants.models import PaymentLine, PaymentMonth, PaymentRun, RateSchedule
from grants.services import ledger
from practices.models import ImportJob, ListCount
from tests import factories

pytestmark = pytest.mark.django_db
JUNE = date(2020, 6, 1)
FROZEN_MODELS = (PaymentLine, PaymentMonth, PaymentRun, ListCount, ImportJob)


@pytest.fixture
def root(db):
    return factories.UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def frozen(oslo, caseworker, caseworker2):
    """An authorised (closed) June with its lines, count, run and the imports that wrote counts."""
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    count = factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=1500)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    month = PaymentMonth.objects.get(municipality=oslo, month=JUNE)
    ledger.attest_month(payment_month=month, user=caseworker)
    month = ledger.authorise_month(payment_month=PaymentMonth.objects.get(pk=month.pk), user=caseworker2)
    assert month.is_closed
    return {
        "line": PaymentLine.objects.filter(month=JUNE, kind="basis_under").get(),
        "month": month,
        "run": PaymentRun.objects.create(municipality=oslo, month=JUNE, status=PaymentRun.Status.DONE, lines=2),
        "count": count,
        "list_import": ImportJob.objects.create(
            kind=ImportJob.Kind.LISTS, filename="lister.csv", status=ImportJob.Status.DONE, created=1
        ),
        "supervision_import": ImportJob.objects.create(
            kind=ImportJob.Kind.SUPERVISION, filename="veiledning.csv", status=ImportJob.Status.DONE, created=1
        ),
    }


def snapshot() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in FROZEN_MODELS}


def admin_url(obj_or_model, view, *args) -> str:
    opts = obj_or_model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def form_data(obj, **changes) -> dict:
    """What the admin change form would post for `obj`, with `changes`: a valid edit on today's forms."""
    data = {
        name: ("" if value is None else [v.pk for v in value] if isinstance(value, list) else value)
        for name, value in model_to_dict(obj).items()
        if not isinstance(value, FieldFile)
    }
    return {**data, **changes, "_save": "Lagre"}


# the edit an attacker would make on each kind of row
EDITS = {
    "line": {"amount": "1.00"},
    "month": {"status": "open"},
    "run": {"total": "1.00"},
    "count": {"antall_pasienter": 9999},
    "list_import": {"created": 0, "status": "failed"},
    "supervision_import": {"created": 0, "status": "failed"},
}


@pytest.mark.parametrize("key", EDITS)
def test_a_superuser_cannot_add_change_or_delete_frozen_rows_in_the_admin(client, root, frozen, key):
    obj = frozen[key]
    before = snapshot()
    client.force_login(root)

    assert client.get(admin_url(obj, "add")).status_code == 403
    assert client.post(admin_url(obj, "add"), form_data(obj, **EDITS[key])).status_code == 403
    assert client.post(admin_url(obj, "change", obj.pk), form_data(obj, **EDITS[key])).status_code == 403
    assert client.get(admin_url(obj, "delete", obj.pk)).status_code == 403
    assert client.post(admin_url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403
    # the bulk delete action is gone: posting it deletes nothing
    client.post(
        admin_url(obj, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )

    assert snapshot() == before
    assert PaymentMonth.objects.get(pk=frozen["month"].pk).is_closed


@pytest.mark.parametrize("key", EDITS)
def test_a_superuser_can_still_look(client, root, frozen, key, rf):
    obj = frozen[key]
    client.force_login(root)
    changelist = client.get(admin_url(obj, "changelist"))
    assert changelist.status_code == 200
    assert admin_url(obj, "add") not in changelist.content.decode()
    view = client.get(admin_url(obj, "change", obj.pk))
    assert view.status_code == 200
    assert view.context["has_change_permission"] is False and view.context["has_delete_permission"] is False
    request = rf.get("/")
    request.user = root
    assert "delete_selected" not in admin.site._registry[type(obj)].get_actions(request)


def test_a_closed_month_cannot_be_reverted_to_an_open_version_from_its_history(client, root, frozen):
    """SimpleHistoryAdmin's "revert" saves an old version after checking only the view permission."""
    month = frozen["month"]
    attested = month.history.earliest("history_date")  # before the authorisation
    assert attested.status == PaymentMonth.Status.ATTESTED
    before = snapshot()
    client.force_login(root)
    assert client.get(admin_url(month, "history", month.pk)).status_code == 200
    revert = admin_url(month, "simple_history", month.pk, attested.history_id)
    assert client.get(revert).status_code == 200
    assert client.post(revert, form_data(attested.instance)).status_code == 403
    assert snapshot() == before


def test_deleting_a_list_would_delete_its_counts_and_is_refused(client, root, oslo):
    """The admin refuses a delete that cascades into rows it may not delete itself."""
    count = factories.ListCountFactory(patient_list=factories.PatientListFactory(practice__municipality=oslo))
    client.force_login(root)
    response = client.post(admin_url(count.patient_list, "delete", count.patient_list.pk), {"post": "yes"})
    assert response.status_code == 403
    assert ListCount.objects.filter(pk=count.pk).exists()


# --- history of the shipped reference rows (docs/rates.md: every change kept in history) -----------------------


def assert_one_shipped_record_each(model, fields):
    for row in model.objects.all():
        records = list(row.history.all())
        assert len(records) == 1, row
        assert records[0].history_type == "+" and records[0].history_change_reason == SHIPPED_REASON
        assert [getattr(records[0], f) for f in fields] == [getattr(row, f) for f in fields]


RATE_FIELDS = "valid_from model knekkpunkt rate_under rate_over paid_up_to method status source".split()
REQUIREMENT_FIELDS = "kind valid_from hours per span_years status source".split()


def test_the_migrated_reference_rows_have_one_history_record_each():
    assert RateSchedule.objects.count() == 8 and SupervisionRequirement.objects.exists()
    assert_one_shipped_record_each(RateSchedule, RATE_FIELDS)
    assert_one_shipped_record_each(SupervisionRequirement, REQUIREMENT_FIELDS)


def test_reference_data_reloaded_after_a_flush_has_the_same_history():
    for model in (RateSchedule, SupervisionRequirement):
        model.history.all().delete()
        model.objects.all().delete()
    ensure_reference_data()
    ensure_reference_data()  # idempotent: rows with history get no second record
    assert RateSchedule.objects.count() == 8
    assert_one_shipped_record_each(RateSchedule, RATE_FIELDS)
    assert_one_shipped_record_each(SupervisionRequirement, REQUIREMENT_FIELDS)


def test_the_first_change_of_a_shipped_rate_in_the_admin_keeps_the_old_value(client, root):
    rate = RateSchedule.objects.get(valid_from=date(2020, 5, 1))
    assert rate.rate_under == Decimal("577.00")
    client.force_login(root)
    response = client.post(admin_url(rate, "change", rate.pk), form_data(rate, rate_under="580.00"))
    assert response.status_code == 302, response.content.decode()[:2000]

    history = list(rate.history.order_by("history_date").values_list("history_type", "rate_under", "history_user"))
    assert history == [("+", Decimal("577.00"), None), ("~", Decimal("580.00"), root.pk)]
