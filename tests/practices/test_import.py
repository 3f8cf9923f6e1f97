"""The import of list data end to end through the service, the CLI and the browser views (docs/import.md)."""

import io
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from practices.models import Doctor, ImportJob, ListCount, ListHolder, PatientList, Practice
from practices.services.list_import import import_file
from tests.conftest import ROOT, subprocess_env
from tests.helpers import DATA
from tests.helpers import LIST_HEADER as HEADER

pytestmark = pytest.mark.django_db
ROW = "0301;961793386;Åsen legesenter 1;1702636;Ragnhild Aasen;100;2000;{n};{m}"


def csv(*rows, header=HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def domain_rows():
    return (Practice.objects.count(), Doctor.objects.count(), PatientList.objects.count(),
            ListHolder.objects.count(), ListCount.objects.count())


def run(data, *, user=None, dry_run=False):
    return import_file(user=user, data=data, filename="test.csv", dry_run=dry_run, source="cli")


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_lists", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_sample_file_imports_and_a_second_run_changes_nothing():
    code, out, err = cli(str(DATA / "lister_eksempel.csv"))
    assert (code, out.strip().splitlines()[-1], err) == (0, "opprettet 96, endret 0, uendret 0", "")
    assert domain_rows() == (8, 16, 16, 16, 96)
    count = ListCount.objects.get(patient_list__listenummer="100", month=date(2020, 6, 1))
    assert (count.antall_pasienter, count.listetak) == (642, 2000)
    code, out, _ = cli(str(DATA / "lister_eksempel.csv"))
    assert out.strip().splitlines()[-1] == "opprettet 0, endret 0, uendret 96"
    assert domain_rows() == (8, 16, 16, 16, 96)
    assert ImportJob.objects.filter(status="done").count() == 2


def test_windows_1252_excel_file_gives_identical_lists_and_counts():
    call_command("import_lists", str(DATA / "lister_eksempel.csv"), stdout=io.StringIO())
    before = list(ListCount.objects.order_by("pk").values_list("patient_list_id", "month", "antall_pasienter",
                                                                "listetak"))
    code, out, _ = cli(str(DATA / "lister_excel_windows1252.csv"))
    assert code == 0
    assert out.strip().splitlines()[-1] == "opprettet 0, endret 0, uendret 24"
    assert "Advarsel: " in out and "0301" in out
    after = list(ListCount.objects.order_by("pk").values_list("patient_list_id", "month", "antall_pasienter",
                                                               "listetak"))
    assert before == after
    assert Practice.objects.get(organisasjonsnummer="961793386").name == "Åsen legesenter 1"


def test_windows_file_alone_imports_the_same_values_as_the_utf8_rows():
    cli(str(DATA / "lister_excel_windows1252.csv"))
    windows = sorted(ListCount.objects.values_list("patient_list__municipality__kommunenummer",
                                                   "patient_list__listenummer", "month", "antall_pasienter"))
    ListCount.objects.all().delete()
    ListHolder.objects.all().delete()
    PatientList.objects.all().delete()
    lines = (DATA / "lister_eksempel.csv").read_bytes().splitlines()[:25]
    run(b"\n".join(lines) + b"\n")
    utf8 = sorted(ListCount.objects.values_list("patient_list__municipality__kommunenummer",
                                                "patient_list__listenummer", "month", "antall_pasienter"))
    assert windows == utf8 and len(utf8) == 24


@pytest.mark.parametrize("name, line", [
    ("antall_ikke_tall.csv", "Rad 5, kolonne antall_pasienter: "),
    ("dobbel_rad.csv", "Rad 14: "),
    ("maaned_ikke_den_forste.csv", "Rad 8, kolonne maaned: "),
    ("mangler_kolonne_antall.csv", "Rad 1, kolonne antall_pasienter: "),
    ("orgnr_kontrollsiffer.csv", "Rad 4, kolonne organisasjonsnummer: "),
    ("siste_rad_feil.csv", "Rad 13, kolonne antall_pasienter: "),
])
def test_bad_files_write_nothing_exit_1_and_leave_one_failed_job(name, line):
    code, out, err = cli(str(DATA / "feil" / name))
    assert code == 1
    assert err.startswith(line)
    assert "opprettet" not in out
    assert domain_rows() == (0, 0, 0, 0, 0)
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.errors and job.file


def test_bad_file_changes_nothing_already_stored():
    cli(str(DATA / "lister_eksempel.csv"))
    before = domain_rows()
    data = (DATA / "lister_eksempel.csv").read_bytes().replace(b";589;2020-03", b";600;2020-03")
    data += b"0301;961793386;\xc3\x85sen legesenter 1;1702636;Ragnhild Aasen;100;2000;-5;2020-09\n"
    job = run(data)
    assert job.status == "failed"
    assert job.errors == [{"rad": 98, "kolonne": "antall_pasienter", "melding": job.errors[0]["melding"]}]
    assert domain_rows() == before
    assert ListCount.objects.get(patient_list__listenummer="100", month=date(2020, 3, 1)).antall_pasienter == 589


def test_dry_run_prints_the_same_and_writes_nothing():
    code, out, _ = cli(str(DATA / "lister_eksempel.csv"), "--dry-run")
    assert (code, out.strip().splitlines()[-1]) == (0, "opprettet 96, endret 0, uendret 0")
    assert domain_rows() == (0, 0, 0, 0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cli_as_a_process_exit_codes_and_stderr_lines():
    """The real command line: exit 1 for a missing file, an unknown user and a bad file (only `Rad …` lines
    on stderr), exit 0 and the summary line last for a good one."""
    env = subprocess_env()
    for args in (["/finnes/ikke.csv"], [str(DATA / "lister_eksempel.csv"), "--user", "ingen"]):
        result = subprocess.run([sys.executable, "manage.py", "import_lists", *args], cwd=ROOT,
                                capture_output=True, text=True, env=env)
        assert result.returncode == 1 and ("Finner ikke filen" in result.stderr or "Ukjent bruker" in result.stderr)
    result = subprocess.run([sys.executable, "manage.py", "import_lists", str(DATA / "feil" / "dobbel_rad.csv")],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Rad 14: Liste 100 i kommune 0301 for 2020-03 står allerede i rad 2. Fjern en av radene."]
    assert domain_rows() == (0, 0, 0, 0, 0)
    result = subprocess.run([sys.executable, "manage.py", "import_lists", str(DATA / "lister_eksempel.csv")],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert (result.returncode, result.stdout.strip().splitlines()[-1]) == (0, "opprettet 96, endret 0, uendret 0")
    assert domain_rows() == (8, 16, 16, 16, 96)


def test_user_may_import_only_where_administrator(administrator, caseworker):
    job = run(csv(ROW.format(n=500, m="2020-05"), "4601;961793386;Åsen;1702636;Ragnhild Aasen;7;2000;500;2020-05"),
              user=administrator)
    assert job.status == "failed"
    assert [(e["rad"], e["kolonne"]) for e in job.errors] == [(3, "kommunenummer")]
    assert "tilgang" in job.errors[0]["melding"]
    job = run(csv(ROW.format(n=500, m="2020-05")), user=caseworker)
    assert job.status == "failed" and job.errors[0]["rad"] == 2
    job = run(csv(ROW.format(n=500, m="2020-05")), user=administrator)
    assert (job.status, job.created) == ("done", 1)


def test_changed_rows_are_counted_and_holder_history_is_kept():
    run(csv(ROW.format(n=500, m="2020-05"), ROW.format(n=510, m="2020-06")))
    job = run(csv(ROW.format(n=500, m="2020-05"), ROW.format(n=520, m="2020-06"),
                  "0301;961793386;Åsen legesenter 1;1111111;Ny Lege;100;2000;530;2020-07"))
    assert (job.created, job.changed, job.unchanged) == (1, 1, 1)
    holders = list(ListHolder.objects.order_by("from_month").values_list("from_month", "doctor__hpr_nummer"))
    assert holders == [(date(2020, 5, 1), "1702636"), (date(2020, 7, 1), "1111111")]
    assert job.months == ["2020-06", "2020-07"]


def test_an_older_month_of_the_same_holder_moves_the_start_back():
    run(csv(ROW.format(n=500, m="2020-05")))
    job = run(csv(ROW.format(n=500, m="2020-03")))
    assert (job.created, job.changed) == (1, 0)
    assert list(ListHolder.objects.values_list("from_month", flat=True)) == [date(2020, 3, 1)]


def test_driftsform_ubesatt_behovsindeks_and_avtale_fra():
    header = HEADER + ";driftsform;behovsindeks;avtale_fra"
    job = run(csv("0301;961793386;Åsen;1702636;Ragnhild Aasen;100;2000;800;2023-05;fastlønnet;1,1000;2019-03-01",
                  "0301;961793386;Åsen;;;100;2000;790;2023-06;ubesatt;;", header=header))
    assert job.status == "done", job.errors
    holders = list(ListHolder.objects.order_by("from_month").values_list("doctor__hpr_nummer", "driftsform",
                                                                          "avtale_fra"))
    assert holders == [("1702636", "fastlonnet", date(2019, 3, 1)), (None, "ubesatt", None)]
    assert ListCount.objects.get(month=date(2023, 5, 1)).behovsindeks == Decimal("1.1000")
    # an empty behovsindeks keeps the stored one; driftsform unchanged for the same holder
    job = run(csv(ROW.format(n=800, m="2023-05").replace("Åsen legesenter 1", "Åsen")))
    assert (job.changed, job.unchanged) == (0, 1)
    assert ListCount.objects.get(month=date(2023, 5, 1)).behovsindeks == Decimal("1.1000")
    assert ListHolder.objects.get(from_month=date(2023, 5, 1)).driftsform == "fastlonnet"


def test_listetak_of_the_list_follows_the_latest_month():
    run(csv(ROW.format(n=500, m="2020-06").replace(";2000;", ";1500;")))
    run(csv(ROW.format(n=500, m="2020-05")))  # an older month does not overwrite today's listetak
    assert PatientList.objects.get().listetak == 1500
    run(csv(ROW.format(n=500, m="2020-07").replace(";2000;", ";1800;")))
    assert PatientList.objects.get().listetak == 1800


def test_import_writes_history_for_practices_doctors_and_lists():
    run(csv(ROW.format(n=500, m="2020-05")))
    run(csv(ROW.format(n=500, m="2020-05").replace("Ragnhild Aasen", "Ragnhild Aasen-Berg")))
    doctor = Doctor.objects.get()
    assert [h.name for h in doctor.history.order_by("history_date")] == ["Ragnhild Aasen", "Ragnhild Aasen-Berg"]
    assert PatientList.history.count() == 1 and Practice.history.count() == 1


def test_query_count_of_the_import_is_constant(django_assert_max_num_queries):
    small = csv(*[ROW.format(n=500 + i, m=f"2020-{i:02d}").replace(";100;", ";100;") for i in range(1, 4)])
    rows = [f"0301;961793386;Åsen;{1000 + i};Lege {i};{200 + i};2000;{600 + i};2020-{m:02d}"
            for i in range(60) for m in (1, 2, 3)]
    with django_assert_max_num_queries(60) as small_run:
        run(small)
    with django_assert_max_num_queries(60) as big_run:
        run(csv(*rows))
    assert len(big_run.captured_queries) <= len(small_run.captured_queries) + 5


# --- browser views ----------------------------------------------------------------------------------------


def upload(client, data: bytes, name="lister.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("practices:import_index"), {"file": SimpleUploadedFile(name, data)})


def test_upload_preview_confirm_and_log(client, administrator):
    client.force_login(administrator)
    response = upload(client, (DATA / "lister_eksempel.csv").read_bytes().replace(b"\n1804;", b"\n0301;", 0))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("practices:import_detail", args=[job.pk])
    assert job.status == "failed"  # the file has rows for municipalities the user does not administer
    assert domain_rows() == (0, 0, 0, 0, 0)
    page = client.get(response["Location"]).content.decode()
    assert "Filen ble avvist. Ingenting er lagret." in page and "Du har ikke tilgang" in page

    lines = (DATA / "lister_eksempel.csv").read_bytes().splitlines()
    oslo_rows = b"\n".join(line for line in lines if line.startswith((b"0301", b"kommunenummer"))) + b"\n"
    response = upload(client, oslo_rows)
    job = ImportJob.objects.latest("pk")
    assert (job.status, job.created) == ("preview", 24)
    page = client.get(response["Location"]).content.decode()
    assert "Forhåndsvisning: ingenting er lagret ennå." in page and "Bekreft og importer" in page
    assert ListCount.objects.count() == 0
    client.post(reverse("practices:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 24)
    assert ListCount.objects.count() == 24
    log = client.get(reverse("practices:import_index")).content.decode()
    assert "lister.csv" in log and "Fullført" in log and "Avvist" in log
    download = client.get(reverse("practices:import_download", args=[job.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == oslo_rows
    detail = client.get(reverse("practices:import_detail", args=[job.pk])).content.decode()
    months = sorted(job.months)
    assert len(months) == 6 and detail.count('data-testid="payment-link"') == 6  # docs/import.md: links to payments
    assert f'href="{reverse("grants:payment_month", args=["0301", months[0]])}"' in detail


@pytest.mark.parametrize("data, message", [
    (b"", "tom"),
    (b"PK\x03\x04" + b"\x00" * 100, "ikke en csv-fil"),
    (HEADER.encode() + b"\n", "ingen datarader"),
])
def test_whole_file_errors_in_the_browser(client, administrator, data, message):
    client.force_login(administrator)
    response = upload(client, data)
    page = client.get(response["Location"]).content.decode()
    assert "Filen ble avvist" in page and message in page.lower()
    assert ImportJob.objects.get().status == "failed"


def test_upload_over_20_mb_is_rejected_and_logged(client, administrator, settings):
    settings.IMPORT_MAX_BYTES = 1000
    client.force_login(administrator)
    response = upload(client, csv(*[ROW.format(n=500, m="2020-05")] * 40))
    page = client.get(response["Location"]).content.decode()
    assert "Filen er for stor" in page
    assert ImportJob.objects.get().status == "failed" and domain_rows() == (0, 0, 0, 0, 0)


def test_import_scope_roles_and_other_municipalities(client, administrator, caseworker, auditor, outsider):
    job = run(csv(ROW.format(n=500, m="2020-05")), user=administrator)
    for user, status in ((administrator, 200), (caseworker, 200), (auditor, 200), (outsider, 404)):
        client.force_login(user)
        assert client.get(reverse("practices:import_detail", args=[job.pk])).status_code == status
        assert client.get(reverse("practices:import_download", args=[job.pk])).status_code == status
    client.force_login(caseworker)
    response = upload(client, csv(ROW.format(n=500, m="2020-05")))
    assert response.status_code == 403
    assert "Bare kommuneadministratorer kan importere listetall." in response.content.decode()
