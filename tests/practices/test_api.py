"""API: municipalities, practices, doctors, lists and list counts (docs/api.md) — every role, scope (404),
the import's all-or-nothing with exact rad/kolonne, and the doctor rules shared with the browser."""

from datetime import date

import pytest

from practices.models import Doctor, ImportJob, ListCount, PatientList
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
ROLES = ["administrator", "caseworker", "auditor", "outsider"]


@pytest.fixture
def oslo_list(oslo):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1200,
                                         patient_list__listenummer="101", doctor__hpr_nummer="1234567",
                                         doctor__name="Kari Lege", avtale_fra=date(2019, 3, 1))
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 5, 1), antall_pasienter=900,
                               listetak=1200)
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=950,
                               listetak=1200)
    return holder


@pytest.fixture
def bergen_list(bergen):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=bergen, patient_list__listenummer="7",
                                         doctor__hpr_nummer="7654321")
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1))
    return holder


def row(**overrides):
    values = {"kommunenummer": "0301", "organisasjonsnummer": factories.valid_orgnr(500),
              "legekontor": "Torget legesenter", "hpr_nummer": "5550001", "lege_navn": "Per Hansen",
              "listenummer": "900", "listetak": 1000, "antall_pasienter": 812, "maaned": "2020-06"}
    values.update(overrides)
    return values


