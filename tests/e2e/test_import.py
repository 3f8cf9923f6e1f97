"""Browser: upload with an error → fix → preview → confirm → progress bar (Celery worker) → counts on the list."""

import pytest

from practices.models import ListCount
from tests import factories
from tests.e2e.conftest import assert_accessible, login
from tests.helpers import DATA
from tests.helpers import LIST_HEADER as HEADER

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def big_file(bad=False) -> bytes:
    """1,100 rows (over the 1,000-row threshold, so a Celery task imports it)."""
    rows = [HEADER]
    for list_number in range(100):
        for month in range(1, 12):
            count = 900 + list_number + month
            rows.append(f"0301;961793386;Åsen legesenter;{3000000 + list_number};Lege {list_number};"
                        f"{500 + list_number};1500;{'abc' if bad and (list_number, month) == (5, 3) else count};"
                        f"2021-{month:02d}")
    return ("\n".join(rows) + "\n").encode()


def test_administrator_fixes_a_file_imports_it_and_finds_the_counts(page, oslo, tmp_path):
    factories.member(oslo, "administrator", username="kari")
    login(page, "kari")
    page.get_by_role("link", name="Import", exact=True).click()

    bad = tmp_path / "lister.csv"
    bad.write_bytes(big_file(bad=True))
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="Last opp og kontroller").click()
    errors = page.get_by_test_id("import-errors")
    assert "Filen ble avvist. Ingenting er lagret." in page.get_by_test_id("import-failed").inner_text()
    assert "antall_pasienter" in errors.inner_text() and "«abc»" in errors.inner_text()
    assert errors.locator("tbody tr").first.locator("td").first.inner_text() == "59"
    assert ListCount.objects.count() == 0

    page.get_by_role("link", name="Last opp en rettet fil").click()
    good = tmp_path / "lister-rettet.csv"
    good.write_bytes(big_file())
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="Last opp og kontroller").click()
    assert page.get_by_test_id("count-created").inner_text() == "1\xa0100"
    assert_accessible(page)
    page.screenshot(path="test-artifacts/import-preview.png", full_page=True)
    page.get_by_role("button", name="Bekreft og importer").click()
    # The progress bar polls the job until the worker has finished, then the page reloads with the result.
    assert page.get_by_test_id("import-progress").or_(page.get_by_test_id("import-done")).count() == 1
    page.get_by_test_id("import-done").wait_for(timeout=60_000)
    assert "Importen er fullført: 1\xa0100 rader." in page.get_by_test_id("import-done").inner_text()
    assert ListCount.objects.count() == 1100

    page.get_by_role("link", name="Legekontor og lister", exact=True).click()
    page.fill("#q", "505")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="0301/505").click()
    counts = page.get_by_test_id("counts-table").inner_text()
    assert_accessible(page)
    assert "november 2021\t916\t1\xa0500" in counts
    page.screenshot(path="test-artifacts/import-list-page.png", full_page=True)


def test_administrator_imports_only_the_rows_of_her_municipality(page, oslo, tmp_path):
    """A file for Oslo and Bergen, uploaded by Oslo's administrator: refused as a whole, with the offer to import
    only Oslo's rows and the Bergen rows counted (docs/import.md, «Bare mine kommuner»)."""
    factories.member(oslo, "administrator", username="kari")
    lines = (DATA / "lister_eksempel.csv").read_text(encoding="utf-8").splitlines()
    two = tmp_path / "to-kommuner.csv"
    two.write_text("\n".join([lines[0], *(line for line in lines[1:] if line.startswith(("0301;", "4601;")))]) + "\n",
                   encoding="utf-8")
    login(page, "kari")
    page.goto(page.base_url + "/import/")
    page.set_input_files("input[type=file]", str(two))
    page.get_by_role("button", name="Last opp og kontroller").click()
    offer = page.get_by_test_id("only-mine")
    assert "24 rader gjelder kommuner der du ikke kan importere" in offer.inner_text()
    assert offer.get_by_test_id("skipped-rows").locator("tbody tr").all_inner_texts() == ["4601 Bergen\t24"]
    assert_accessible(page)
    page.screenshot(path="test-artifacts/import-only-mine-offer.png", full_page=True)
    page.get_by_role("button", name="Importer bare radene for mine kommuner").click()
    page.get_by_test_id("import-done").wait_for()
    assert "Importen er fullført: 24 rader." in page.get_by_test_id("import-done").inner_text()
    assert "4601 Bergen\t24" in page.get_by_test_id("import-skipped").inner_text()
    assert_accessible(page)
    page.screenshot(path="test-artifacts/import-only-mine-done.png", full_page=True)
    assert ListCount.objects.count() == 24
    assert set(ListCount.objects.values_list("patient_list__municipality__kommunenummer", flat=True)) == {"0301"}
    # point 4: a colleague in Oslo (another role) finds the job in the shared history, with who and the counts
    factories.member(oslo, "auditor", username="rita")
    page.get_by_role("button", name="Logg ut").click()
    login(page, "rita")
    page.goto(page.base_url + "/import/")
    row = page.get_by_test_id("import-log").locator("tbody tr").first
    assert row.locator("td").all_inner_texts()[1:4] == ["to-kommuner.csv", "kari", "Fullført"]
    page.screenshot(path="test-artifacts/import-history-colleague.png", full_page=True)
