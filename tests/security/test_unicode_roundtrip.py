"""Names round-trip (issue 10): emoji, Arabic and Hebrew (RTL), combining characters, bidi controls, markup,
text up to the field's max_length and text starting with = + - @ are saved through the forms exactly as typed
(no normalisation), shown HTML-escaped and complete on the detail and list pages, and exported exactly — with
formula injection neutralised: a text cell starting with = + - @ tab or CR gets a leading ' in CSV and XLSX
(grants/exports.py `safe_text`). Every download's Content-Disposition names a safe ASCII file."""

import csv
import io
import json
import re
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from alis.models import AlisAgreement, SupervisionSession
from grants import exports
from grants.models import CaseStatus, GrunntilskuddApplication
from grants.services import cases, ledger
from practices.models import Doctor, PatientList
from scenarios.models import Scenario
from tests import factories
from tests.factories_alis import (
    SpecialistFactory,
    approved,
)
from tests.helpers import scenario_form_data as form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
JUNE = date(2020, 6, 1)
NAMES = {
    "emoji": "Legesenter 🏥 Øst 👩\u200d⚕️ og 👨‍👩‍👧‍👦",
    "arabic": "عيادة الدكتور أحمد ١٢٣",
    "hebrew": "מרפאת ד״ר כהן",
    "mixed-rtl": "Klinikk \u202eredro\u202c og \u2067مرحبا\u2069 slutt",
    "combining": "Le\u0301gekontor A\u030as N\u0303 Z\u0351\u0352",  # decomposed: must not be normalised
    "markup": "<b>Fet</b> & \"sitat\" 'apos' </td><script>alert(1)</script>",
    "equals": '=HYPERLINK("http://x.test";"klikk")',
    "plus": "+47 22 00 00 00",
    "minus": "-2+3 cmd|' /C calc'!A0",
    "at": "@SUM(A1:A9)",
    "longest": ("Æøå😀ع" * 40)[:200],  # the fields' max_length, counted in characters
}
SHORT = ["=1+1", "+47", "-5", "@A1", "١٢٣", "🏥1", "שלום", "e\u0301\u0301", "<i>&amp;", "x" * 20]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SAFE_DOWNLOAD = re.compile(r'attachment; filename="(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"')


def protected(text: str) -> str:
    """What a spreadsheet cell must hold: a formula start gets a leading '."""
    return "'" + text if text.startswith(FORMULA_START) else text


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_shown(page: str, text: str):
    """Present exactly once-escaped, and never raw when escaping changes it."""
    assert escape(text) in page
    if escape(text) != text:
        assert text not in page


def csv_rows(response) -> list[dict]:
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def xlsx_rows(response) -> list[dict]:
    """The rows keyed by the machine column names (the sheet has Norwegian headings and a sum row)."""
    sheet = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    machine = {heading: column for column, heading in exports.HEADINGS.items()}
    rows = [row for row in sheet[1:] if row[0] != "Sum"]
    return [dict(zip([machine.get(h, h) for h in sheet[0]], row, strict=True)) for row in rows]


def download_name(response, pattern: str) -> str:
    """The attachment's file name: ASCII letters, digits, '.', '-', '_' only (no quotes, no path), as expected."""
    assert response.status_code == 200
    match = SAFE_DOWNLOAD.fullmatch(response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    name = match["name"]
    assert ".." not in name and re.fullmatch(pattern, name), name
    return name


@pytest.fixture
def town(oslo, administrator, caseworker, auditor):
    """One Oslo practice with one list, its doctor and a computed month; and a superuser."""
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listenummer="77",
                                         doctor__hpr_nummer="1234567")
    factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=1200)
    root = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    return {"practice": holder.patient_list.practice, "list": holder.patient_list, "doctor": holder.doctor,
            "root": root}


