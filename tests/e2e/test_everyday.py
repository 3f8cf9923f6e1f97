"""Browser: what a municipal user meets every day (issue 18, points 6 and 10) — dated figures, a report that opens
where the data is, an error summary that links to its fields, Norwegian dates and months, no case forms for a
superuser without a role, and the API docs where a reader of /api/v1/ looks."""

from datetime import date

import pytest

from grants.models import GrunntilskuddApplication
from grants.services import cases, ledger
from tests import factories
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dated_figures_error_summary_norwegian_dates_and_no_forms_for_a_superuser(page, oslo, django_user_model):
    administrator = factories.member(oslo, "administrator", username="kari")
    for n in (300, 1500):
        holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000)
        factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=n,
                                   listetak=1000)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))

    # 6: the key figures and charts say the month they rest on; the size chart counts lists
    login(page, "kari")
    assert page.get_by_test_id("figures-as-of").inner_text() == (
        "Nøkkeltall per juni 2020, fra hver listes siste listetall.")
    assert page.get_by_test_id("chart-period").first.inner_text() == "juni 2020 – juni 2020"
    assert page.get_by_text("Antall lister etter siste listetall, per juni 2020").is_visible()
    page.screenshot(path="test-artifacts/dashboard-dated.png", full_page=True)

    # 6: the report opens on the year up to the latest month with data, and says when a period has none
    page.get_by_role("link", name="Rapport", exact=True).click()
    assert page.locator("h1").inner_text().endswith("januar 2020 – juni 2020")
    assert page.get_by_test_id("report").get_by_role("link", name="juni 2020").is_visible()  # 10: months in words
    page.fill("#fra", "2026-01")
    page.fill("#til", "2026-03")
    with page.expect_navigation():
        page.get_by_role("button", name="Vis").click()
    empty = page.get_by_test_id("report-empty")
    assert "Ingen måned fra januar 2026 til mars 2026 er beregnet for kommunen." in empty.inner_text()
    with page.expect_navigation():
        empty.get_by_role("link", name="Siste måned med data er juni 2020.").click()
    assert page.locator("h1").inner_text().endswith("juni 2020 – juni 2020")
    page.screenshot(path="test-artifacts/report-latest-month.png", full_page=True)

    # 10: a form sent with errors opens on a summary that links to each field; dates are dd.mm.åååå
    page.goto(page.base_url + "/lister/ny/")
    assert page.locator("#id_active_from").get_attribute("placeholder") == "dd.mm.åååå"
    page.fill("#id_listenummer", "77")
    page.fill("#id_active_from", "31.02.2020")
    page.get_by_role("button", name="Lagre").click()
    summary = page.get_by_test_id("error-summary")
    assert summary.evaluate("el => el === document.activeElement")  # a screen reader starts here
    links = summary.get_by_role("link")
    assert links.count() >= 2 and "Legekontor" in summary.inner_text() and "Aktiv fra" in summary.inner_text()
    summary.get_by_role("link", name="Aktiv fra", exact=False).click()
    assert page.evaluate("document.activeElement.id") == "id_active_from"
    page.screenshot(path="test-artifacts/form-error-summary.png", full_page=True)
    assert_accessible(page)

    # 8: the case page in nynorsk and English: its checks, months and history follow the language
    case = cases.save_grunntilskudd_draft(user=administrator, patient_list=holder.patient_list,
                                          avtale_fra=date(2020, 6, 15))
    page.goto(page.base_url + f"/grunntilskudd/{case.pk}/")
    for language, covers, created in (("nn", "Dekkjer juni 2020 til mai 2022.", "Oppretta"),
                                      ("en", "Covers June 2020 to May 2022.", "Created")):
        with page.expect_navigation():
            page.select_option("#language-switch", language)
        assert page.get_by_text(covers).is_visible(), language
        assert created in page.get_by_test_id("timeline").inner_text()
        page.screenshot(path=f"test-artifacts/case-{language}.png", full_page=True)
    with page.expect_navigation():
        page.select_option("#language-switch", "nb")

    # 10: the superuser, who holds no role in Oslo, is shown the case but no forms she cannot send
    django_user_model.objects.create_superuser("root", password=factories.PASSWORD)
    page.get_by_role("button", name="Logg ut").click()
    login(page, "root")
    page.goto(page.base_url + f"/grunntilskudd/{case.pk}/")
    assert page.get_by_test_id("no-actions").inner_text().startswith("Du har ingen rolle i 0301")
    assert page.locator("form[data-testid^=action-]").count() == 0
    assert GrunntilskuddApplication.objects.get().status == "utkast"
    page.screenshot(path="test-artifacts/superuser-case.png", full_page=True)

    # 10: /api/v1/docs/ leads to the API's documentation
    page.goto(page.base_url + "/api/v1/docs/")
    assert page.url.endswith("/api/docs/")
    page.locator(".swagger-ui").wait_for()
