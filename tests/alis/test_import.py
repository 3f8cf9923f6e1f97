"""Bulk import of supervision sessions (docs/alis.md with §9's rules): formats, every error with row and column,
all or nothing (a failed ImportJob, no session), re-import writes nothing twice, scope."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from alis.models import SupervisionSession
from alis.services.session_import import session_import_confirm, session_import_upload
from practices.models import ImportJob
from tests.factories_alis import (
    AgreementFactory,
    SessionFactory,
    SpecialistFactory,
    approved,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
D = Decimal
HEADER = "kommunenummer;avtalenummer;dato;type;timer;veileder_hpr;notat"


@pytest.fixture
def agreement(administrator, oslo):
    return approved(practice__municipality=oslo, created_by=administrator, avtalenummer="2021-7",
                    start_date=timezone.localdate() - timedelta(days=400))


def csv(*lines, header=HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def day(agreement, offset):
    return agreement.start_date + timedelta(days=offset)


def good_file(agreement) -> bytes:
    hpr = agreement.supervisor.hpr_nummer
    d1, d2 = day(agreement, 10), day(agreement, 20)
    return csv(f"0301;2021-7;{d1.isoformat()};individuell;1,5;{hpr};Gjennomgang av journaler",
               f"301;2021-7;{d2:%d.%m.%Y};individuell;2.25;{hpr};",
               f"0301;2021-7;{d2.isoformat()};gruppe;3;{hpr};Gruppe Sentrum")


def upload(user, data, name="veiledning.csv"):
    return session_import_upload(user=user, data=data, filename=name)


def test_good_file_preview_then_confirm(administrator, agreement):
    job = upload(administrator, good_file(agreement))
    assert job.kind == "veiledning" and job.status == "preview", job.errors or job.message
    assert (job.data_rows, job.created, job.unchanged) == (3, 3, 0)
    assert job.warnings == ["Rad 3: kommunenummer med tre sifre er utvidet med en ledende null."]
    assert not SupervisionSession.objects.exists()  # a preview writes nothing
    job = session_import_confirm(job=job, user=administrator)
    assert job.status == "done" and job.created == 3
    sessions = list(SupervisionSession.objects.order_by("date", "kind"))
    assert [(s.kind, s.hours) for s in sessions] == [("individuell", D("1.5")), ("gruppe", D(3)),
                                                      ("individuell", D("2.25"))]
    assert sessions[0].note == "Gjennomgang av journaler" and sessions[0].supervisor == agreement.supervisor
    # no gruppeleder column: the group leader is the doctor named in veileder_hpr
    assert sessions[1].group_leader == f"{agreement.supervisor.name} (HPR {agreement.supervisor.hpr_nummer})"
    assert sessions[1].supervisor is None and sessions[1].note == "Gruppe Sentrum"
    assert all(s.import_job_id == job.pk and s.created_by == administrator for s in sessions)
    assert list(job.municipalities.values_list("kommunenummer", flat=True)) == ["0301"]


def test_reimport_of_the_same_file_writes_nothing(administrator, agreement):
    session_import_confirm(job=upload(administrator, good_file(agreement)), user=administrator)
    job = session_import_confirm(job=upload(administrator, good_file(agreement)), user=administrator)
    assert job.status == "done" and (job.created, job.unchanged) == (0, 3)
    assert SupervisionSession.objects.count() == 3


def test_group_leader_column_or_hpr(administrator, agreement):
    leader = SpecialistFactory(name="Gro Gruppeleder")
    header = HEADER + ";gruppeleder"
    data = csv(f"0301;2021-7;{day(agreement, 5).isoformat()};gruppe;3;;;Legeforeningens gruppe Nord",
               f"0301;2021-7;{day(agreement, 6).isoformat()};Gruppe;3;{leader.hpr_nummer};;", header=header)
    job = session_import_confirm(job=upload(administrator, data), user=administrator)
    assert job.status == "done", job.errors
    assert sorted(SupervisionSession.objects.values_list("group_leader", flat=True)) == [
        f"Gro Gruppeleder (HPR {leader.hpr_nummer})", "Legeforeningens gruppe Nord"]


def test_bad_file_writes_nothing_and_keeps_a_failed_job_with_every_error(administrator, agreement, oslo):
    hpr = agreement.supervisor.hpr_nummer
    other = SpecialistFactory()
    draft = AgreementFactory(practice__municipality=oslo, avtalenummer="UTKAST")
    tomorrow = timezone.localdate() + timedelta(days=1)
    d = day(agreement, 30).isoformat()
    data = csv(
        f"0301;2021-7;{day(agreement, 10).isoformat()};individuell;2;{hpr};ok",  # 2: valid
        f"0301;2021-7;{(agreement.start_date - timedelta(days=1)).isoformat()};individuell;2;{hpr};",  # 3
        f"0301;2021-7;{tomorrow.isoformat()};individuell;2;{hpr};",  # 4
        f"0301;2021-7;{d};individuell;8,25;{hpr};",  # 5
        f"0301;2021-7;{d};individuell;0,1;{hpr};",  # 6
        f"0301;2021-7;{d};individuell;6;{hpr};",  # 7: valid alone
        f"0301;2021-7;{d};gruppe;2,25;{hpr};Gruppe",  # 8: 6 + 2.25 > 8 on the same day
        f"0301;2021-7;{d};individuell;1;{other.hpr_nummer};",  # 9: not the supervisor of record
        f"0301;UKJENT;{d};individuell;1;{hpr};",  # 10
        f"0301;UTKAST;{draft.start_date.isoformat()};individuell;1;{draft.supervisor.hpr_nummer};",  # 11
        f"0301;2021-7;31.02.2021;telefon;x;{hpr};",  # 12
        f"9999;2021-7;{d};individuell;1;{hpr};",  # 13
        f"0301;2021-7;{d};gruppe;1;;",  # 14: group without leader
        "0301;2021-7;2021-03-15;individuell",  # 15: too few fields
    )
    job = upload(administrator, data, name="feil.csv")
    assert job.status == "failed" and job.kind == "veiledning"
    assert not SupervisionSession.objects.exists()
    found = {(e["rad"], e["kolonne"]) for e in job.errors}
    assert found >= {(3, "dato"), (4, "dato"), (5, "timer"), (6, "timer"), (8, "timer"), (9, "veileder_hpr"),
                     (10, "avtalenummer"), (11, "avtalenummer"), (12, "dato"), (12, "type"), (12, "timer"),
                     (13, "kommunenummer"), (14, "gruppeleder"), (15, None)}
    assert not any(e["rad"] in (2, 7) for e in job.errors)
    messages = {(e["rad"], e["kolonne"]): e["melding"] for e in job.errors}
    assert "før avtalens start" in messages[(3, "dato")]
    assert "fram i tid" in messages[(4, "dato")]
    assert "Høyst 8 timer per avtale og dag" in messages[(8, "timer")]
    assert "finnes ikke i kommune 0301" in messages[(10, "avtalenummer")]
    assert "godkjent avtale" in messages[(11, "avtalenummer")]
    assert "Bruk individuell eller gruppe" in messages[(12, "type")]
    # confirming a failed job does nothing
    assert session_import_confirm(job=job, user=administrator).status == "failed"
    assert not SupervisionSession.objects.exists()


def test_existing_sessions_count_in_the_daily_limit(administrator, agreement):
    SessionFactory(agreement=agreement, date=day(agreement, 3), hours=D("7"))
    data = csv(f"0301;2021-7;{day(agreement, 3).isoformat()};individuell;1,25;{agreement.supervisor.hpr_nummer};")
    job = upload(administrator, data)
    assert job.status == "failed" and job.errors[0]["kolonne"] == "timer"


def test_a_session_logged_after_the_preview_is_checked_again_at_confirm(administrator, agreement):
    data = csv(f"0301;2021-7;{day(agreement, 3).isoformat()};individuell;4;{agreement.supervisor.hpr_nummer};")
    job = upload(administrator, data)
    assert job.status == "preview"
    SessionFactory(agreement=agreement, date=day(agreement, 3), hours=D("5"))
    job = session_import_confirm(job=job, user=administrator)
    assert job.status == "failed" and "Høyst 8 timer" in job.errors[0]["melding"]
    assert SupervisionSession.objects.count() == 1


def test_whole_file_problems_and_missing_columns(administrator):
    job = upload(administrator, b"")
    assert job.status == "failed" and job.message
    job = upload(administrator, b"PK\x03\x04binary")
    assert job.status == "failed" and "Excel" in job.message
    job = upload(administrator, b"kommunenummer;avtalenummer;dato\n0301;1;2021-01-01\n")
    assert job.status == "failed"
    assert {(e["rad"], e["kolonne"]) for e in job.errors} == {(1, "type"), (1, "timer"), (1, "veileder_hpr")}


def test_windows_1252_and_tab_separated(administrator, agreement):
    hpr = agreement.supervisor.hpr_nummer
    data = (HEADER.replace(";", "\t") + "\r\n" + f"0301\t2021-7\t{day(agreement, 4):%d.%m.%Y}\tindividuell\t1\t"
            f"{hpr}\tGjennomgått pasientforløp på sykehjem\r\n").encode("cp1252")
    job = session_import_confirm(job=upload(administrator, data), user=administrator)
    assert job.status == "done", job.errors or job.message
    assert SupervisionSession.objects.get().note == "Gjennomgått pasientforløp på sykehjem"


def test_rows_of_a_municipality_where_the_user_is_not_administrator(administrator, outsider, agreement, bergen):
    data = good_file(agreement)
    job = upload(outsider, data)
    assert job.status == "failed"
    assert all(e["kolonne"] == "kommunenummer" and "ikke kommuneadministrator" in e["melding"] for e in job.errors)


def test_import_pages(client, administrator, caseworker, outsider, agreement):
    client.force_login(administrator)
    response = client.post(reverse("alis:import_index"),
                           {"file": SimpleUploadedFile("veiledning.csv", good_file(agreement))})
    job = ImportJob.objects.get(kind="veiledning")
    assert response.status_code == 302 and response["Location"] == reverse("alis:import_detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Forhåndsvisning" in page and "Bekreft og importer" in page
    client.force_login(caseworker)
    assert client.get(reverse("alis:import_detail", args=[job.pk])).status_code == 200  # the municipality's import
    response = client.post(reverse("alis:import_confirm", args=[job.pk]))
    assert response.status_code == 403 and "Bare den som lastet opp filen" in response.content.decode()
    assert client.post(reverse("alis:import_index"), {"file": SimpleUploadedFile("x.csv", b"a")}).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("alis:import_detail", args=[job.pk])).status_code == 404
    client.force_login(administrator)
    response = client.post(reverse("alis:import_confirm", args=[job.pk]), follow=True)
    assert "Importen er fullført" in response.content.decode()
    assert SupervisionSession.objects.count() == 3
    log = client.get(reverse("alis:import_index")).content.decode()
    assert "veiledning.csv" in log


def test_the_bad_file_page_lists_errors_by_row_and_column(client, administrator, agreement):
    client.force_login(administrator)
    data = csv(f"0301;2021-7;2021-13-01;individuell;1;{agreement.supervisor.hpr_nummer};")
    response = client.post(reverse("alis:import_index"), {"file": SimpleUploadedFile("feil.csv", data)}, follow=True)
    page = response.content.decode()
    assert "Filen ble avvist. Ingenting er lagret." in page
    assert "<td>2</td><td>dato</td>" in page and "ikke en gyldig dato" in page
    assert ImportJob.objects.get().status == "failed"