@pytest.mark.parametrize("text", NAMES.values(), ids=NAMES.keys())
def test_names_round_trip_through_forms_pages_and_exports(client, town, text, administrator, caseworker, auditor,
                                                          oslo):
    practice, doctor = town["practice"], town["doctor"]
    client.force_login(administrator)
    response = client.post(reverse("practices:practice_edit", args=[practice.pk]), {
        "organisasjonsnummer": practice.organisasjonsnummer, "name": text, "municipality": oslo.pk, "address": text})
    assert response.status_code == 302, response.context["form"].errors
    practice.refresh_from_db()
    assert (practice.name, practice.address) == (text, text)  # the same code points: nothing normalised
    response = client.post(reverse("practices:doctor_edit", args=[doctor.pk]), {
        "hpr_nummer": doctor.hpr_nummer, "name": text, "specialist_general_practice": "", "specialist_since": ""})
    assert response.status_code == 302, response.context["form"].errors
    assert Doctor.objects.get(pk=doctor.pk).name == text
    for page in (reverse("practices:practice_detail", args=[practice.pk]), reverse("practices:practice_index"),
                 reverse("practices:doctor_detail", args=[doctor.pk]),
                 reverse("practices:list_detail", args=[town["list"].pk]), reverse("practices:list_index")):
        assert_shown(html(client.get(page)), text)
    assert_shown(html(client.get(reverse("practices:practice_edit", args=[practice.pk]))), text)  # the form's value

    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    client.force_login(auditor)
    month = {"kommunenummer": "0301", "month": "2020-06"}
    assert_shown(html(client.get(reverse("grants:payment_month", kwargs=month))), text)
    assert_shown(html(client.get(reverse("grants:statement", kwargs={**month, "hpr": "1234567"}))), text)
    for fmt, rows in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = client.get(reverse("grants:export_payout", kwargs={**month, "fmt": fmt}))
        download_name(response, rf"utbetalingsoversikt-0301-2020-06\.{fmt}")
        assert [row["navn"] for row in rows(response)] == [protected(text)]

    client.force_login(caseworker)
    response = client.post(reverse("scenarios:create"), form_data([oslo], name=text, description=text))
    assert response.status_code == 302, response.context["form"].errors
    scenario = Scenario.objects.get()
    assert (scenario.name, scenario.description) == (text, text)
    assert_shown(html(client.get(reverse("scenarios:detail", args=[scenario.pk]))), text)
    assert_shown(html(client.get(reverse("scenarios:index"))), text)
    run = scenario.runs.get()
    for fmt, rows in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = client.get(reverse("scenarios:export", args=[run.pk, "lister", fmt]))
        download_name(response, rf"hva-om-([a-z0-9_-]+-)?lister\.{fmt}")
        assert [row["lege"] for row in rows(response)] == [protected(text)]

    client.force_login(town["root"])
    response = client.get(reverse("grants:personal_data", args=[doctor.pk]), {"format": "json"})
    assert download_name(response, r"lege-\d+\.json") == f"lege-{doctor.pk}.json"
    exported = json.loads(response.content.decode("utf-8"))
    assert exported["lege"]["navn"] == text and exported["endringshistorikk"][-1]["navn"] == text
    assert_shown(html(client.get(reverse("grants:personal_data", args=[doctor.pk]))), text)


@pytest.mark.parametrize("number", SHORT)
def test_list_numbers_round_trip_and_are_protected_in_the_line_export(client, town, number, administrator, auditor,
                                                                       oslo):
    patient_list = town["list"]
    client.force_login(administrator)
    response = client.post(reverse("practices:list_edit", args=[patient_list.pk]), {
        "municipality": oslo.pk, "listenummer": number, "practice": town["practice"].pk, "listetak": "1500",
        "active_from": "", "active_to": ""})
    assert response.status_code == 302, response.context["form"].errors
    assert PatientList.objects.get(pk=patient_list.pk).listenummer == number
    assert_shown(html(client.get(reverse("practices:list_detail", args=[patient_list.pk]))), number)
    assert_shown(html(client.get(reverse("practices:list_index"))), number)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    client.force_login(auditor)
    for fmt, rows in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = client.get(reverse("grants:export_lines", args=["0301", "2020-06", fmt]))
        download_name(response, rf"utbetalinger-0301-2020-06\.{fmt}")
        lines = rows(response)
        assert lines and {row["listenummer"] for row in lines} == {protected(number)}
        assert all(not str(row["forklaring"]).startswith(FORMULA_START) for row in lines)


