"""Scoped writes (issue 15): an object belongs to the municipality it belongs to, whatever a request says.

Each test here reproduces a finding of the tester of another municipality: an import that took over Oslo's
practice and renamed Oslo's doctor, a case edit that moved an Oslo draft into Trondheim, and warnings without
a bound. The generated write matrix is tests/security/test_write_matrix.py."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from grants.models import GrunntilskuddApplication, IntroduksjonsAvtale
from practices import importing
from practices.models import Doctor, ImportJob, Membership, Practice
from practices.services.list_import import STORED_WARNINGS, import_file
from tests import factories

pytestmark = pytest.mark.django_db
HEADER = ("kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;listenummer;listetak;"
          "antall_pasienter;maaned")


@pytest.fixture
def oslo_world(oslo, administrator):
    practice = factories.PracticeFactory(municipality=oslo, name="Oslo legesenter")
    holder = factories.ListHolderFactory(patient_list__practice=practice, patient_list__municipality=oslo,
                                         doctor__hpr_nummer="7654321", doctor__name="Oslo Lege")
    return {"practice": practice, "doctor": holder.doctor, "list": holder.patient_list}


def add_role(user, municipality, role):
    Membership.objects.get_or_create(user=user, municipality=municipality, role=role)


def takeover_row(world) -> str:
    orgnr = world["practice"].organisasjonsnummer
    return f"5001;{orgnr};Overtatt av Trondheim;7654321;Omdøpt Lege;9999;1000;500;2022-07"


def assert_oslo_untouched(world, oslo):
    practice = Practice.objects.get(pk=world["practice"].pk)
    assert (practice.name, practice.municipality_id) == ("Oslo legesenter", oslo.pk)
    assert Doctor.objects.get(pk=world["doctor"].pk).name == "Oslo Lege"


ORG_ERROR = "Legekontoret {orgnr} hører til en annen kommune"


class TestImportCannotTakeOverAnotherMunicipalitysPractice:
    def test_csv_upload(self, client, oslo, oslo_world, trondheim_admin, administrator):
        client.force_login(trondheim_admin)
        data = f"{HEADER}\n{takeover_row(oslo_world)}\n".encode()
        upload = io.BytesIO(data)
        upload.name = "overtak.csv"
        response = client.post(reverse("practices:import_index"), {"file": upload})
        job = ImportJob.objects.latest("pk")
        assert response.status_code == 302 and job.status == ImportJob.Status.FAILED
        assert job.errors[0]["rad"] == 2 and job.errors[0]["kolonne"] == "organisasjonsnummer"
        assert job.errors[0]["melding"].startswith(ORG_ERROR.format(orgnr=oslo_world["practice"].organisasjonsnummer))
        assert_oslo_untouched(oslo_world, oslo)
        client.force_login(administrator)  # Oslo's administrator still has her practice
        assert client.get(reverse("practices:practice_detail", args=[oslo_world["practice"].pk])).status_code == 200

    def test_cli_as_user(self, tmp_path, oslo, oslo_world, trondheim_admin):
        path = tmp_path / "overtak.csv"
        path.write_text(f"{HEADER}\n{takeover_row(oslo_world)}\n")
        err = io.StringIO()
        with pytest.raises(SystemExit) as exit_:
            call_command("import_lists", str(path), "--user", "admin.trondheim", stdout=io.StringIO(), stderr=err)
        assert exit_.value.code == 1
        orgnr = oslo_world["practice"].organisasjonsnummer
        assert err.getvalue().startswith(f"Rad 2, kolonne organisasjonsnummer: {ORG_ERROR.format(orgnr=orgnr)}")
        assert_oslo_untouched(oslo_world, oslo)

    def test_list_counts_api(self, client, oslo, oslo_world, trondheim_admin):
        client.force_login(trondheim_admin)
        row = dict(zip(HEADER.split(";"), takeover_row(oslo_world).split(";"), strict=True))
        response = client.post("/api/v1/list-counts/", json.dumps([row]), content_type="application/json")
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert (error["rad"], error["kolonne"]) == (2, "organisasjonsnummer")
        assert_oslo_untouched(oslo_world, oslo)

    def test_a_practice_is_never_moved_even_by_an_administrator_of_both(self, oslo, oslo_world, trondheim,
                                                                        administrator):
        add_role(administrator, trondheim, "administrator")
        job = import_file(user=administrator, data=f"{HEADER}\n{takeover_row(oslo_world)}\n".encode(),
                          filename="x.csv", dry_run=False)
        assert job.status == ImportJob.Status.DONE, job.errors
        practice = Practice.objects.get(pk=oslo_world["practice"].pk)
        assert practice.municipality_id == oslo.pk and practice.name == "Overtatt av Trondheim"


class TestImportKeepsTheNameOfADoctorOfAnotherMunicipality:
    ROW = "5001;974760673;Trondheim legesenter;7654321;Omdøpt Lege;9999;1000;500;2022-07"

    def test_linked_but_not_renamed_with_a_warning(self, oslo, oslo_world, trondheim_admin):
        job = import_file(user=trondheim_admin, data=f"{HEADER}\n{self.ROW}\n".encode(), filename="x.csv",
                          dry_run=False)
        assert job.status == ImportJob.Status.DONE, job.errors
        assert (job.created, job.changed, job.unchanged) == (1, 0, 0)
        assert Doctor.objects.get(hpr_nummer="7654321").name == "Oslo Lege"
        assert any("7654321" in w and "Oslo Lege" in w for w in job.warnings), job.warnings

    def test_renamed_where_only_the_importers_municipalities_know_the_doctor(self, oslo, oslo_world,
                                                                              administrator):
        row = f"0301;{oslo_world['practice'].organisasjonsnummer};Oslo legesenter;7654321;Ny Navn;" \
              f"{oslo_world['list'].listenummer};1000;500;2022-07"
        job = import_file(user=administrator, data=f"{HEADER}\n{row}\n".encode(), filename="x.csv", dry_run=False)
        assert job.status == ImportJob.Status.DONE, job.errors
        assert Doctor.objects.get(hpr_nummer="7654321").name == "Ny Navn"

    def test_a_case_in_another_municipality_counts_too(self, oslo, oslo_world, trondheim, trondheim_admin,
                                                       administrator):
        """The doctor holds a Trondheim list too, but has an Oslo case: Trondheim may not rename."""
        factories.ListHolderFactory(patient_list__practice__municipality=trondheim, doctor=oslo_world["doctor"])
        GrunntilskuddApplication.objects.create(
            municipality=oslo, patient_list=oslo_world["list"], doctor=oslo_world["doctor"],
            avtale_fra=date(2022, 1, 1), created_by=administrator)
        job = import_file(user=trondheim_admin, data=f"{HEADER}\n{self.ROW}\n".encode(), filename="x.csv",
                          dry_run=False)
        assert job.status == ImportJob.Status.DONE
        assert Doctor.objects.get(hpr_nummer="7654321").name == "Oslo Lege"


class TestDoctorEditNeedsAdministratorEverywhereTheDoctorIs:
    def test_form_and_api_refuse_an_administrator_of_one_of_two(self, client, oslo, oslo_world, trondheim,
                                                                trondheim_admin):
        factories.ListHolderFactory(patient_list__practice__municipality=trondheim, doctor=oslo_world["doctor"])
        client.force_login(trondheim_admin)
        doctor = oslo_world["doctor"]
        response = client.post(reverse("practices:doctor_edit", args=[doctor.pk]),
                               {"hpr_nummer": "7654321", "name": "Omdøpt"})
        assert response.status_code == 403 and "Oslo" in response.content.decode()
        response = client.patch("/api/v1/doctors/7654321/", json.dumps({"name": "Omdøpt"}),
                                content_type="application/json")
        assert response.status_code == 403 and "Oslo" in response.json()["detail"]
        assert Doctor.objects.get(pk=doctor.pk).name == "Oslo Lege"

    def test_an_administrator_of_both_may(self, client, oslo, oslo_world, trondheim, administrator):
        factories.ListHolderFactory(patient_list__practice__municipality=trondheim, doctor=oslo_world["doctor"])
        add_role(administrator, trondheim, "administrator")
        client.force_login(administrator)
        response = client.patch("/api/v1/doctors/7654321/", json.dumps({"name": "Omdøpt"}),
                                content_type="application/json")
        assert response.status_code == 200
        assert Doctor.objects.get(pk=oslo_world["doctor"].pk).name == "Omdøpt"

    def test_the_hpr_number_of_a_doctor_is_not_edited(self, client, oslo, oslo_world, administrator):
        client.force_login(administrator)
        doctor = oslo_world["doctor"]
        client.post(reverse("practices:doctor_edit", args=[doctor.pk]), {"hpr_nummer": "1111111", "name": "X"})
        assert Doctor.objects.get(pk=doctor.pk).hpr_nummer == "7654321"


@pytest.fixture
def mixed_user(oslo, trondheim):
    """Revisor in Oslo, administrator in Trondheim."""
    user = factories.member(oslo, "auditor", username="blandet")
    add_role(user, trondheim, "administrator")
    return user


class TestACaseStaysInItsMunicipality:
    def test_grunntilskudd_draft_of_oslo_cannot_be_taken_over(self, client, oslo, oslo_world, trondheim,
                                                              mixed_user, administrator):
        case = GrunntilskuddApplication.objects.create(
            municipality=oslo, patient_list=oslo_world["list"], doctor=oslo_world["doctor"],
            avtale_fra=date(2022, 1, 1), created_by=administrator, saksnummer="OSLO-1")
        trondheim_list = factories.ListHolderFactory(patient_list__practice__municipality=trondheim).patient_list
        client.force_login(mixed_user)
        response = client.post(reverse("grants:grunntilskudd_edit", args=[case.pk]),
                               {"patient_list": trondheim_list.pk, "avtale_fra": "2022-01-01", "saksnummer": "X"})
        assert response.status_code == 403
        case.refresh_from_db()
        assert (case.municipality_id, case.patient_list_id, case.saksnummer) == (oslo.pk, oslo_world["list"].pk,
                                                                                "OSLO-1")

    def test_introduksjonsavtale_draft_of_oslo_cannot_be_taken_over(self, client, oslo, oslo_world, trondheim,
                                                                    mixed_user, administrator):
        case = IntroduksjonsAvtale.objects.create(
            municipality=oslo, practice=oslo_world["practice"], doctor=factories.DoctorFactory(),
            start_date=date(2022, 2, 1), end_date=date(2024, 1, 31), position_percent=100, annual_contribution=0,
            created_by=administrator, saksnummer="OSLO-2")
        trondheim_practice = factories.PracticeFactory(municipality=trondheim)
        client.force_login(mixed_user)
        response = client.post(reverse("grants:introduksjon_edit", args=[case.pk]), {
            "hpr_nummer": "5555555", "doctor_name": "Ny", "practice": trondheim_practice.pk,
            "start_date": "2022-02-01", "end_date": "2024-01-31", "position_percent": 100,
            "annual_contribution": "0", "saksnummer": "X"})
        assert response.status_code == 403
        case.refresh_from_db()
        assert (case.municipality_id, case.practice_id, case.saksnummer) == (oslo.pk, oslo_world["practice"].pk,
                                                                            "OSLO-2")

    def test_an_administrator_of_both_cannot_move_a_case_either(self, client, oslo, oslo_world, trondheim,
                                                                administrator):
        add_role(administrator, trondheim, "administrator")
        case = GrunntilskuddApplication.objects.create(
            municipality=oslo, patient_list=oslo_world["list"], doctor=oslo_world["doctor"],
            avtale_fra=date(2022, 1, 1), created_by=administrator)
        trondheim_list = factories.ListHolderFactory(patient_list__practice__municipality=trondheim).patient_list
        client.force_login(administrator)
        response = client.post(reverse("grants:grunntilskudd_edit", args=[case.pk]),
                               {"patient_list": trondheim_list.pk, "avtale_fra": "2022-01-01"})
        assert response.status_code == 200  # the form again, with the field's error
        assert "Velg" in response.content.decode() or "annen kommune" in response.content.decode()
        case.refresh_from_db()
        assert case.municipality_id == oslo.pk and case.patient_list_id == oslo_world["list"].pk


class TestWarningsAreBounded:
    def test_a_header_with_too_many_columns_is_refused_as_a_whole(self, administrator):
        header = HEADER + ";" + ";".join(f"x{i}" for i in range(5000))
        row = "0301;961793386;A;1702636;B;100;2000;1000;2020-06" + ";" * 5000
        job = import_file(user=administrator, data=f"{header}\n{row}\n".encode(), filename="x.csv", dry_run=True)
        assert job.status == ImportJob.Status.FAILED
        assert "5 009 kolonner" in job.message and "høyst" in job.message
        assert job.warnings == []

    def test_an_api_row_with_too_many_keys_is_refused(self, administrator):
        record = {f"x{i}": "1" for i in range(1000)}
        with pytest.raises(importing.FileRejected, match="1 000 felt"):
            importing.parse_list_records([record], importing.Context(municipalities=frozenset({"0301"}),
                                                                     renumbering={}))

    def test_unknown_columns_are_reported_once_each(self, administrator):
        header = HEADER + ";ukjent;ukjent;annet"
        rows = "\n".join(f"0301;961793386;A;1702636;B;100;2000;{1000 + i};2020-{i:02d};x;y;z" for i in range(1, 4))
        job = import_file(user=administrator, data=f"{header}\n{rows}\n".encode(), filename="x.csv", dry_run=True)
        assert [w for w in job.warnings if "ukjent" in w] == [
            "Kolonnen «ukjent» er ukjent og blir ikke lest.", "Kolonnen «annet» er ukjent og blir ikke lest."]

    def test_stored_warnings_keep_the_first_thousand_and_the_total(self, oslo, administrator):
        """1 500 doctors of another municipality renamed in one file: 1 500 warnings, 1 000 stored."""
        from practices.services.list_import import store_warnings

        job = ImportJob.objects.create(user=administrator, filename="x.csv")
        store_warnings(job, [f"advarsel {i}" for i in range(1500)])
        assert len(job.warnings) == STORED_WARNINGS == 1000 and job.warning_count == 1500


class TestImportMessagesSayWhatIsWrong:
    def test_a_50_mb_upload_names_its_real_size(self, client, administrator):
        client.force_login(administrator)
        upload = io.BytesIO(b"x" * (50 * 1024 * 1024))
        upload.name = "stor.csv"
        client.post(reverse("practices:import_index"), {"file": upload})
        job = ImportJob.objects.latest("pk")
        assert job.status == ImportJob.Status.FAILED
        assert job.message.startswith("Filen er for stor (50,0 MB). Største tillatte filstørrelse er 20 MB.")

    def test_a_long_unquoted_field_is_too_long_not_an_unclosed_quote(self, administrator):
        data = f"{HEADER}\n0301;961793386;{'A' * 200_000};1702636;B;100;2000;1000;2020-06\n".encode()
        job = import_file(user=administrator, data=data, filename="x.csv", dry_run=True)
        assert job.status == ImportJob.Status.FAILED
        assert "en verdi i rad 2 er lengre enn 131 072 tegn" in job.message and "anførselstegn" not in job.message

    def test_an_unclosed_quote_is_still_called_so(self, administrator):
        data = f'{HEADER}\n0301;961793386;"Åpent sitat;1702636;B;100;2000;1000;2020-06\n'.encode()
        data += b"0301;961793386;A;1702636;B;100;2000;1000;2020-07\n" * 10
        job = import_file(user=administrator, data=data, filename="x.csv", dry_run=True)
        assert job.status == ImportJob.Status.FAILED and "anførselstegn" in job.message
