"""End-to-end journeys in the browser (issue 10): Chromium via Playwright, PostgreSQL, a real Celery worker.

Each journey is done as a user does it — links, forms, uploads, downloads. Only reference data (practices,
lists, doctors, users) is set up with factories. Every step is saved as a screenshot under
test-artifacts/journeys/<journey>/NN-step.png. Expected amounts are worked out by hand from docs/payments.md."""

import csv
import io
import shutil
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from grants.models import PaymentRun
from grants.services import cases
from practices.models import ListCount
from tests import factories
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import assert_accessible, login
from tests.factories_alis import SpecialistFactory
from tests.helpers import LIST_HEADER as HEADER

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]
RUN_TIMEOUT = 60_000  # ms: an import or a payment run on the worker


class Steps:
    """Numbered screenshots of one journey: test-artifacts/journeys/<journey>/NN-step.png."""

    def __init__(self, page, journey: str):
        self.page, self.number = page, 0
        self.folder = ARTIFACTS / "journeys" / journey
        shutil.rmtree(self.folder, ignore_errors=True)  # a rerun leaves only its own steps
        self.folder.mkdir(parents=True)

    def shot(self, step: str, *, at=None) -> None:
        """The whole page, or only the window scrolled to the locator `at` (for very long pages)."""
        self.number += 1
        if at is not None:
            at.scroll_into_view_if_needed()
        self.page.screenshot(path=str(self.folder / f"{self.number:02d}-{step}.png"), full_page=at is None)


def named(user, name: str):
    """Give a role fixture's user a real name (the timelines show full names)."""
    user.first_name, user.last_name = name.split(" ", 1)
    user.save(update_fields=["first_name", "last_name"])
    return user


def menu(page, name: str) -> None:
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name=name, exact=True).click()


def logout(page) -> None:
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/konto/logg-inn/**")


def open_month(page, month: str) -> None:
    menu(page, "Utbetalinger")
    page.fill("#maaned", month)
    page.get_by_role("button", name="Åpne", exact=True).click()
    page.wait_for_url(f"**/utbetalinger/0301/{month}/")


def recompute(page) -> None:
    """Press *Beregn på nytt* and wait until the progress bar has gone and the page has reloaded with the lines."""
    with page.expect_navigation():
        page.get_by_role("button", name="Beregn på nytt").click()
    expect(page.get_by_test_id("run-progress")).to_have_count(0, timeout=RUN_TIMEOUT)
    page.wait_for_load_state()  # the progress bar reloads the page when the run is done


def line_table(page) -> dict[tuple[str, str], list[str]]:
    """The month page's lines as {(listenummer or doctor, type): [antall, sats, beløp, forklaring]}."""
    rows = {}
    for row in page.get_by_test_id("lines").locator("tbody tr").all():
        cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
        rows[(cells[0] or cells[1], cells[2])] = cells[3:]
    return rows


# --- 1. import a month of list data, recompute, export ----------------------------------------------------

MONTH = "2020-06"
LIST_COUNT = 1050  # over the 1,000-row threshold, so the worker imports it and the page shows progress
BAD_LIST = 741  # file row 742 (header = row 1)
PRACTICES = [factories.valid_orgnr(20_000 + 10 * i) for i in range(10)]


def list_file(*, bad: bool) -> bytes:
    """One month (2020-06) for 1,050 Oslo lists, 105 per practice. List 1 changes 790 → 800 patients, list 2 is
    as stored, list 3 is salaried; every other list has 1,000 patients (the bad file has «10OO» on one)."""
    rows = [HEADER + ";driftsform"]
    for number in range(1, LIST_COUNT + 1):
        practice = (number - 1) // 105
        name = "Åsen legesenter" if practice == 0 else f"Legesenter {practice}"
        listetak, patients, driftsform = {1: (1500, "800", "næringsdrivende"), 2: (2000, "1500", "næringsdrivende"),
                                          3: (1000, "600", "fastlønnet")}.get(number, (1200, "1000", ""))
        if bad and number == BAD_LIST:
            patients = "10OO"  # letters O for zeros, as typed by hand
        rows.append(f"0301;{PRACTICES[practice]};{name};{1_700_000 + number};Fastlege {number};{number};{listetak};"
                    f"{patients};{MONTH};{driftsform}")
    return ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")  # as Excel saves it


