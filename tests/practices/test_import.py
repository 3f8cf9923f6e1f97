"""The import of list data end to end through the service, the CLI and the browser views (docs/import.md)."""

import io
import subprocess
import sys
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse

from practices.models import Doctor, ImportJob, ListCount, ListHolder, PatientList, Practice
from practices.selectors import import_jobs_for
from practices.services import list_import
from practices.services.list_import import import_confirm, import_file, import_upload
from tests import factories
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
    assert job.errors == [{"rad": 98, "kolonne": "antall_pasienter", "melding": job.errors[0]["melding"],
                           "kommunenummer": "0301"}]
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


# --- a file for several municipalities (docs/import.md, «Bare mine kommuner» and «Hvem ser en import») ----------


def sample_rows(*kommunenumre) -> bytes:
    """The sample file's header and its rows of `kommunenumre` (24 per municipality)."""
    lines = (DATA / "lister_eksempel.csv").read_bytes().splitlines()
    return b"\n".join([lines[0], *(line for line in lines[1:] if line.split(b";")[0].decode() in kommunenumre)]) + b"\n"


def web_upload(user, data, **kwargs):
    return import_upload(user=user, data=data, filename="lister.csv", source="web", **kwargs)


def written_kommunenumre():
    return (set(PatientList.objects.values_list("municipality__kommunenummer", flat=True))
            | set(Practice.objects.values_list("municipality__kommunenummer", flat=True)))