# --- municipalities ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_logged_in_user_sees_all_municipalities_paginated(api, users, role):
    response = api(users[role]).get("/api/v1/municipalities/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] >= 357 and len(body["results"]) == 100 and body["previous"] is None
    assert body["next"].endswith("/api/v1/municipalities/?page=2")
    assert body["results"][0] == {"kommunenummer": "0301", "name": body["results"][0]["name"],
                                  "county": body["results"][0]["county"]}
    last = api(users[role]).get("/api/v1/municipalities/", {"page": 4}).json()
    assert last["next"] is None and len(last["results"]) == body["count"] - 300
    assert api(users[role]).get("/api/v1/municipalities/4601/").json()["kommunenummer"] == "4601"


def test_anonymous_gets_401_with_a_norwegian_message(api):
    for url in ("/api/v1/municipalities/", "/api/v1/lists/", "/api/v1/doctors/", "/api/v1/payment-lines/"):
        response = api().get(url)
        assert response.status_code == 401, url
        assert "ikke logget inn" in response.json()["detail"]
        assert response["WWW-Authenticate"] == "Token"
    assert api().post("/api/v1/list-counts/", [row()], format="json").status_code == 401


def test_pagination_page_size_and_bad_pages(api, auditor):
    body = api(auditor).get("/api/v1/municipalities/", {"page_size": 10}).json()
    assert len(body["results"]) == 10 and "page_size=10" in body["next"]
    assert len(api(auditor).get("/api/v1/municipalities/", {"page_size": 100000}).json()["results"]) == 357
    for page in ("0", "999", "abc"):
        response = api(auditor).get("/api/v1/municipalities/", {"page": page})
        assert response.status_code == 404 and response.json()["detail"] == "Siden finnes ikke."


# --- practices and lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_practices_and_lists_are_scoped(api, users, role, oslo_list, bergen_list):
    client = api(users[role])
    practices = client.get("/api/v1/practices/").json()
    lists = client.get("/api/v1/lists/").json()
    oslo_org = oslo_list.patient_list.practice.organisasjonsnummer
    detail = client.get(f"/api/v1/lists/0301/{oslo_list.patient_list.listenummer}/")
    if role == "outsider":
        assert [p["kommunenummer"] for p in practices["results"]] == ["4601"]
        assert [row["listenummer"] for row in lists["results"]] == ["7"]
        assert detail.status_code == 404
        assert client.get(f"/api/v1/practices/{oslo_org}/").status_code == 404
        return
    assert [p["organisasjonsnummer"] for p in practices["results"]] == [oslo_org]
    assert client.get(f"/api/v1/practices/{oslo_org}/").json()["kommunenummer"] == "0301"
    assert lists["count"] == 1
    assert lists["results"][0] == {
        "kommunenummer": "0301", "listenummer": "101", "organisasjonsnummer": oslo_org,
        "legekontor": oslo_list.patient_list.practice.name, "listetak": 1200, "active_from": None,
        "active_to": None, "antall_pasienter": 950, "maaned": "2020-06", "hpr_nummer": "1234567",
        "lege_navn": "Kari Lege", "driftsform": "naeringsdrivende", "avtale_fra": "2019-03-01"}
    body = detail.json()
    assert body["counts"] == [
        {"maaned": "2020-05", "antall_pasienter": 900, "listetak": 1200, "behovsindeks": None},
        {"maaned": "2020-06", "antall_pasienter": 950, "listetak": 1200, "behovsindeks": None}]
    assert body["holders"] == [{"fra_maaned": "2020-01", "hpr_nummer": "1234567", "lege_navn": "Kari Lege",
                                "driftsform": "naeringsdrivende", "avtale_fra": "2019-03-01"}]
    assert client.get("/api/v1/lists/4601/7/").status_code == 404


def test_lists_filter_by_kommunenummer(api, oslo, bergen, oslo_list, bergen_list):
    both = factories.member(oslo, "auditor", username="revisor.begge")
    factories.member(bergen, "auditor", username="revisor.begge")
    client = api(both)
    assert client.get("/api/v1/lists/").json()["count"] == 2
    assert [r["listenummer"] for r in client.get("/api/v1/lists/", {"kommunenummer": "4601"}).json()["results"]] == [
        "7"]
    assert client.get("/api/v1/practices/", {"kommunenummer": "0301"}).json()["count"] == 1
    assert client.get("/api/v1/lists/", {"kommunenummer": "9999"}).json()["count"] == 0


def test_list_queries_do_not_grow_with_the_number_of_lists(api, auditor, oslo, django_assert_max_num_queries):
    for _ in range(30):
        holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
        factories.ListCountFactory(patient_list=holder.patient_list)
    with django_assert_max_num_queries(6):
        response = api(auditor).get("/api/v1/lists/")
    assert response.status_code == 200
    assert response.json()["count"] == 30


# --- doctors ----------------------------------------------------------------------------------------------


def test_doctors_visible_are_those_with_lists_in_my_municipalities(api, caseworker, outsider, oslo_list,
                                                                   bergen_list):
    assert [d["hpr_nummer"] for d in api(caseworker).get("/api/v1/doctors/").json()["results"]] == ["1234567"]
    assert api(caseworker).get("/api/v1/doctors/1234567/").json() == {
        "hpr_nummer": "1234567", "name": "Kari Lege", "specialist_general_practice": False,
        "specialist_since": None}
    assert api(caseworker).get("/api/v1/doctors/7654321/").status_code == 404
    assert [d["hpr_nummer"] for d in api(outsider).get("/api/v1/doctors/").json()["results"]] == ["7654321"]


@pytest.mark.parametrize("role, expected", [("administrator", 201), ("outsider", 201), ("caseworker", 403),
                                            ("auditor", 403)])
def test_administrators_of_any_municipality_register_doctors(api, users, role, expected):
    body = {"hpr_nummer": "4440001", "name": "Nina Ny", "specialist_general_practice": True,
            "specialist_since": "2018-09-01"}
    response = api(users[role]).post("/api/v1/doctors/", body, format="json")
    assert response.status_code == expected
    if expected == 403:
        assert response.json() == {"detail": "Bare kommuneadministratorer kan registrere leger."}
        assert not Doctor.objects.exists()
        return
    assert response.json() == body
    # The creator reads it back (it holds no list yet); others do not see it.
    assert api(users[role]).get("/api/v1/doctors/4440001/").status_code == 200
    assert "4440001" in [d["hpr_nummer"] for d in api(users[role]).get("/api/v1/doctors/").json()["results"]]
    assert api(users["auditor"]).get("/api/v1/doctors/4440001/").status_code == 404


def test_doctor_validation_is_the_browser_form(api, administrator, oslo_list):
    client = api(administrator)
    duplicate = client.post("/api/v1/doctors/", {"hpr_nummer": "1234567", "name": "Kopi"}, format="json")
    assert duplicate.status_code == 400 and list(duplicate.json()) == ["hpr_nummer"]
    bad = client.post("/api/v1/doctors/", {"hpr_nummer": "12a", "name": "", "specialist_general_practice": False,
                                           "specialist_since": "2020-01-01"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"hpr_nummer", "name", "specialist_since"}  # every problem at once
    rule = client.post("/api/v1/doctors/", {"hpr_nummer": "4440002", "name": "Ola", "specialist_since": "2020-01-01"},
                       format="json")
    assert rule.status_code == 400
    assert rule.json() == {"specialist_since": ["Datoen gjelder bare for spesialister i allmennmedisin."]}
    wrong_types = client.post("/api/v1/doctors/", {"hpr_nummer": 5, "name": ["x"], "specialist_since": "2020-13-01",
                                                   "specialist_general_practice": "kanskje"}, format="json")
    assert wrong_types.status_code == 400
    assert {"name", "specialist_general_practice", "specialist_since"} <= set(wrong_types.json())


def test_patch_doctor_by_an_administrator_where_the_doctor_holds_a_list(api, users, oslo_list):
    body = {"specialist_general_practice": True, "specialist_since": "2021-01-01"}
    for role in ("caseworker", "auditor"):
        response = api(users[role]).patch("/api/v1/doctors/1234567/", body, format="json")
        assert response.status_code == 403
        assert response.json()["detail"] == "Bare kommuneadministratorer kan endre leger."
    assert api(users["outsider"]).patch("/api/v1/doctors/1234567/", body, format="json").status_code == 404
    response = api(users["administrator"]).patch("/api/v1/doctors/1234567/", body, format="json")
    assert response.status_code == 200
    assert response.json() == {"hpr_nummer": "1234567", "name": "Kari Lege", "specialist_general_practice": True,
                               "specialist_since": "2021-01-01"}
    doctor = Doctor.objects.get(hpr_nummer="1234567")
    assert doctor.specialist_general_practice and doctor.history.first().history_user == users["administrator"]
    cleared = api(users["administrator"]).patch("/api/v1/doctors/1234567/", {"specialist_general_practice": False},
                                                format="json")
    assert cleared.status_code == 400 and "specialist_since" in cleared.json()


def test_an_outsider_administrator_who_also_sees_the_doctor_may_not_rename_oslos_doctor(api, outsider, oslo_list,
                                                                                       bergen):
    """The doctor also holds a list in Bergen: Bergen's administrator sees the doctor, but the doctor is Oslo's
    too, so only an administrator of both may change the name (issue 15)."""
    factories.ListHolderFactory(patient_list__practice__municipality=bergen, doctor=oslo_list.doctor)
    response = api(outsider).patch("/api/v1/doctors/1234567/", {"name": "Kari Lege-Berg"}, format="json")
    assert response.status_code == 403 and "0301 Oslo" in response.json()["detail"]
    assert Doctor.objects.get(hpr_nummer="1234567").name == "Kari Lege"


def test_put_and_delete_are_not_allowed(api, administrator, oslo_list):
    assert api(administrator).put("/api/v1/doctors/1234567/", {}, format="json").status_code == 405
    assert api(administrator).delete("/api/v1/doctors/1234567/").status_code == 405


# --- list counts ------------------------------------------------------------------------------------------


def test_list_counts_import_then_reimport_changes_nothing(api, administrator, django_capture_on_commit_callbacks):
    rows = [row(), row(maaned="2020-07", antall_pasienter=820)]
    with django_capture_on_commit_callbacks(execute=True):
        response = api(administrator).post("/api/v1/list-counts/", rows, format="json")
    assert response.status_code == 200
    assert response.json() == {"opprettet": 2, "endret": 0, "uendret": 0, "advarsler": []}
    assert ListCount.objects.count() == 2 and PatientList.objects.get().listenummer == "900"
    job = ImportJob.objects.get()
    assert (job.source, job.user, job.status) == ("api", administrator, "done")
    again = api(administrator).post("/api/v1/list-counts/", rows, format="json").json()
    assert again == {"opprettet": 0, "endret": 0, "uendret": 2, "advarsler": []}
    changed = api(administrator).post("/api/v1/list-counts/", [row(antall_pasienter=813)], format="json").json()
    assert (changed["endret"], changed["uendret"]) == (1, 0)


def test_list_counts_warnings_are_returned(api, administrator):
    response = api(administrator).post("/api/v1/list-counts/", [row(kommunenummer="301", ekstra="x")], format="json")
    assert response.status_code == 200
    warnings = response.json()["advarsler"]
    assert any("ekstra" in w for w in warnings) and any("0301" in w for w in warnings)


def test_list_counts_all_or_nothing_with_rad_and_kolonne(api, administrator):
    rows = [row(), row(listenummer="901", antall_pasienter=-5), row(listenummer="902"),
            row(listenummer="903", maaned="2020-13", listetak="mange")]
    response = api(administrator).post("/api/v1/list-counts/", rows, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["rad"], e["kolonne"]) for e in errors} == {(3, "antall_pasienter"), (5, "maaned"), (5, "listetak")}
    assert all(isinstance(e["melding"], str) and e["melding"] for e in errors)
    assert not ListCount.objects.exists() and not PatientList.objects.exists() and not Doctor.objects.exists()
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert [{key: e[key] for key in ("rad", "kolonne", "melding")} for e in job.errors] == errors
    assert {e["kommunenummer"] for e in job.errors} == {"0301"}  # stored for scoping what colleagues see


def test_list_counts_missing_and_wrongly_typed_values(api, administrator):
    without = row()
    del without["antall_pasienter"]
    rows = [without, row(listenummer="2", listetak=True), row(listenummer="3", lege_navn={"a": 1})]
    errors = api(administrator).post("/api/v1/list-counts/", rows, format="json").json()["errors"]
    assert {(e["rad"], e["kolonne"]) for e in errors} == {(2, "antall_pasienter"), (3, "listetak"), (4, "lege_navn")}


def test_list_counts_of_a_municipality_i_do_not_administer_are_row_errors(api, administrator):
    response = api(administrator).post("/api/v1/list-counts/", [row(), row(kommunenummer="4601")], format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["rad"], error["kolonne"]) == (3, "kommunenummer")
    assert not ListCount.objects.exists()


@pytest.mark.parametrize("body, expected", [
    ({"kommunenummer": "0301"}, "liste"),
    ([], "liste"),
    ("tekst", "liste"),
    ([1, 2], "Rad 2"),
])
def test_list_counts_whole_body_errors_are_one_error(api, administrator, body, expected):
    response = api(administrator).post("/api/v1/list-counts/", body, format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["rad"] is None and error["kolonne"] is None and expected in error["melding"]


def test_list_counts_malformed_json_and_empty_body(api, administrator):
    for body in ("[{", "", "\x00", '[{"kommunenummer": "0\\u0000301"}]', "NaN"):
        response = api(administrator).post("/api/v1/list-counts/", body, content_type="application/json")
        assert response.status_code == 400, body
        [error] = response.json()["errors"]
        assert error["rad"] is None and error["melding"]
    assert api(administrator).post("/api/v1/list-counts/", "x", content_type="text/csv").status_code == 415


@pytest.mark.parametrize("role", ["caseworker", "auditor"])
def test_list_counts_need_an_administrator(api, users, role):
    response = api(users[role]).post("/api/v1/list-counts/", [row()], format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Bare kommuneadministratorer kan importere listetall."}
    assert not ImportJob.objects.exists()