def test_journey_import_recompute_export(page, oslo, administrator, caseworker, tmp_path):
    practice = factories.PracticeFactory(municipality=oslo, organisasjonsnummer=PRACTICES[0], name="Åsen legesenter")
    for number, listetak, patients in ((1, 1500, 790), (2, 2000, 1500)):  # imported last time
        holder = factories.ListHolderFactory(
            patient_list__practice=practice, patient_list__listenummer=str(number), patient_list__listetak=listetak,
            doctor__hpr_nummer=str(1_700_000 + number), doctor__name=f"Fastlege {number}")
        factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1),
                                   antall_pasienter=patients)
    steps = Steps(page, "import")
    bad, good = tmp_path / "lister-juni-2020.csv", tmp_path / "lister-juni-2020-rettet.csv"
    bad.write_bytes(list_file(bad=True))
    good.write_bytes(list_file(bad=False))

    # The administrator uploads the month; one row has a typo, so the whole file is refused in Norwegian.
    login(page, administrator.username)
    menu(page, "Import")
    steps.shot("import-page")
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="Last opp og kontroller").click()
    assert "Filen ble avvist. Ingenting er lagret." in page.get_by_test_id("import-failed").inner_text()
    assert "Rett 1 feil og last opp filen på nytt." in page.get_by_test_id("import-failed").inner_text()
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(1)
    row, column, message = errors.first.locator("td").all_inner_texts()
    assert (row, column) == (str(BAD_LIST + 1), "antall_pasienter")
    assert "Antall pasienter må være et helt tall" in message and "ikke «10OO»" in message
    assert ListCount.objects.count() == 2  # nothing written
    steps.shot("row-error")
    assert_accessible(page)

    # She fixes the file and uploads it again: the preview counts new, changed and unchanged rows.
    page.get_by_role("link", name="Last opp en rettet fil").click()
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="Last opp og kontroller").click()
    assert page.get_by_test_id("count-created").inner_text() == "1\xa0048"
    assert page.get_by_test_id("count-changed").inner_text() == "1"
    assert page.get_by_test_id("count-unchanged").inner_text() == "1"  # list 2: the same as stored
    assert "Forhåndsvisning: ingenting er lagret ennå." in page.content()
    changed = page.locator("table", has_text="Før").locator("tbody tr").first.locator("td").all_inner_texts()
    assert changed[1:] == ["0301/1", MONTH, "Fastlege 1", "790", "800"]
    assert ListCount.objects.count() == 2
    steps.shot("preview")

    # Confirm: the worker imports it while the page shows a progress bar, then the log shows the totals.
    page.get_by_role("button", name="Bekreft og importer").click()
    expect(page.get_by_test_id("import-progress").or_(page.get_by_test_id("import-done"))).to_have_count(1)
    steps.shot("progress")
    done = page.get_by_test_id("import-done")
    done.wait_for(timeout=RUN_TIMEOUT)
    assert "Importen er fullført: 1\xa0050 rader." in done.inner_text()
    assert f"Måneder med endrede listetall: {MONTH}." in done.inner_text()
    assert ListCount.objects.count() == LIST_COUNT
    assert ListCount.objects.get(patient_list__listenummer="1").antall_pasienter == 800
    steps.shot("import-done")
    menu(page, "Import")
    log = [r.locator("td").all_inner_texts() for r in page.get_by_test_id("import-log").locator("tbody tr").all()]
    assert [r[1:] for r in log] == [  # newest first: file, by, status, rows, new, changed, unchanged, errors, skipped
        ["lister-juni-2020-rettet.csv", "admin.oslo", "Fullført", "1\xa0050", "1\xa0048", "1", "1", "0", ""],
        ["lister-juni-2020.csv", "admin.oslo", "Avvist", "1\xa0050", "0", "0", "0", "1", ""],
    ]
    steps.shot("import-log")

    # The import queued a recompute of 2020-06 (rate row 2020-05-01: knekkpunkt 1 000, kr 577 under, kr 499 over,
    # annual / 12 per patient on the 1st), rounded per line:
    #   list 1, n = 800:     basis_under 800 × 577 / 12 = 38 466,666… → 38 466,67
    #   list 2, n = 1 500:   basis_under 1 000 × 577 / 12 = 48 083,33; basis_over 500 × 499 / 12 = 20 791,67
    #   list 3, fastlønnet:  basis_under 600 × 577 / 12 = 28 850,00, kept by the municipality
    #   1 047 lists of 1 000: 1 047 × 48 083,33 = 50 343 246,51
    #   to doctors: 38 466,67 + 48 083,33 + 20 791,67 + 50 343 246,51 = 50 450 588,18; sum 50 479 438,18
    open_month(page, MONTH)
    expect(page.get_by_test_id("month-total")).to_have_text("50\xa0479\xa0438,18 kr", timeout=RUN_TIMEOUT)
    expect(page.get_by_test_id("run-progress")).to_have_count(0)
    assert page.get_by_role("button", name="Beregn på nytt").count() == 0  # administrators do not recompute
    steps.shot("payments-after-import", at=page.get_by_test_id("totals"))  # 1 049 doctors below
    logout(page)

    # A caseworker recomputes the month (the same ledger to the øre) and exports the lines.
    login(page, caseworker.username)
    open_month(page, MONTH)
    recompute(page)
    assert PaymentRun.objects.filter(trigger="manual", status=PaymentRun.Status.DONE).count() == 1
    totals = page.get_by_test_id("totals")
    assert sorted(r.locator("td").all_inner_texts() for r in totals.locator("tbody tr").all()) == [
        ["Basistilskudd over knekkpunkt", "lege", "1", "20\xa0791,67 kr"],
        ["Basistilskudd under knekkpunkt", "beholdes av kommunen", "1", "28\xa0850,00 kr"],
        ["Basistilskudd under knekkpunkt", "lege", "1\xa0049", "50\xa0429\xa0796,51 kr"],
    ]
    footer = totals.locator("tfoot").inner_text()
    assert "Utbetales til leger\t\t50\xa0450\xa0588,18 kr" in footer  # the empty cell is Mottaker and Linjer
    assert "Beholdes av kommunen\t\t28\xa0850,00 kr" in footer
    assert page.get_by_test_id("month-total").inner_text() == "50\xa0479\xa0438,18 kr"
    steps.shot("payments-recomputed", at=page.get_by_test_id("totals"))
    page.fill("#f-liste", "2")
    with page.expect_navigation():  # read the filtered page, not the one before it
        page.get_by_role("button", name="Filtrer").click()
    lines = line_table(page)
    assert lines[("2", "Basistilskudd under knekkpunkt")][:3] == ["1\xa0000", "577,00", "48\xa0083,33 kr"]
    assert lines[("2", "Basistilskudd over knekkpunkt")][:3] == ["500", "499,00", "20\xa0791,67 kr"]
    assert len(lines) == 2
    steps.shot("payments-list-2", at=page.get_by_test_id("lines"))
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV (maskinformat)", exact=True).click()
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    assert target.name == "utbetalinger-0301-2020-06.csv"
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data  # UTF-8 with BOM, LF
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1051  # 1 050 lists, list 2 with two lines
    by_key = {(r["listenummer"], r["type"]): r for r in rows}
    assert {k: by_key[k]["belop"] for k in [("1", "basis_under"), ("2", "basis_under"), ("2", "basis_over"),
                                            ("3", "basis_under"), ("4", "basis_under")]} == {
        ("1", "basis_under"): "38466.67", ("2", "basis_under"): "48083.33", ("2", "basis_over"): "20791.67",
        ("3", "basis_under"): "28850.00", ("4", "basis_under"): "48083.33"}
    assert by_key[("3", "basis_under")]["mottaker"] == "kommune" and by_key[("1", "basis_under")]["mottaker"] == "lege"
    assert by_key[("1", "basis_under")]["hpr_nummer"] == "1700001" and by_key[("1", "basis_under")]["sats"] == "577.00"
    assert {r["maaned"] for r in rows} == {MONTH}
    assert sum(int(r["belop"].replace(".", "")) for r in rows) == 50_479_438_18  # øre: the month total
    steps.shot("exported", at=page.get_by_test_id("month-actions"))