@pytest.mark.parametrize("text", [NAMES["emoji"], NAMES["mixed-rtl"], NAMES["markup"], NAMES["equals"]],
                         ids=["emoji", "mixed-rtl", "markup", "equals"])
def test_case_and_alis_texts_round_trip(client, town, text, administrator, caseworker, oslo, monkeypatch):
    monkeypatch.setattr(cases, "today", lambda: date(2020, 7, 1))
    client.force_login(administrator)
    response = client.post(reverse("grants:grunntilskudd_create"), {
        "patient_list": town["list"].pk, "avtale_fra": "2020-06-15", "saksnummer": text[:50]})
    assert response.status_code == 302, response.context["form"].errors
    case = GrunntilskuddApplication.objects.get()
    assert case.saksnummer == text[:50]
    client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "submit"]))
    client.force_login(caseworker)
    client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "reject"]), {"reason": text})
    case.refresh_from_db()
    assert (case.status, case.decision_reason) == (CaseStatus.AVSLATT, text)
    for page in ("grants:grunntilskudd_detail", "grants:grunntilskudd_letter"):
        assert_shown(html(client.get(reverse(page, args=[case.pk]))), text)
    assert_shown(html(client.get(reverse("grants:grunntilskudd_index"))), text[:50])

    agreement = approved(practice=town["practice"], created_by=administrator, start_date=date(2021, 3, 15))
    client.force_login(administrator)
    supervisor = SpecialistFactory()
    response = client.post(reverse("alis:agreement_create"), {
        "avtalenummer": text[:40], "saksnummer": text[:50], "practice": town["practice"].pk,
        "doctor_hpr": factories.DoctorFactory().hpr_nummer, "supervisor_hpr": supervisor.hpr_nummer,
        "start_date": "2024-01-15", "end_date": "", "position_percent": "100", "employment_form": "naeringsdrivende",
        "annual_payment": "0", "state_grant_per_year": "0", "state_grant_reference": text[:100]})
    assert response.status_code == 302, response.context["form"].errors
    draft = AlisAgreement.objects.get(avtalenummer=text[:40])
    assert (draft.saksnummer, draft.state_grant_reference) == (text[:50], text[:100])
    assert_shown(html(client.get(reverse("alis:agreement_detail", args=[draft.pk]))), text[:40])
    assert_shown(html(client.get(reverse("alis:agreement_index"))), text[:40])
    response = client.post(reverse("alis:session_add", args=[agreement.pk]), {
        "date": "2021-05-03", "kind": "gruppe", "hours": "2", "group_leader": text[:200], "note": text})
    assert response.status_code == 302
    session = SupervisionSession.objects.get()
    assert (session.group_leader, session.note) == (text[:200], text)
    page = html(client.get(reverse("alis:agreement_detail", args=[agreement.pk])))
    assert_shown(page, text)


@pytest.mark.parametrize("text", ["\tTabulator", "\rVognretur", "=1+1\ttab", "-\r-", "Lege\x0bmed\x1bkontrolltegn",
                                  "\x07@bjelle", "\x1b=1+1"])
