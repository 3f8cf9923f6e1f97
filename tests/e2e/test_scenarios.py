"""Browser: a caseworker creates a scenario, it is computed by a real worker (progress bar), and the result
page shows the comparison chart and the hand-computed numbers; then the built-in report."""

from datetime import date

import pytest

from scenarios.models import Scenario
from tests import factories
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def chart_drawn(page, testid: str) -> bool:
    """Chart.js has drawn on the canvas (not just that the element exists)."""
    return page.evaluate(f"() => !!Chart.getChart(document.querySelector('[data-testid={testid}]'))")


def test_create_a_scenario_and_see_the_comparison(page, oslo, settings):
    settings.SCENARIO_ASYNC_LIST_MONTHS = 0  # even this small scope goes to the worker, with a progress bar
    factories.member(oslo, "caseworker", username="ola")
    for n in (800, 1500):
        holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
        for month in (date(2020, 5, 1), date(2020, 6, 1)):
            factories.ListCountFactory(patient_list=holder.patient_list, month=month, antall_pasienter=n)

    login(page, "ola")
    menu = page.get_by_role("navigation", name="Hovedmeny")
    menu.get_by_role("link", name="Hva om", exact=True).click()
    page.get_by_role("link", name="Nytt scenario").click()
    page.fill("#id_name", "Knekkpunkt 1 200")
    page.fill("#id_period_from", "2020-05")
    page.fill("#id_period_to", "2020-06")
    page.fill("#id_knekkpunkt", "1200")
    page.get_by_role("button", name="Lagre og beregn").click()
    # the 1 500-list gets 200 patients more at 577 instead of 499: 200 × 78 / 12 = 1 300 a month
    page.get_by_test_id("total-difference").wait_for(timeout=60_000)
    assert page.get_by_test_id("total-difference").inner_text() == "+2\xa0600,00 kr"
    assert page.get_by_test_id("total-actual").inner_text() == "214\xa0683,34 kr"  # 2 × (38 466,67 + 68 875,00)
    assert "1 får mer, 0 får mindre, 1 uendret" in page.get_by_test_id("lists-gain-lose").inner_text()
    for chart in ("comparison-chart", "histogram-chart", "curve-chart"):
        assert chart_drawn(page, chart), chart
    assert "+1\xa0300,00 kr" in page.get_by_test_id("month-2020-06").inner_text()
    scenario = Scenario.objects.get()
    assert scenario.runs.get().timings["total"] > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scenario-result.png"), full_page=True)
    assert_accessible(page)

    menu.get_by_role("link", name="Hva om", exact=True).click()
    page.get_by_role("link", name="Effekt av handlingsplanen").click()
    page.get_by_role("button", name="Beregn rapporten").click()
    page.get_by_test_id("report-effect").wait_for(timeout=60_000)
    # 2020-05 and 2020-06 alike: 1 500 × (577/499 with knekkpunkt) − 1 500 × 499 = 6 500; 800 × 78 / 12 = 5 200
    assert page.get_by_test_id("report-effect").inner_text() == "+23\xa0400,00 kr"
    assert chart_drawn(page, "report-chart")
    page.screenshot(path=str(ARTIFACTS / "scenario-report.png"), full_page=True)
    assert_accessible(page)
