"""API: grunntilskudd and introduksjonsavtaler (docs/grants.md, docs/api.md) — create per role, scope (404), every
transition with four-eyes (403), the status table (409 naming the allowed actions), failing checks (400)."""

from datetime import date
from decimal import Decimal

import pytest

from grants.models import CaseStatus, GrunntilskuddApplication, IntroductionAllotment, IntroduksjonsAvtale
from grants.services import cases
from practices.models import Doctor
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(cases, "today", lambda: date(2020, 7, 1))


@pytest.fixture
def small_list(oslo):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000,
                                         patient_list__listenummer="300", doctor__hpr_nummer="3000001",
                                         avtale_fra=date(2020, 6, 15))
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=300,
                               listetak=1000)
    return holder


BODY = {"kommunenummer": "0301", "listenummer": "300", "hpr_nummer": "3000001"}


def created(api, administrator, **body):
    response = api(administrator).post("/api/v1/grunntilskudd/", {**BODY, **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def act(api, user, case_id, action, body=None, kind="grunntilskudd"):
    return api(user).post(f"/api/v1/{kind}/{case_id}/{action}/", body or {}, format="json")


# --- create -----------------------------------------------------------------------------------------------


def test_administrator_creates_a_draft_with_the_holders_agreement_date(api, administrator, small_list):
    body = created(api, administrator, saksnummer="20/1")
    assert body["status"] == "utkast" and isinstance(body["id"], int)
    assert (body["kommunenummer"], body["listenummer"], body["hpr_nummer"], body["avtale_fra"]) == (
        "0301", "300", "3000001", "2020-06-15")
    assert (body["dekker_fra"], body["dekker_til"], body["saksnummer"]) == ("2020-06", "2022-05", "20/1")
    assert body["created_by"] == "admin.oslo" and body["submitted_by"] is None
    assert body["actions"] == [{"action": "submit", "allowed": True, "reason": ""}]
    case = GrunntilskuddApplication.objects.get()
    assert (case.doctor, case.patient_list, case.created_by) == (small_list.doctor, small_list.patient_list,
                                                                 administrator)
    assert case.events.get().action == "create"
    explicit = created(api, administrator, avtale_fra="2020-05-01")
    assert explicit["avtale_fra"] == "2020-05-01"


@pytest.mark.parametrize("role", ["caseworker", "auditor", "outsider"])
def test_only_administrators_of_the_municipality_create(api, users, role, small_list):
    response = api(users[role]).post("/api/v1/grunntilskudd/", BODY, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Bare kommuneadministratorer i 0301 Oslo - Oslove kan gjøre dette."}
    assert not GrunntilskuddApplication.objects.exists()


def test_anonymous_is_401(api, small_list):
    assert api().post("/api/v1/grunntilskudd/", BODY, format="json").status_code == 401
    assert api().get("/api/v1/grunntilskudd/").status_code == 401


@pytest.mark.parametrize("change, field, message", [
    ({"kommunenummer": "9999"}, "kommunenummer", "Ukjent kommunenummer 9999"),
    ({"kommunenummer": "Oslo"}, "kommunenummer", "fire sifre"),
    ({"listenummer": "404"}, "listenummer", "ingen liste med nummer 404"),
    ({"hpr_nummer": "3000002"}, "hpr_nummer", "listens innehaver nå"),
    ({"hpr_nummer": "x"}, "hpr_nummer", "1–9 sifre"),
    ({"avtale_fra": "2020-02-30"}, "avtale_fra", ""),
    ({"avtale_fra": "1899-01-01"}, "avtale_fra", "2000"),
    ({"saksnummer": "x" * 51}, "saksnummer", ""),
    ({"listenummer": None}, "listenummer", ""),
])
def test_create_validation_names_the_field(api, administrator, small_list, change, field, message):
    response = api(administrator).post("/api/v1/grunntilskudd/", {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])


def test_a_vacant_list_cannot_apply(api, administrator, oslo):
    factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listenummer="9",
                                doctor=None, driftsform="ubesatt")
    response = api(administrator).post("/api/v1/grunntilskudd/", {**BODY, "listenummer": "9"}, format="json")
    assert response.status_code == 400 and "ubesatt" in response.json()["listenummer"][0]


def test_a_list_of_another_municipality_is_not_found_in_mine(api, administrator, bergen):
    factories.ListHolderFactory(patient_list__practice__municipality=bergen, patient_list__listenummer="300")
    response = api(administrator).post("/api/v1/grunntilskudd/", BODY, format="json")
    assert response.status_code == 400 and "ingen liste" in response.json()["listenummer"][0]


# --- read and scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["administrator", "caseworker", "auditor"])
def test_cases_are_listed_for_every_role_of_the_municipality(api, users, role, small_list):
    case = created(api, users["administrator"])
    body = api(users[role]).get("/api/v1/grunntilskudd/").json()
    assert body["count"] == 1 and body["results"][0]["id"] == case["id"]
    assert api(users[role]).get(f"/api/v1/grunntilskudd/{case['id']}/").json()["status"] == "utkast"
    assert api(users[role]).get("/api/v1/grunntilskudd/", {"status": "innvilget"}).json()["count"] == 0
    assert api(users[role]).get("/api/v1/grunntilskudd/", {"status": "tull"}).status_code == 400


def test_another_municipalitys_case_is_404_for_every_endpoint(api, administrator, outsider, small_list):
    case = created(api, administrator)
    client = api(outsider)
    assert client.get("/api/v1/grunntilskudd/").json()["count"] == 0
    assert client.get(f"/api/v1/grunntilskudd/{case['id']}/").status_code == 404
    for action in ("submit", "approve", "reject", "terminate", "appeal"):
        assert act(api, outsider, case["id"], action, {"reason": "x"}).status_code == 404
    assert GrunntilskuddApplication.objects.get().status == "utkast"
    assert client.get("/api/v1/grunntilskudd/abc/").status_code == 404
    assert client.get("/api/v1/grunntilskudd/99999999999999999999999/").status_code == 404


# --- transitions ------------------------------------------------------------------------------------------


def test_full_path_submit_reject_appeal_approve_terminate(api, users, small_list):
    admin, worker = users["administrator"], users["caseworker"]
    case = created(api, admin)
    response = act(api, admin, case["id"], "submit")
    assert response.status_code == 200 and response.json()["status"] == "innsendt"
    assert response.json()["checks"] and all(c["ok"] for c in response.json()["checks"])
    assert set(response.json()["checks"][0]) == {"code", "ok", "message"}
    missing = act(api, worker, case["id"], "reject")
    assert missing.status_code == 400 and missing.json()["reason"] == ["Skriv en begrunnelse."]
    rejected = act(api, worker, case["id"], "reject", {"reason": "For få dokumenter."})
    assert rejected.status_code == 200 and rejected.json()["status"] == "avslatt"
    assert rejected.json()["decided_by"] == "saksbehandler.oslo"
    appeal = act(api, admin, case["id"], "appeal", {"reason": "Dokumentene er ettersendt."})
    assert appeal.status_code == 200 and appeal.json()["status"] == "paaklaget"
    approved = act(api, users["caseworker2"], case["id"], "approve")
    assert approved.status_code == 200 and approved.json()["status"] == "innvilget"
    no_date = act(api, worker, case["id"], "terminate", {"reason": "Listen er lagt ned."})
    assert no_date.status_code == 400 and "date" in no_date.json()
    ended = act(api, worker, case["id"], "terminate", {"reason": "Listen er lagt ned.", "date": "2021-03-31"})
    assert ended.status_code == 200 and ended.json()["status"] == "avsluttet"
    assert ended.json()["terminated_on"] == "2021-03-31" and ended.json()["actions"] == []
    events = [e.action for e in GrunntilskuddApplication.objects.get().events.all()]
    assert events == ["create", "submit", "reject", "appeal", "approve", "terminate"]


def test_a_transition_from_the_wrong_status_is_409_naming_the_allowed(api, users, small_list):
    case = created(api, users["administrator"])
    response = act(api, users["caseworker"], case["id"], "approve")
    assert response.status_code == 409
    assert response.json()["status"] == "utkast" and response.json()["allowed"] == ["submit"]
    assert "submit" in response.json()["detail"]
    act(api, users["administrator"], case["id"], "submit")
    again = act(api, users["administrator"], case["id"], "submit")
    assert again.status_code == 409 and again.json()["allowed"] == ["approve", "reject"]
    assert act(api, users["administrator"], case["id"], "appeal", {"reason": "x"}).status_code == 409


def test_four_eyes_the_one_who_created_or_submitted_may_not_decide(api, oslo, small_list):
    both = factories.member(oslo, "administrator", username="begge.roller")
    factories.member(oslo, "caseworker", username="begge.roller")
    case = created(api, both)
    act(api, both, case["id"], "submit")
    response = act(api, both, case["id"], "approve")
    assert response.status_code == 403
    assert response.json() == {"detail": "Du opprettet saken. En annen saksbehandler må avgjøre den "
                                         "(fireøyneprinsippet)."}
    assert act(api, both, case["id"], "reject", {"reason": "x"}).status_code == 403
    detail = api(both).get(f"/api/v1/grunntilskudd/{case['id']}/").json()
    assert {a["action"]: a["allowed"] for a in detail["actions"]} == {"approve": False, "reject": False}
    assert GrunntilskuddApplication.objects.get().status == "innsendt"


@pytest.mark.parametrize("role, action", [("administrator", "approve"), ("auditor", "approve"),
                                          ("auditor", "submit"), ("caseworker", "submit")])
def test_a_role_that_may_not_act_is_403_with_the_reason(api, users, role, action, small_list):
    case = created(api, users["administrator"])
    if action == "approve":
        act(api, users["administrator"], case["id"], "submit")
    response = act(api, users[role], case["id"], action)
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Bare ")


def test_a_failing_check_needs_an_override_reason(api, users, small_list):
    case = created(api, users["administrator"], avtale_fra="2017-01-01")  # more than 24 months ago
    act(api, users["administrator"], case["id"], "submit")
    response = act(api, users["caseworker"], case["id"], "approve")
    assert response.status_code == 400
    checks = {c["code"]: c["ok"] for c in response.json()["checks"]}
    assert checks["avtale"] is False and "begrunnelse" in response.json()["detail"]
    assert GrunntilskuddApplication.objects.get().status == "innsendt"
    approved = act(api, users["caseworker"], case["id"], "approve", {"override_reason": "Sykdom i perioden."})
    assert approved.status_code == 200 and approved.json()["status"] == "innvilget"
    assert approved.json()["override_reason"] == "Sykdom i perioden."


def test_submit_without_agreement_date_is_400(api, users, oslo):
    factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listenummer="301",
                                doctor__hpr_nummer="3000009")
    case = created(api, users["administrator"], listenummer="301", hpr_nummer="3000009")
    assert case["avtale_fra"] is None
    response = act(api, users["administrator"], case["id"], "submit")
    assert response.status_code == 400 and "avtale_fra" in response.json()


@pytest.mark.parametrize("body", [[1], "x", {"reason": ["a"]}, {"reason": "x" * 5001}, {"date": "2020-13-01"},
                                  {"date": 5}])
def test_bad_transition_bodies_are_400(api, users, small_list, body):
    case = created(api, users["administrator"])
    act(api, users["administrator"], case["id"], "submit")
    act(api, users["caseworker"], case["id"], "approve")
    response = act(api, users["caseworker"], case["id"], "terminate", body)
    assert response.status_code == 400


# --- introduksjonsavtaler ---------------------------------------------------------------------------------


@pytest.fixture
def host(oslo, administrator):
    IntroductionAllotment.objects.create(municipality=oslo, letter_reference="22/1", number_granted=1,
                                         granted_on=date(2021, 12, 1), created_by=administrator)
    return factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listenummer="55")


