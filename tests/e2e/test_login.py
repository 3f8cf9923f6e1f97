"""The demo caseworker logs in and sees the Norwegian dashboard (from the foundation tests, issue 1)."""

import pytest
from django.core.management import call_command

from tests.e2e.conftest import assert_accessible, login

pytestmark = pytest.mark.django_db


@pytest.mark.browser
def test_demo_caseworker_logs_in_and_sees_the_norwegian_dashboard(page):
    call_command("load_demo")
    login(page, "ola.saksbehandler", "demo-fastlege-2020")
    assert page.locator("h1").inner_text() == "Oversikt"
    assert page.locator("html").get_attribute("lang") == "nb"
    assert "0301 Oslo" in page.locator("#municipality-switch option[selected]").inner_text()
    assert page.get_by_role("link", name="Oversikt").is_visible()
    assert_accessible(page)
