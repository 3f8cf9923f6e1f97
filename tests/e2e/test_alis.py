"""Browser: an administrator registers an ALIS agreement and submits it, a caseworker approves it, and the
administrator logs supervision and sees the compliance bar move (htmx, no page reload)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alis.models import AlisAgreement, SupervisionSession
from tests import factories
from tests.e2e.conftest import assert_accessible, login
from tests.factories_alis import SpecialistFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_submit_approve_and_log_supervision(page, oslo):
    factories.member(oslo, "administrator", username="kari")
    factories.member(oslo, "caseworker", username="ola")
    practice = factories.PracticeFactory(municipality=oslo, name="Majorstuen legesenter")
    alis = factories.DoctorFactory(name="Ida ALIS", hpr_nummer="8100001")
    supervisor = SpecialistFactory(name="Vidar Veileder", hpr_nummer="8100002")
    start = timezone.localdate() - timedelta(days=75)  # two agreement months have ended

    login(page, "kari")
    page.get_by_role("link", name="ALIS", exact=True).click()
    page.get_by_role("link", name="Ny ALIS-avtale").click()
    page.fill("#id_avtalenummer", "ALIS-2026-01")
    page.select_option("#id_practice", label=practice.name)
    page.fill("#id_doctor_hpr", alis.hpr_nummer)
    page.fill("#id_supervisor_hpr", supervisor.hpr_nummer)
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_annual_payment", "180000")
    page.get_by_role("button", name="Lagre utkast").click()
    assert "Avtalen er lagret som utkast." in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("status").first.inner_text() == "Utkast"
    page.get_by_role("button", name="Send inn til saksbehandler").click()
    assert page.get_by_test_id("status").first.inner_text() == "Innsendt"
    # the administrator may not approve: the button is disabled and says why
    assert page.get_by_role("button", name="Godkjenn").is_disabled()
    assert "Bare saksbehandlere" in page.get_by_test_id("approve-reason").inner_text()
    agreement = AlisAgreement.objects.get(avtalenummer="ALIS-2026-01")
    page.get_by_role("button", name="Logg ut").click()

    login(page, "ola")
    page.goto(f"{page.base_url}/alis/{agreement.pk}/")
    checks = page.get_by_test_id("checks").inner_text()
    assert "Ida ALIS er ikke spesialist" in checks and "Vidar Veileder er spesialist" in checks
    page.get_by_role("button", name="Godkjenn").click()
    assert "Avtalen er godkjent." in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("status").first.inner_text() == "Godkjent"
    assert 'data-testid="session-form"' not in page.content()  # caseworkers do not log supervision
    page.get_by_role("button", name="Logg ut").click()

    login(page, "kari")
    page.goto(f"{page.base_url}/alis/{agreement.pk}/")
    logged = page.get_by_test_id("individual-year-1-logged")
    bar = page.get_by_test_id("individual-year-1-bar")
    assert logged.inner_text() == "0" and bar.get_attribute("style") == "width: 0%"
    assert "Etter skjema" in page.locator("h1").inner_text()
    page.screenshot(path="test-artifacts/alis-before-supervision.png", full_page=True)
    form = page.get_by_test_id("session-form")
    form.locator("#id_date").fill((start + timedelta(days=14)).isoformat())
    form.locator("#id_hours").fill("5.5")
    form.locator("#id_note").fill("Gjennomgang av konsultasjoner")
    form.get_by_role("button", name="Registrer").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=individual-year-1-logged]').textContent === '5,5'")
    assert bar.get_attribute("style") != "width: 0%"
    assert "Gjennomgang av konsultasjoner" in page.get_by_test_id("sessions").inner_text()
    # a group session: the form shows the group leader field instead of the supervisor
    form = page.get_by_test_id("session-form")
    form.locator("#id_kind").select_option("gruppe")
    assert form.locator("#div_id_supervisor").is_hidden()
    form.locator("#id_date").fill((start + timedelta(days=20)).isoformat())
    form.locator("#id_hours").fill("6")
    form.locator("#id_group_leader").fill("Veiledningsgruppe Oslo sentrum")
    form.get_by_role("button", name="Registrer").click()
    page.wait_for_function("() => document.querySelector('[data-testid=group-logged]').textContent === '6'")
    # a refused session shows its Norwegian message in place
    form = page.get_by_test_id("session-form")
    form.locator("#id_date").fill((timezone.localdate() + timedelta(days=1)).isoformat())
    form.locator("#id_hours").fill("1")
    form.get_by_role("button", name="Registrer").click()
    page.get_by_test_id("error-summary").get_by_text("er fram i tid").wait_for()  # the summary links to the field
    assert SupervisionSession.objects.filter(agreement=agreement).count() == 2
    assert_accessible(page)
    page.screenshot(path="test-artifacts/alis-supervision-logged.png", full_page=True)