def intro_body(host, **change):
    return {"kommunenummer": "0301", "organisasjonsnummer": host.patient_list.practice.organisasjonsnummer,
            "hpr_nummer": "8800001", "doctor_name": "Ida Intro", "host_lists": ["55"], "start_date": "2022-01-15",
            "end_date": "2024-01-14", "position_percent": 100, "annual_contribution": "120000", **change}


def test_introduksjonsavtale_create_registers_the_doctor_and_goes_through_the_workflow(api, users, host):
    response = api(users["administrator"]).post("/api/v1/introduksjonsavtaler/", intro_body(host), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "utkast" and body["host_lists"] == ["55"] and body["annual_contribution"] == "120000.00"
    assert (body["hpr_nummer"], body["lege_navn"], body["position_percent"]) == ("8800001", "Ida Intro", 100)
    assert Doctor.objects.get(hpr_nummer="8800001").history.first().history_user == users["administrator"]
    submitted = act(api, users["administrator"], body["id"], "submit", kind="introduksjonsavtaler")
    assert submitted.json()["status"] == "innsendt" and all(c["ok"] for c in submitted.json()["checks"])
    approved = act(api, users["caseworker"], body["id"], "approve", kind="introduksjonsavtaler")
    assert approved.status_code == 200 and approved.json()["status"] == "innvilget"
    assert IntroduksjonsAvtale.objects.get().status == CaseStatus.INNVILGET


def test_introduksjonsavtale_for_a_known_doctor_needs_no_name(api, users, host):
    doctor = factories.DoctorFactory(hpr_nummer="8800002")
    body = intro_body(host, hpr_nummer="8800002", doctor_name="")
    response = api(users["administrator"]).post("/api/v1/introduksjonsavtaler/", body, format="json")
    assert response.status_code == 201 and IntroduksjonsAvtale.objects.get().doctor == doctor


@pytest.mark.parametrize("change, field", [
    ({"doctor_name": ""}, "doctor_name"),
    ({"host_lists": []}, "host_lists"),
    ({"host_lists": ["55", "56"]}, "host_lists"),
    ({"organisasjonsnummer": "123456789"}, "organisasjonsnummer"),
    ({"position_percent": 40}, "position_percent"),
    ({"position_percent": "hundre"}, "position_percent"),
    ({"annual_contribution": "-1"}, "annual_contribution"),
    ({"annual_contribution": "1.005"}, "annual_contribution"),
    ({"start_date": "2022-02-30"}, "start_date"),
    ({"end_date": "9999-12-31"}, "end_date"),
])
def test_introduksjonsavtale_validation(api, users, host, change, field):
    response = api(users["administrator"]).post("/api/v1/introduksjonsavtaler/", intro_body(host, **change),
                                                format="json")
    assert response.status_code == 400 and field in response.json()
    assert not IntroduksjonsAvtale.objects.exists() and not Doctor.objects.filter(hpr_nummer="8800001").exists()


def test_introduksjonsavtale_over_the_allotment_is_blocked_unless_overridden(api, users, host):
    first = api(users["administrator"]).post("/api/v1/introduksjonsavtaler/", intro_body(host), format="json").json()
    act(api, users["administrator"], first["id"], "submit", kind="introduksjonsavtaler")
    act(api, users["caseworker"], first["id"], "approve", kind="introduksjonsavtaler")
    second = api(users["administrator"]).post("/api/v1/introduksjonsavtaler/", intro_body(
        host, hpr_nummer="8800003", start_date="2022-03-01", end_date="2023-03-01"), format="json").json()
    act(api, users["administrator"], second["id"], "submit", kind="introduksjonsavtaler")
    blocked = act(api, users["caseworker"], second["id"], "approve", kind="introduksjonsavtaler")
    assert blocked.status_code == 400
    assert {c["code"]: c["ok"] for c in blocked.json()["checks"]}["tildeling"] is False
    granted = act(api, users["caseworker"], second["id"], "approve", {"override_reason": "Ny tildeling på vei."},
                  kind="introduksjonsavtaler")
    assert granted.status_code == 200 and granted.json()["status"] == "innvilget"


@pytest.mark.parametrize("role", ["caseworker", "auditor", "outsider"])
def test_introduksjonsavtale_create_is_for_administrators(api, users, role, host):
    response = api(users[role]).post("/api/v1/introduksjonsavtaler/", intro_body(host), format="json")
    assert response.status_code == 403 and response.json()["detail"].startswith("Bare kommuneadministratorer")


def test_introduksjonsavtaler_are_scoped(api, users, host):
    body = api(users["administrator"]).post("/api/v1/introduksjonsavtaler/", intro_body(host), format="json").json()
    assert api(users["auditor"]).get("/api/v1/introduksjonsavtaler/").json()["count"] == 1
    assert api(users["outsider"]).get("/api/v1/introduksjonsavtaler/").json()["count"] == 0
    assert api(users["outsider"]).get(f"/api/v1/introduksjonsavtaler/{body['id']}/").status_code == 404
    assert Decimal(api(users["auditor"]).get(f"/api/v1/introduksjonsavtaler/{body['id']}/").json()[
        "annual_contribution"]) == Decimal("120000")


def test_case_lists_use_a_constant_number_of_queries(api, users, oslo, django_assert_max_num_queries):
    for n in range(15):
        holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, avtale_fra=date(2020, 6, 1))
        case = cases.create_case(case=GrunntilskuddApplication(
            municipality=oslo, patient_list=holder.patient_list, doctor=holder.doctor, avtale_fra=date(2020, 6, 1)),
            user=users["administrator"])
        if n % 2:
            cases.transition(case, action="submit", user=users["administrator"])
    with django_assert_max_num_queries(6):
        response = api(users["caseworker"]).get("/api/v1/grunntilskudd/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 15