# --- 2. grunntilskudd and introduksjonsavtale: apply, decide (four-eyes), paid ----------------------------


def test_journey_grants_are_decided_and_paid(page, oslo, administrator, caseworker, monkeypatch):
    named(administrator, "Kari Nordmann")
    named(caseworker, "Ola Saksbehandler")
    practice = factories.PracticeFactory(municipality=oslo, name="Sagene legesenter")
    small = factories.ListHolderFactory(  # a new list, started September 2021
        patient_list__practice=practice, patient_list__listenummer="42", patient_list__listetak=1000,
        doctor__name="Anne Grunn", doctor__hpr_nummer="2000042", from_month=date(2021, 9, 1)).patient_list
    host = factories.ListHolderFactory(
        patient_list__practice=practice, patient_list__listenummer="43", patient_list__listetak=1500,
        doctor__name="Bjørn Vert", doctor__hpr_nummer="2000043", from_month=date(2015, 1, 1)).patient_list
    for month, patients in ((date(2022, 2, 1), 280), (date(2022, 3, 1), 300)):
        factories.ListCountFactory(patient_list=small, month=month, antall_pasienter=patients)
    factories.ListCountFactory(patient_list=host, month=date(2022, 3, 1), antall_pasienter=1200)
    monkeypatch.setattr(cases, "today", lambda: date(2022, 3, 20))  # the live server runs in this process
    steps = Steps(page, "grants")

    # The administrator records the municipality's allotment of introduksjonsavtaler from Helsedirektoratet.
    login(page, administrator.username)
    menu(page, "Introduksjonsavtaler")
    page.fill("#id_letter_reference", "Hdir 21/12345")
    page.fill("#id_number_granted", "2")
    page.fill("#id_granted_on", "2021-12-01")
    page.get_by_role("button", name="Registrer tildeling").click()
    assert "Tildelingen er registrert." in page.locator(".alert-success").inner_text()
    assert "kan ikke starte flere introduksjonsavtaler enn den har fått tildelt: 2 i alt." in page.content()
    steps.shot("allotment")

    # She applies for grunntilskudd for list 42; the live check judges it while she fills in the form.
    menu(page, "Grunntilskudd")
    page.get_by_role("link", name="Ny sak").click()
    page.select_option("#id_patient_list", label="0301/42 – Sagene legesenter")
    page.fill("#id_avtale_fra", "2021-09-01")
    page.locator("#id_saksnummer").click()  # change event → the live eligibility panel
    page.get_by_text("Listen har 300 pasienter per mars 2022 – under 500.").wait_for()
    page.get_by_text("Dekker september 2021 til august 2023.").wait_for()
    page.fill("#id_saksnummer", "22/1001")
    steps.shot("grunntilskudd-form")
    page.get_by_role("button", name="Lagre utkast").click()
    assert "Utkastet er lagret." in page.locator(".alert-success").inner_text()
    page.get_by_test_id("action-submit").get_by_role("button", name="Send inn").click()
    assert "Innsendt" in page.locator("h1").inner_text()
    grunntilskudd_url = page.url
    # an administrator may not decide (only caseworkers, and not the one who created or submitted it)
    assert page.get_by_test_id("action-approve").get_by_role("button", name="Innvilg").is_disabled()
    assert "saksbehandler" in page.get_by_test_id("action-approve").inner_text()
    steps.shot("grunntilskudd-submitted")

    # And an introduksjonsavtale for a new doctor on list 43, with a municipal contribution.
    menu(page, "Introduksjonsavtaler")
    page.get_by_role("link", name="Ny sak").click()
    page.fill("#id_hpr_nummer", "2000099")
    page.fill("#id_doctor_name", "Ida Intro")
    page.select_option("#id_practice", label="Sagene legesenter")
    page.get_by_label("0301/43").check()
    page.fill("#id_start_date", "2022-03-15")
    page.fill("#id_end_date", "2024-03-14")  # 2 years at 100 %
    page.fill("#id_position_percent", "100")
    page.fill("#id_annual_contribution", "120000")
    page.locator("#id_saksnummer").click()
    page.get_by_text("0 av 2 tildelte avtaler er allerede innvilget").wait_for()
    page.fill("#id_saksnummer", "22/1002")
    steps.shot("introduksjon-form")
    page.get_by_role("button", name="Lagre utkast").click()
    page.get_by_test_id("action-submit").get_by_role("button", name="Send inn").click()
    assert "Innsendt" in page.locator("h1").inner_text()
    facts = page.get_by_test_id("case-facts").inner_text()
    assert "Ida Intro" in facts and "0301/43" in facts and "120\xa0000,00 kr" in facts
    steps.shot("introduksjon-submitted")
    logout(page)

    # A caseworker (another person: four-eyes) finds both cases in the worklist and grants them.
    login(page, caseworker.username)
    worklist = page.locator("main")
    for link in ("Grunntilskudd #", "Introduksjonsavtale #"):
        expect(worklist.get_by_role("link", name=link)).to_have_count(1)
    steps.shot("worklist")
    page.goto(grunntilskudd_url)
    expect(page.get_by_test_id("checks").locator(".list-group-item-danger")).to_have_count(0)  # all passed
    page.get_by_test_id("action-approve").get_by_role("button", name="Innvilg").click()
    assert "Innvilget" in page.locator("h1").inner_text()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "Kari Nordmann" in timeline and "Ola Saksbehandler" in timeline
    steps.shot("grunntilskudd-granted")
    menu(page, "Oversikt")
    page.get_by_role("link", name="Introduksjonsavtale #").click()
    page.get_by_test_id("action-approve").get_by_role("button", name="Innvilg").click()
    assert "Innvilget" in page.locator("h1").inner_text()
    steps.shot("introduksjon-granted")
    assert_accessible(page)

    # The payments of 2022-03 (rate row 2022-01-01: knekkpunkt 1 000, kr 653 under, kr 526 over):
    #   list 42, n = 300:   basis_under 300 × 653 / 12 = 16 325,00
    #                       grunntilskudd round(500 × 653 / 12) − 16 325,00 = 27 208,33 − 16 325,00 = 10 883,33
    #   list 43, n = 1 200: basis_under 1 000 × 653 / 12 = 54 416,67; basis_over 200 × 526 / 12 = 8 766,67
    #   introduksjon, 15.–31. March: 120 000 × 17 / (12 × 31) = 5 483,870… → 5 483,87
    #   sum 16 325,00 + 10 883,33 + 54 416,67 + 8 766,67 + 5 483,87 = 95 875,54
    open_month(page, "2022-03")
    recompute(page)
    lines = line_table(page)
    assert lines[("42", "Basistilskudd under knekkpunkt")][:3] == ["300", "653,00", "16\xa0325,00 kr"]
    assert lines[("42", "Grunntilskudd")][:3] == ["200", "653,00", "10\xa0883,33 kr"]
    assert lines[("43", "Basistilskudd under knekkpunkt")][:3] == ["1\xa0000", "653,00", "54\xa0416,67 kr"]
    assert lines[("43", "Basistilskudd over knekkpunkt")][:3] == ["200", "526,00", "8\xa0766,67 kr"]
    assert lines[("Ida Intro", "Introduksjonsavtale")][:3] == ["17", "120\xa0000,00", "5\xa0483,87 kr"]
    assert len(lines) == 5
    assert page.get_by_test_id("month-total").inner_text() == "95\xa0875,54 kr"
    steps.shot("payments")
    assert_accessible(page)


