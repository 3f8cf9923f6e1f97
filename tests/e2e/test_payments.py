"""Browser: a caseworker recomputes a month (real worker, progress bar), attests; a second one authorises; XLSX."""

from datetime import date

import openpyxl
import pytest

from grants.models import PaymentMonth
from tests import factories
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_recompute_attest_authorise_and_download(page, oslo, tmp_path):
    factories.member(oslo, "caseworker", username="ola")
    factories.member(oslo, "caseworker", username="siri")
    for n in (800, 1500):
        holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
        factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=n)

    login(page, "ola")
    page.get_by_role("link", name="Utbetalinger", exact=True).click()
    page.fill("#maaned", "2020-06")
    page.get_by_role("button", name="Åpne", exact=True).click()
    assert "Ingen linjer for denne måneden" in page.get_by_test_id("lines").inner_text()
    page.get_by_role("button", name="Beregn på nytt").click()
    assert page.get_by_test_id("run-progress").or_(page.get_by_test_id("month-total")).count() >= 1
    assert "Beregningen er startet" in page.locator(".alert-success").first.inner_text()  # a worker runs it
    page.get_by_text("38\xa0466,67 kr").first.wait_for(timeout=60_000)
    assert page.get_by_test_id("month-total").inner_text() == "107\xa0341,67 kr"  # 38 466,67 + 48 083,33 + 20 791,67
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Attester").click()
    assert "Måneden er attestert" in page.locator(".alert-success").inner_text()
    assert page.get_by_role("button", name="Anvis og lukk").is_disabled()
    page.screenshot(path="test-artifacts/payments-attested.png", full_page=True)
    assert_accessible(page)

    page.get_by_role("button", name="Logg ut").click()
    login(page, "siri")
    page.goto(page.base_url + "/utbetalinger/0301/2020-06/")
    page.get_by_role("button", name="Anvis og lukk").click()
    assert "Anvist og lukket" in page.locator("h1").inner_text()
    assert PaymentMonth.objects.get(month=date(2020, 6, 1)).status == "closed"

    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    assert target.name == "utbetalinger-0301-2020-06.xlsx"
    rows = list(openpyxl.load_workbook(target).active.values)
    assert rows[0][:3] == ("Kommunenr.", "Listenr.", "HPR-nr.") and len(rows) == 5 and rows[-1][0] == "Sum"
    assert sorted(float(r[7]) for r in rows[1:-1]) == [20791.67, 38466.67, 48083.33]
    page.screenshot(path="test-artifacts/payments-closed.png", full_page=True)


def test_the_menu_fits_one_line_at_1366_px_and_nothing_leaves_the_screen_at_1280(page, oslo, bergen):
    """Ten menu entries, the municipality switch and «Logg ut» (issue 18, point 10)."""
    from practices.models import Membership

    user = factories.member(oslo, "caseworker", username="ola")
    Membership.objects.create(user=user, municipality=bergen, role="caseworker")
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, "ola")
    menu = page.get_by_role("navigation", name="Hovedmeny")
    for name in ("Rapport", "Satser"):
        assert menu.get_by_role("link", name=name, exact=True).is_visible()
    tops = {round(box["y"]) for box in (item.bounding_box() for item in menu.locator(".nav-link").all())}
    assert len(tops) == 1 and menu.get_by_role("button", name="Logg ut").bounding_box()["y"] < 40
    page.screenshot(path="test-artifacts/menu-1366.png")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    logout = menu.get_by_role("button", name="Logg ut").bounding_box()
    assert logout["x"] + logout["width"] <= 1280


def test_at_390_px_no_amount_sits_off_screen(page, oslo):
    """The month page and the list table on a phone: each line is a card with its column names (issue 18)."""
    factories.member(oslo, "caseworker", username="ola")
    for n in (800, 1500):
        holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
        factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=n)
    from grants.services import ledger

    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "ola")
    for path, testid, label in (("/utbetalinger/0301/2020-06/", "lines", "Antall: "),
                                ("/lister/", "lists-table", "Pasienter: ")):
        page.goto(page.base_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        table = page.get_by_test_id(testid)
        before = table.locator("td.num").first.evaluate("td => getComputedStyle(td, '::before').content")
        assert label in before  # the column's name stands beside each value
        for cell in table.locator("td.num").all():
            box = cell.bounding_box()
            assert box is None or box["x"] + box["width"] <= 390
        page.screenshot(path=f"test-artifacts/mobile-{testid}.png", full_page=True)
    page.goto(page.base_url + "/")  # the dashboard: the worklist before the key figures on a phone
    assert page.get_by_test_id("worklist").bounding_box()["y"] < page.get_by_test_id("key-figures").bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="test-artifacts/mobile-dashboard.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 844})
    assert page.get_by_test_id("worklist").bounding_box()["y"] > page.get_by_test_id("key-figures").bounding_box()["y"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/utbetalinger/0301/2020-06/")
    assert page.get_by_test_id("month-total").is_visible()
    box = page.get_by_test_id("month-total").bounding_box()
    assert box["x"] + box["width"] <= 390
    assert_accessible(page)
    # every other table page: a table too wide for the phone becomes cards (app.js), nothing scrolls sideways
    for path in ("/utbetalinger/", "/rapport/?fra=2020-01&til=2020-12", "/grunntilskudd/", "/alis/",
                 "/legekontor/", "/satser/", "/import/", "/hva-om/"):
        page.goto(page.base_url + path)
        assert fits_a_phone(page) == [], path
    page.goto(page.base_url + "/rapport/?fra=2020-01&til=2020-12")
    assert "Sum: " in page.get_by_test_id("report").locator("td.fw-bold").first.evaluate(
        "td => getComputedStyle(td, '::before').content")
    page.screenshot(path="test-artifacts/mobile-report.png", full_page=True)


def fits_a_phone(page) -> list[str]:
    """What a phone's user cannot see: a visible cell, link or button past the screen's edge, or a box that
    scrolls sideways."""
    return page.evaluate("""() => {
      const width = document.documentElement.clientWidth, off = [];
      for (const el of document.querySelectorAll('main td, main th, main a, main button, main .num')) {
        const box = el.getBoundingClientRect();
        if (box.width && (box.right > width + 1 || box.left < -1))
          off.push(el.tagName + ' ' + el.textContent.trim().slice(0, 30));
      }
      for (const el of document.querySelectorAll('main *')) {
        const sideways = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
        if (sideways && el.scrollWidth > el.clientWidth + 1) off.push('scrolls: ' + el.className);
      }
      if (document.documentElement.scrollWidth > width) off.push('page ' + document.documentElement.scrollWidth);
      return off;
    }""")
