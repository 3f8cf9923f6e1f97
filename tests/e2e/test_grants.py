"""Browser: an administrator applies for grunntilskudd; a caseworker approves; the next recompute pays it."""

from datetime import date

import pytest

from grants.models import GrunntilskuddApplication
from grants.services import cases
from tests import factories
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_apply_approve_and_see_the_grunntilskudd_line(page, oslo, monkeypatch):
    factories.member(oslo, "administrator", username="kari")
    factories.member(oslo, "caseworker", username="ola")
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000,
                                         patient_list__listenummer="42")
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=300,
                               listetak=1000)
    monkeypatch.setattr(cases, "today", lambda: date(2020, 7, 1))  # the live server runs in this process

    login(page, "kari")
    page.get_by_role("link", name="Grunntilskudd", exact=True).click()
    page.get_by_role("link", name="Ny sak").click()
    page.select_option("#id_patient_list", label=f"0301/42 – {holder.patient_list.practice.name}")
    page.fill("#id_avtale_fra", "2020-06-15")
    page.locator("#id_saksnummer").click()  # change event → the live eligibility panel
    page.get_by_text("Listen har 300 pasienter per juni 2020 – under 500.").wait_for()
    page.fill("#id_saksnummer", "20/4711")
    page.get_by_role("button", name="Lagre utkast").click()
    page.get_by_test_id("action-submit").get_by_role("button", name="Send inn").click()
    assert "Innsendt" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Logg ut").click()

    login(page, "ola")
    case = GrunntilskuddApplication.objects.get()
    page.get_by_role("link", name=f"Grunntilskudd #{case.pk}").click()  # from the worklist
    page.get_by_test_id("action-approve").get_by_role("button", name="Innvilg").click()
    assert "Innvilget" in page.locator("h1").inner_text()
    # the decision's PDF letter is listed on the case page and downloads under its archive name
    name = f"vedtak-20-4711-grunntilskudd-{case.pk}-innvilget.pdf"
    letters = page.get_by_test_id("letters")
    assert "Vedtak om innvilgelse" in letters.inner_text() and name in letters.inner_text()
    page.screenshot(path="test-artifacts/grunntilskudd-approved.png", full_page=True)
    with page.expect_download() as download:
        letters.get_by_role("link", name=name).click()
    assert download.value.suggested_filename == name
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    assert_accessible(page)

    page.goto(page.base_url + "/utbetalinger/0301/2020-06/")
    page.get_by_role("button", name="Beregn på nytt").click()
    page.get_by_text("Grunntilskudd: listen betales som om den hadde 500 pasienter").first.wait_for(timeout=60_000)
    lines = page.get_by_test_id("lines").inner_text()
    assert "9\xa0616,67 kr" in lines and "14\xa0425,00 kr" in lines
    page.screenshot(path="test-artifacts/grunntilskudd-payment.png", full_page=True)
    assert_accessible(page)