def test_cells_starting_with_tab_or_cr_and_control_characters_are_exported_safely(client, town, text, administrator,
                                                                                   auditor, oslo):
    """A tab or CR at the start cannot come through the forms (they strip it), but from elsewhere (the admin, an
    old import): written directly then. Other control characters do come through the forms; XLSX cannot hold
    them, and removing them must not uncover a formula start."""
    doctor = town["doctor"]
    if text.strip() == text:
        client.force_login(administrator)
        response = client.post(reverse("practices:doctor_edit", args=[doctor.pk]), {
            "hpr_nummer": doctor.hpr_nummer, "name": text, "specialist_general_practice": "", "specialist_since": ""})
        assert response.status_code == 302
    else:
        Doctor.objects.filter(pk=doctor.pk).update(name=text)
    assert Doctor.objects.get(pk=doctor.pk).name == text
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    client.force_login(auditor)
    url = reverse("grants:export_payout", args=["0301", "2020-06", "csv"])
    assert [row["navn"] for row in csv_rows(client.get(url))] == [protected(text)]
    url = reverse("grants:export_payout", args=["0301", "2020-06", "xlsx"])
    assert [row["navn"] for row in xlsx_rows(client.get(url))] == [in_xlsx(text)]


def in_xlsx(text: str) -> str:
    """What an XLSX cell holds of `text`: without the control characters the format forbids (guarded again if
    that uncovers a formula start), and a CR read back as LF (XML normalises line ends)."""
    cell = protected(text)
    cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", cell)
    if cleaned != cell:
        cell = protected(cleaned)
    return cell.replace("\r", "\n")


def test_every_download_has_a_safe_file_name(client, town, oslo, administrator, caseworker):
    """Each export view: the line and payout files, the report, the scenario tables and the report on the
    action plan, the personal data export and the original file of an import (whose name the user chose)."""
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    client.force_login(caseworker)
    for fmt in ("csv", "xlsx"):
        download_name(client.get(reverse("grants:export_lines", args=["0301", "2020-06", fmt])),
                      rf"utbetalinger-0301-2020-06\.{fmt}")
        download_name(client.get(reverse("grants:export_payout", args=["0301", "2020-06", fmt])),
                      rf"utbetalingsoversikt-0301-2020-06\.{fmt}")
        download_name(client.get(reverse("grants:report"), {"fra": "2020-01", "til": "2020-06", "format": fmt}),
                      rf"rapport-0301-2020-01-2020-06\.{fmt}")
    for name in ['../../etc/passwd "x"; filename=evil.exe', "عيادة 🏥", "\u202egnp.exe", "Kontor\\Nord"]:
        client.post(reverse("scenarios:create"), form_data([oslo], name=name))
        run = Scenario.objects.get(name=name).runs.get()
        for table in ("maaneder", "lister"):
            download_name(client.get(reverse("scenarios:export", args=[run.pk, table, "csv"])),
                          rf"hva-om-([a-z0-9_-]+-)?{table}\.csv")
    client.post(reverse("scenarios:report"))
    for fmt in ("csv", "xlsx"):
        download_name(client.get(reverse("scenarios:report"), {"format": fmt}),
                      rf"effekt-av-handlingsplanen\.{fmt}")
    client.force_login(town["root"])
    download_name(client.get(reverse("grants:personal_data", args=[town["doctor"].pk]), {"format": "json"}),
                  rf"lege-{town['doctor'].pk}\.json")
    client.force_login(administrator)
    data = (b"kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;listenummer;listetak;"
            b"antall_pasienter;maaned\n")
    for upload_name in ['liste "juni".csv', "ליסט 🏥.csv", "..\\..\\x.csv", "a;b=c.csv", "\u202evsc.exe",
                        "=HYPERLINK().csv", "x" * 300 + ".csv"]:
        response = client.post(reverse("practices:import_index"), {"file": SimpleUploadedFile(upload_name, data)})
        assert response.status_code == 302
        job_pk = int(response["Location"].rstrip("/").split("/")[-1])
        response = client.get(reverse("practices:import_download", args=[job_pk]))
        b"".join(response.streaming_content)
        download_name(response, r"[A-Za-z0-9._-]+\.csv")