def test_a_refused_file_offers_only_mine_and_importing_it_writes_only_her_rows(
        administrator, monkeypatch, django_capture_on_commit_callbacks):
    recomputed = []
    monkeypatch.setattr(list_import, "list_counts_changed",
                        SimpleNamespace(send=lambda sender, months: recomputed.extend(months)))
    may_closed = [lambda keys: {key for key in keys if key[1] == date(2020, 5, 1)}]  # every municipality's May
    monkeypatch.setattr(list_import, "CLOSED_MONTH_CHECKS", may_closed)
    job = web_upload(administrator, sample_rows("0301", "4601", "5001"))
    assert (job.status, job.error_count, job.offers_only_mine) == ("failed", 48, True)
    assert job.skipped == {"4601": 24, "5001": 24} and job.skipped_rows == 48
    assert {e["kommunenummer"] for e in job.errors} == {"4601", "5001"}
    assert domain_rows() == (0, 0, 0, 0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        job = import_confirm(job=job, user=administrator, only_mine=True)
    assert (job.status, job.only_mine, job.created, job.changed, job.unchanged) == ("done", True, 24, 0, 0)
    assert (job.data_rows, job.error_count, job.errors) == (24, 0, [])
    assert job.skipped == {"4601": 24, "5001": 24}
    assert list(job.municipalities.values_list("kommunenummer", flat=True)) == ["0301"]
    assert written_kommunenumre() == {"0301"} and ListCount.objects.count() == 24
    assert not Doctor.objects.filter(holdings__patient_list__municipality__kommunenummer__in=["4601", "5001"]).exists()
    assert {knr for knr, _ in recomputed} == {"0301"} and len(recomputed) == 6  # only her months are recomputed
    closed = [w for w in job.warnings if "lukket" in w]
    assert len(closed) == 1 and "0301 2020-05" in closed[0]  # korreksjon as today, for her rows only

    # once: a second click finds the job done and writes nothing more
    again = import_confirm(job=ImportJob.objects.get(pk=job.pk), user=administrator, only_mine=True)
    assert (again.status, again.created) == ("done", 24) and ImportJob.objects.count() == 1


def test_only_mine_is_no_offer_when_the_file_has_any_other_error(administrator, outsider):
    bad_oslo = sample_rows("0301", "4601").replace(b";589;2020-03", b";mange;2020-03")
    bad_bergen = sample_rows("0301", "4601").replace(b";1063;2020-07", b";-1;2020-07")  # a Bergen row's count
    assert [line[:5] for line in bad_bergen.splitlines() if b";-1;" in line] == [b"4601;"]
    practice = factories.PracticeFactory(municipality=outsider.memberships.get().municipality,
                                         organisasjonsnummer="961793386")  # Oslo's rows name a Bergen practice
    for data in (bad_oslo, bad_bergen, sample_rows("0301", "4601")):
        job = web_upload(administrator, data)
        assert job.status == "failed" and not job.offers_only_mine and job.skipped == {}
        assert import_confirm(job=job, user=administrator, only_mine=True).status == "failed"
    assert "hører til en annen kommune" in " ".join(e["melding"] for e in job.errors)
    practice.delete()
    job = web_upload(administrator, sample_rows("4601"))  # nothing of hers: nothing to offer
    assert job.status == "failed" and not job.offers_only_mine
    assert domain_rows() == (0, 0, 0, 0, 0)


def test_the_service_keeps_the_scope_whoever_calls_it(administrator, caseworker):
    data = sample_rows("0301", "4601")
    job = import_file(user=administrator, data=data, filename="x.csv", dry_run=True, only_mine=True)
    assert (job.status, job.created, job.skipped, job.data_rows) == ("preview", 24, {"4601": 24}, 24)
    assert domain_rows() == (0, 0, 0, 0, 0)
    job = import_file(user=administrator, data=data, filename="x.csv", dry_run=False, only_mine=True)
    assert (job.status, job.created, job.skipped) == ("done", 24, {"4601": 24})
    assert written_kommunenumre() == {"0301"}
    # a caseworker may import nowhere: every row is outside her rights, nothing is hers to import
    job = import_file(user=caseworker, data=data, filename="x.csv", dry_run=False, only_mine=True)
    assert job.status == "failed" and job.error_count == 48
    # the default, the CLI and the API stay all-or-nothing: no offer on a CLI job
    job = import_file(user=administrator, data=data, filename="x.csv", dry_run=False)
    assert job.status == "failed" and not job.offers_only_mine
    assert import_confirm(job=job, user=administrator, only_mine=True).status == "failed"
    assert ListCount.objects.count() == 24


def test_only_mine_checks_the_file_again_at_the_run(administrator, oslo):
    job = web_upload(administrator, sample_rows("0301", "4601"))
    administrator.memberships.filter(municipality=oslo).delete()  # her rights went away before she clicked
    job = import_confirm(job=job, user=administrator, only_mine=True)
    assert job.status == "failed" and job.error_count == 48 and not job.offers_only_mine
    assert domain_rows() == (0, 0, 0, 0, 0)


def test_query_count_of_an_only_mine_import_is_constant(administrator, django_assert_max_num_queries):
    small, big = sample_rows("0301", "4601"), sample_rows("0301", "1804", "4601", "5001")
    for data in (small, big):
        job = web_upload(administrator, data)
        with django_assert_max_num_queries(45):
            assert import_confirm(job=job, user=administrator, only_mine=True).status == "done"


# browser views


@pytest.fixture
def colleagues(oslo, bergen, trondheim, administrator, caseworker, auditor, outsider):
    """A job of the system (the CLI) for Oslo and Bergen, with 3-digit kommunenumre in Windows-1252."""
    data = sample_rows("0301", "4601").replace(b"\n0301;", b"\n301;").replace(
        "Åsen".encode(), "Åsen".encode("cp1252"))
    job = import_file(user=None, data=data, filename="nasjonal.csv", dry_run=False)
    assert job.status == "done" and job.warnings and job.changed_sample == []
    return {"job": job, "data": data, "trondheim": factories.member(trondheim, "auditor", username="revisor.trd")}


def test_colleagues_in_every_role_see_an_import_that_touched_their_municipality(client, colleagues, caseworker,
                                                                                 auditor, outsider):
    job = colleagues["job"]
    for user in (caseworker, auditor, outsider):
        client.force_login(user)
        assert job in import_jobs_for(user)
        assert "nasjonal.csv" in client.get(reverse("practices:import_index")).content.decode()
        page = client.get(reverse("practices:import_detail", args=[job.pk])).content.decode()
        assert "Lastet opp av system" in page and "Last ned filens rader for dine kommuner" in page
        assert 'data-testid="hidden-warnings"' in page and "utvidet til 0301" not in page
    client.force_login(colleagues["trondheim"])
    assert job not in import_jobs_for(colleagues["trondheim"])
    for name in ("practices:import_detail", "practices:import_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_a_colleague_downloads_only_her_rows(client, colleagues, auditor, outsider, django_user_model):
    job = colleagues["job"]
    client.force_login(auditor)
    body = b"".join(client.get(reverse("practices:import_download", args=[job.pk])).streaming_content)
    text = body.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == HEADER and len(lines) == 25
    assert all(line.startswith("301;Å") or line.startswith("301;") for line in lines[1:])
    assert "Åsen legesenter" in text and "4601" not in text
    client.force_login(outsider)
    body = b"".join(client.get(reverse("practices:import_download", args=[job.pk])).streaming_content)
    assert [line[:5] for line in body.decode("utf-8-sig").splitlines()[1:]] == ["4601;"] * 24
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(root)
    assert b"".join(client.get(reverse("practices:import_download", args=[job.pk])).streaming_content) == \
        colleagues["data"]


def test_a_colleague_sees_only_the_errors_and_rows_of_her_municipalities(client, oslo, bergen, administrator,
                                                                         caseworker, outsider):
    job = ImportJob.objects.create(user=None, status="failed", filename="x.csv", error_count=3, errors=[
        {"rad": 2, "kolonne": "organisasjonsnummer", "melding": "Oslo-feilen", "kommunenummer": "0301"},
        {"rad": 3, "kolonne": "organisasjonsnummer", "melding": "Bergen-feilen", "kommunenummer": "4601"},
        {"rad": 4, "kolonne": None, "melding": "Uten kommune", "kommunenummer": None}])
    job.municipalities.set([oslo, bergen])
    client.force_login(caseworker)
    page = client.get(reverse("practices:import_detail", args=[job.pk])).content.decode()
    assert "Oslo-feilen" in page and "Bergen-feilen" not in page and "Uten kommune" not in page
    assert "2 feil gjelder rader for andre kommuner" in page
    done = ImportJob.objects.create(user=administrator, status="done", filename="y.csv", changed=2, changed_sample=[
        {"rad": 2, "kommunenummer": "0301", "listenummer": "100", "maaned": "2020-05", "lege": "Oslo-legen",
         "antall_pasienter": 600, "for": 500, "listetak": 2000},
        {"rad": 3, "kommunenummer": "4601", "listenummer": "7", "maaned": "2020-05", "lege": "Bergen-legen",
         "antall_pasienter": 600, "for": 500, "listetak": 2000}])
    done.municipalities.set([oslo, bergen])
    page = client.get(reverse("practices:import_detail", args=[done.pk])).content.decode()
    assert "Oslo-legen" in page and "Bergen-legen" not in page
    client.force_login(administrator)  # the uploader sees all of it
    page = client.get(reverse("practices:import_detail", args=[done.pk])).content.decode()
    assert "Oslo-legen" in page and "Bergen-legen" in page


def test_only_mine_in_the_browser_and_the_log(client, administrator, caseworker, oslo):
    client.force_login(administrator)
    response = upload(client, sample_rows("0301", "4601"))
    page = client.get(response["Location"]).content.decode()
    assert "Importer bare radene for mine kommuner" in page and "4601 Bergen" in page
    job = ImportJob.objects.get()
    client.force_login(caseworker)  # only the uploader may choose it, and a colleague does not see the refusal
    assert client.post(reverse("practices:import_confirm", args=[job.pk]), {"only_mine": "1"}).status_code == 404
    client.force_login(administrator)
    response = client.post(reverse("practices:import_confirm", args=[job.pk]), {"only_mine": "1"}, follow=True)
    page = response.content.decode()
    assert "Importen er fullført: 24 rader." in page and 'data-testid="import-skipped"' in page
    assert ListCount.objects.count() == 24 and written_kommunenumre() == {"0301"}
    log = client.get(reverse("practices:import_index")).content.decode()
    assert "4601 Bergen: 24" in log
    client.force_login(caseworker)  # now it wrote Oslo's rows: her colleague sees it, with the skipped counts
    log = client.get(reverse("practices:import_index")).content.decode()
    assert "4601 Bergen: 24" in log
    client.force_login(factories.member(oslo, "administrator", username="admin2.oslo"))
    assert client.post(reverse("practices:import_confirm", args=[job.pk]), {"only_mine": "1"}).status_code == 403


def test_query_count_of_the_import_log_is_constant(client, administrator, django_assert_max_num_queries):
    client.force_login(administrator)
    web_upload(administrator, sample_rows("0301", "4601"))
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("practices:import_index"))
    for knr in ("1804", "5001", "4601"):
        import_confirm(job=web_upload(administrator, sample_rows("0301", knr)), user=administrator, only_mine=True)
    with django_assert_max_num_queries(20) as many:
        client.get(reverse("practices:import_index"))
    assert len(many.captured_queries) == len(one.captured_queries)  # one query names every skipped municipality
