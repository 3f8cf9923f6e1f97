"""Browser: from an authorised month to the bank's file and the voucher (issue 19, docs/payments.md «Betalingsfil og
bilag»). A caseworker picks an execution date, makes the file, downloads it and the voucher."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payout import pain001
from payout.services.payees import confirm_payee
from tests import factories
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import assert_accessible, login
from tests.payout import month_scene
from tests.payout.month_scene import ANNA, BERIT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_caseworker_makes_the_payment_file_and_downloads_it_and_the_voucher(page, oslo, tmp_path):
    ola = factories.member(oslo, "caseworker", username="ola")
    siri = factories.member(oslo, "caseworker", username="siri")
    scene = month_scene.build(oslo, ola, siri, entered_by=ola)
    login(page, "ola")
    page.goto(page.base_url + "/utbetalinger/0301/2020-06/")
    section = page.get_by_test_id("payment-section")
    assert "Berit Lege (HPR 1000002)" in section.get_by_test_id("payees-to-fix").inner_text()
    assert section.get_by_role("button", name="Lag betalingsfil").is_disabled()
    confirm_payee(user=siri, payee=scene["payees"]["berit"])  # the second person confirms the account

    page.reload()
    day = timezone.localdate() + timedelta(days=2)
    section.get_by_label("Ønsket betalingsdato").fill(day.strftime("%d.%m.%Y"))
    section.get_by_role("button", name="Lag betalingsfil").click()
    assert "Betalingsfilen er laget: 2 transaksjoner" in page.locator(".alert-success").inner_text()
    assert section.get_by_test_id("file-transactions").inner_text() == "2"
    assert section.get_by_test_id("file-sum").inner_text() == "107\xa0341,67 kr"
    assert section.get_by_test_id("execution-date").inner_text() == day.strftime("%d.%m.%Y")
    assert "Carl Lege" in section.get_by_test_id("payees-owing").inner_text()
    page.get_by_test_id("payment-section").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "payout-month.png"), full_page=True)
    assert_accessible(page)

    with page.expect_download() as download_info:
        section.get_by_test_id("download-payment-file").click()
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    assert target.name == "betalingsfil-0301-2020-06.xml"
    summary = pain001.read(target.read_bytes())
    assert (summary.transactions, summary.control_sum, summary.execution_date) == (2, ANNA + BERIT, day)
    assert sum(t.amount for t in summary.transfers) == summary.control_sum
    assert sorted(t.amount for t in summary.transfers) == sorted([ANNA, BERIT])

    with page.expect_download() as download_info:
        section.get_by_test_id("download-voucher").click()
    sheet = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(sheet)
    rows = list(csv.DictReader(io.StringIO(sheet.read_text("utf-8-sig")), delimiter=";"))
    assert sum(Decimal(r["belop"]) for r in rows) == 0 and rows[-1]["tekst"].startswith("Motpost")
    assert sum(Decimal(r["belop"]) for r in rows[:-1]) == summary.control_sum