# --- 3. ALIS: register, approve, log supervision, compliance ----------------------------------------------


def test_journey_alis_agreement_and_supervision(page, oslo, administrator, caseworker):
    named(administrator, "Kari Nordmann")
    named(caseworker, "Ola Saksbehandler")
    practice = factories.PracticeFactory(municipality=oslo, name="Majorstuen legesenter")
    alis = factories.DoctorFactory(name="Ida ALIS", hpr_nummer="8100001")
    supervisor = SpecialistFactory(name="Vidar Veileder", hpr_nummer="8100002")
    # 75 days ago: two agreement months (≤ 62 days) have ended, the third (≥ 89 days) has not, whatever the month
    start = timezone.localdate() - timedelta(days=75)
    steps = Steps(page, "alis")

    # The administrator registers the agreement and submits it.
    login(page, administrator.username)
    menu(page, "ALIS")
    page.get_by_role("link", name="Ny ALIS-avtale").click()
    page.fill("#id_avtalenummer", "ALIS-OSL-07")
    page.fill("#id_saksnummer", "22/2001")
    page.select_option("#id_practice", label=practice.name)
    page.fill("#id_doctor_hpr", alis.hpr_nummer)
    page.fill("#id_supervisor_hpr", supervisor.hpr_nummer)
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_annual_payment", "180000")
    page.fill("#id_state_grant_per_year", "100000")
    page.fill("#id_state_grant_period_from", f"{start.year}-01-01")
    page.fill("#id_state_grant_period_to", f"{start.year}-12-31")
    page.fill("#id_state_grant_reference", "Hdir 22/777")
    steps.shot("agreement-form")
    page.get_by_role("button", name="Lagre utkast").click()
    assert "Avtalen er lagret som utkast." in page.locator(".alert-success").inner_text()
    page.get_by_role("button", name="Send inn til saksbehandler").click()
    assert page.get_by_test_id("status").first.inner_text() == "Innsendt"
    assert page.get_by_role("button", name="Godkjenn").is_disabled()
    assert "Bare saksbehandlere" in page.get_by_test_id("approve-reason").inner_text()
    default_end = start.replace(year=start.year + 5) - timedelta(days=1)  # start + 5 years − 1 day
    assert default_end.strftime("%d.%m.%Y") in page.get_by_test_id("agreement-details").inner_text()
    steps.shot("submitted")
    logout(page)

    # A caseworker finds it in the worklist, sees the checks and approves.
    login(page, caseworker.username)
    page.get_by_role("link", name="ALIS-avtale ALIS-OSL-07").click()
    checks = page.get_by_test_id("checks").inner_text()
    assert "Ida ALIS er ikke spesialist" in checks and "Vidar Veileder er spesialist" in checks
    steps.shot("checks")
    page.get_by_role("button", name="Godkjenn").click()
    assert "Avtalen er godkjent." in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("status").first.inner_text() == "Godkjent"
    steps.shot("approved")
    logout(page)

    # The administrator logs supervision. Requirements (alis/reference.py): individual 5,5 h per agreement month
    # from 2021 (estimate), group 120 h over agreement years 1–2 (confirmed). Two agreement months have ended:
    #   individual: due 2 × 5,5 = 11 h, year-1 target 12 × 5,5 = 66 h
    #   group: due 120 × 2 / 24 = 10 h of 120 h
    login(page, administrator.username)
    menu(page, "ALIS")
    page.get_by_role("link", name="ALIS-OSL-07").click()
    expect(page.get_by_test_id("individual-year-1")).to_contain_text("0 av 66 timer")
    expect(page.get_by_test_id("individual-year-1")).to_contain_text("Krav hittil: 11 timer")
    expect(page.get_by_test_id("group")).to_contain_text("0 av 120 timer")
    expect(page.get_by_test_id("group")).to_contain_text("Krav hittil: 10 timer")
    # behind on both: the group requirement is confirmed, so the flag does not rest only on an estimate
    assert page.get_by_test_id("behind").inner_text() == "Etter skjema"
    steps.shot("before-supervision")

    def log_session(day: date, kind: str, hours: str, note: str, expect_logged: tuple[str, str]):
        form = page.get_by_test_id("session-form")
        form.locator("#id_kind").select_option(kind)
        form.locator("#id_date").fill(day.isoformat())
        form.locator("#id_hours").fill(hours)
        if kind == "gruppe":
            form.locator("#id_group_leader").fill("Veiledningsgruppe Oslo vest")
        form.locator("#id_note").fill(note)
        form.get_by_role("button", name="Registrer").click()
        testid, text = expect_logged
        expect(page.get_by_test_id(testid)).to_have_text(text)  # htmx swaps the section in place

    log_session(start + timedelta(days=20), "gruppe", "6", "Gruppemøte 1", ("group-logged", "6"))
    log_session(start + timedelta(days=48), "gruppe", "4", "Gruppemøte 2", ("group-logged", "10"))
    log_session(start + timedelta(days=14), "individuell", "5.5", "Gjennomgang av konsultasjoner",
                ("individual-year-1-logged", "5,5"))
    # group on track (10 of 10 due); individual 5,5 of 11 due rests on the estimated requirement
    assert page.get_by_test_id("behind").inner_text() == "Etter skjema (basert på anslag)"
    steps.shot("partly-logged")
    log_session(start + timedelta(days=45), "individuell", "5.5", "Journalgjennomgang",
                ("individual-year-1-logged", "11"))
    expect(page.get_by_test_id("individual-year-1")).to_contain_text("11 av 66 timer")
    expect(page.get_by_test_id("group")).to_contain_text("10 av 120 timer")
    expect(page.get_by_test_id("behind")).to_have_count(0)
    expect(page.locator("#behind-flag")).to_have_text("I rute")
    assert page.get_by_test_id("individual-year-1-bar").get_attribute("style") == "width: 16%"  # 11 / 66
    assert page.get_by_test_id("group-bar").get_attribute("style") == "width: 8%"  # 10 / 120
    sessions = page.get_by_test_id("sessions").locator("tbody tr")
    expect(sessions).to_have_count(4)
    steps.shot("supervision-logged")
    assert_accessible(page)

    # The compliance overview shows the hours against the requirement for every agreement.
    menu(page, "ALIS")
    page.get_by_role("link", name="Oversikt og etterlevelse").click()
    row = page.get_by_test_id("overview-table").locator("tbody tr").first.locator("td").all_inner_texts()
    assert row[0] == "ALIS-OSL-07" and row[1] == "Ida ALIS"
    assert row[4:9] == ["11", "11*", "66", "10", "10 / 120"]  # * the individual requirement is an estimate
    assert row[9].strip() == "I rute"
    assert page.get_by_test_id("behind-count").inner_text() == "0"
    steps.shot("overview")
    assert_accessible(page)
