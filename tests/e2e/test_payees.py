"""Browser: an administrator enters a payee paid to the doctor's company; a caseworker confirms the account
(docs/payments.md, «Utbetalingsmottakere»)."""

import pytest

from payout.models import Payee
from tests import factories
from tests.e2e.conftest import assert_accessible, login
from tests.factories_payout import valid_kontonummer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_enters_a_company_and_a_caseworker_confirms_it(page, oslo):
    factories.member(oslo, "administrator", username="kari")
    factories.member(oslo, "caseworker", username="ola")
    factories.ListHolderFactory(patient_list__practice__municipality=oslo, doctor__hpr_nummer="1234567",
                                doctor__name="Kari Lege")
    account = valid_kontonummer(3)
    dotted = f"{account[:4]}.{account[4:6]}.{account[6:]}"

    login(page, "kari")
    page.get_by_role("link", name="Utbetalinger", exact=True).click()
    page.get_by_role("link", name="Utbetalingsmottakere").click()
    page.get_by_role("link", name="Ny mottaker").click()
    page.get_by_label("Legens HPR-nummer").fill("1234567")
    page.get_by_label("Mottakerens navn").fill("Kari Lege Legetjenester AS")
    page.get_by_label("Organisasjonsnummer").fill(factories.valid_orgnr(700))
    page.get_by_label("Kontonummer").fill(dotted)
    page.get_by_role("button", name="Lagre").click()
    assert "venter på bekreftelse" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("payee-status").inner_text() == "Venter på bekreftelse"
    assert page.get_by_role("button", name="Bekreft kontonummeret").is_disabled()  # not a caseworker
    page.get_by_role("button", name="Logg ut").click()

    login(page, "ola")
    page.goto(page.base_url + "/utbetalingsmottakere/?status=venter")
    page.get_by_role("link", name="Kari Lege").click()
    page.get_by_role("button", name="Bekreft kontonummeret").click()
    assert "Kontonummeret er bekreftet" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("payee-status").inner_text() == "Bekreftet"
    history = page.get_by_test_id("history").inner_text()
    assert "Kontonummer bekreftet" in history and f"Kontonummer: {dotted}" in history
    payee = Payee.objects.get()
    assert payee.confirmed_by.username == "ola" and payee.entered_by.username == "kari"
    page.screenshot(path="test-artifacts/payees.png", full_page=True)
    assert_accessible(page)
