"""Browser: from the doctor's page to the yearly statement (docs/payments.md «Årsoppgave»), its PDF downloaded."""

from datetime import date
from decimal import Decimal

import pytest

from grants.models import PaymentLine, PaymentMonth
from tests import factories
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_yearly_statement_from_the_doctors_page(page, oslo):
    factories.member(oslo, "auditor", username="revisor")
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, doctor__hpr_nummer="1234567",
                                         doctor__name="Kari Nordmann")
    for number in range(1, 7):
        month = date(2022, number, 1)
        PaymentMonth.objects.create(municipality=oslo, month=month,
                                    status="closed" if number <= 4 else "open")
        for kind, amount in (("basis_under", "54416.67"), ("basis_over", "8766.67")):
            PaymentLine.objects.create(municipality=oslo, month=month, doctor=holder.doctor, kind=kind,
                                       patient_list=holder.patient_list, amount=Decimal(amount), explanation="x")

    login(page, "revisor")
    page.goto(page.base_url + f"/leger/{holder.doctor.pk}/")
    page.get_by_role("link", name="2022 – Oslo kommune").click()
    statement = page.get_by_test_id("yearly-statement")
    assert page.get_by_test_id("statement-total").inner_text() == "252\xa0733,36 kr"  # 4 × 63 183,34
    assert "Ikke med: mai–desember 2022 er ikke anvist ennå." in statement.inner_text()
    assert "Dette er ikke en skatteoppgave." in statement.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "arsoppgave.png"), full_page=True)
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_test_id("statement-pdf").click()
    assert download_info.value.suggested_filename == "arsoppgave-2022-0301-hpr-1234567.pdf"
    target = ARTIFACTS / "arsoppgave.pdf"
    download_info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
