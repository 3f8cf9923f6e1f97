"""API: ALIS agreements and supervision sessions (docs/alis.md, docs/api.md) — create per role, field names of the
API in 400s, the transitions with four-eyes (403) and the status table (409), scope (404) and sessions."""

from datetime import date
from decimal import Decimal

import pytest

from alis.models import AlisAgreement, SupervisionSession
from practices.models import Doctor
from tests import factories
from tests.factories_alis import AgreementFactory, SessionFactory, SpecialistFactory, approved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def people(oslo):
    return {"practice": factories.PracticeFactory(municipality=oslo),
            "doctor": factories.DoctorFactory(hpr_nummer="6100001", name="Ali Alis"),
            "supervisor": SpecialistFactory(hpr_nummer="6100002", name="Vera Veileder")}


def agreement_body(people, **change):
    return {"kommunenummer": "0301", "avtalenummer": "ALIS-2021-1",
            "organisasjonsnummer": people["practice"].organisasjonsnummer, "hpr_nummer": "6100001",
            "supervisor_hpr_nummer": "6100002", "start_date": "2021-03-15", "end_date": None,
            "position_percent": 100, "employment_form": "naeringsdrivende", "annual_payment": "120000.00",
            "state_grant_per_year": "50000", "state_grant_period_from": "2021-01-01",
            "state_grant_period_to": "2021-12-31", "state_grant_reference": "Hdir 21/77", **change}


def create(api, user, people, **change):
    return api(user).post("/api/v1/alis-agreements/", agreement_body(people, **change), format="json")


def act(api, user, agreement_id, action, body=None):
    return api(user).post(f"/api/v1/alis-agreements/{agreement_id}/{action}/", body or {}, format="json")


# --- agreements -------------------------------------------------------------------------------------------


def test_administrator_creates_a_draft_with_the_default_end(api, administrator, people):
    response = create(api, administrator, people)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["avtalenummer"], body["end_date"]) == ("utkast", "ALIS-2021-1", "2026-03-14")
    assert (body["hpr_nummer"], body["supervisor_hpr_nummer"], body["kommunenummer"]) == ("6100001", "6100002",
                                                                                          "0301")
    assert (body["annual_payment"], body["state_grant_per_year"]) == ("120000.00", "50000.00")
    assert body["actions"] == [{"action": "submit", "allowed": True, "reason": ""}]
    assert AlisAgreement.objects.get().created_by == administrator


@pytest.mark.parametrize("role", ["caseworker", "auditor", "outsider"])
def test_only_administrators_of_the_municipality_create(api, users, role, people):
    response = create(api, users[role], people)
    assert response.status_code == 403 and response.json()["detail"].startswith("Bare kommuneadministratorer")
    assert not AlisAgreement.objects.exists()


@pytest.mark.parametrize("change, field", [
    ({"supervisor_hpr_nummer": "6100001"}, "supervisor_hpr_nummer"),  # the ALIS doctor as supervisor
    ({"hpr_nummer": "6100009"}, "hpr_nummer"),  # unknown doctor
    ({"organisasjonsnummer": "000000000"}, "organisasjonsnummer"),
    ({"employment_form": "ansatt"}, "annual_payment"),  # an employed ALIS gets no payment here
    ({"employment_form": "frilans"}, "employment_form"),
    ({"end_date": "2021-03-01"}, "end_date"),
    ({"position_percent": 0}, "position_percent"),
    ({"annual_payment": "-5"}, "annual_payment"),
    ({"start_date": "1999-12-31"}, "start_date"),
    ({"kommunenummer": "12345"}, "kommunenummer"),
])
def test_agreement_validation_uses_the_apis_field_names(api, administrator, people, change, field):
    response = create(api, administrator, people, **change)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not AlisAgreement.objects.exists()


def test_a_duplicate_avtalenummer_is_400(api, administrator, people):
    create(api, administrator, people)
    response = create(api, administrator, people)
    assert response.status_code == 400 and "allerede brukt" in response.json()["avtalenummer"][0]


def test_submit_approve_terminate_with_four_eyes_and_409(api, users, people, oslo):
    both = factories.member(oslo, "administrator", username="begge.oslo")
    factories.member(oslo, "caseworker", username="begge.oslo")
    agreement = create(api, both, people).json()
    early = act(api, users["caseworker"], agreement["id"], "approve")
    assert early.status_code == 409 and early.json()["allowed"] == ["submit"]
    submitted = act(api, both, agreement["id"], "submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "innsendt"
    own = act(api, both, agreement["id"], "approve")
    assert own.status_code == 403 and "fireøyneprinsippet" in own.json()["detail"]
    auditor = act(api, users["auditor"], agreement["id"], "approve")
    assert auditor.status_code == 403
    approved_ = act(api, users["caseworker"], agreement["id"], "approve")
    assert approved_.status_code == 200 and approved_.json()["status"] == "godkjent"
    assert approved_.json()["decided_by"] == "saksbehandler.oslo"
    assert api(users["caseworker"]).post(f"/api/v1/alis-agreements/{agreement['id']}/appeal/", {},
                                         format="json").status_code == 404  # no appeal for ALIS
    own_end = act(api, both, agreement["id"], "terminate", {"reason": "Flyttet.", "date": "2022-06-30"})
    assert own_end.status_code == 403 and "fireøyneprinsippet" in own_end.json()["detail"]  # docs/architecture.md
    bad = act(api, users["caseworker"], agreement["id"], "terminate", {"reason": ""})
    assert bad.status_code == 400 and {"reason", "date"} <= set(bad.json())
    ended = act(api, users["caseworker"], agreement["id"], "terminate",
                {"reason": "Flyttet.", "date": "2022-06-30"})
    assert ended.status_code == 200 and ended.json()["status"] == "avsluttet"
    assert ended.json()["terminated_on"] == "2022-06-30"


def test_reject_needs_a_reason(api, users, people):
    agreement = create(api, users["administrator"], people).json()
    act(api, users["administrator"], agreement["id"], "submit")
    missing = act(api, users["caseworker"], agreement["id"], "reject")
    assert missing.status_code == 400 and "reason" in missing.json()
    rejected = act(api, users["caseworker"], agreement["id"], "reject", {"reason": "Mangler veileder."})
    assert rejected.status_code == 200 and rejected.json()["status"] == "avslatt"


def test_a_check_that_fails_at_approval_needs_an_override(api, users, people):
    agreement = create(api, users["administrator"], people).json()
    act(api, users["administrator"], agreement["id"], "submit")
    Doctor.objects.filter(hpr_nummer="6100001").update(specialist_general_practice=True,
                                                       specialist_since=date(2020, 1, 1))
    blocked = act(api, users["caseworker"], agreement["id"], "approve")
    assert blocked.status_code == 400
    assert {c["code"]: c["ok"] for c in blocked.json()["checks"]}["alis_ikke_spesialist"] is False
    ok = act(api, users["caseworker"], agreement["id"], "approve", {"override_reason": "Godkjent av Hdir."})
    assert ok.status_code == 200 and ok.json()["status"] == "godkjent"


def test_agreements_are_scoped(api, users, people):
    agreement = create(api, users["administrator"], people).json()
    for role in ("administrator", "caseworker", "auditor"):
        assert api(users[role]).get("/api/v1/alis-agreements/").json()["count"] == 1
        assert api(users[role]).get(f"/api/v1/alis-agreements/{agreement['id']}/").status_code == 200
    assert api(users["outsider"]).get("/api/v1/alis-agreements/").json()["count"] == 0
    assert api(users["outsider"]).get(f"/api/v1/alis-agreements/{agreement['id']}/").status_code == 404
    assert act(api, users["outsider"], agreement["id"], "submit").status_code == 404
    assert api(users["auditor"]).get("/api/v1/alis-agreements/", {"status": "godkjent"}).json()["count"] == 0
    assert api().get("/api/v1/alis-agreements/").status_code == 401


# --- supervision sessions ---------------------------------------------------------------------------------


@pytest.fixture
def running(oslo):
    return approved(practice=factories.PracticeFactory(municipality=oslo), start_date=date(2021, 3, 15))


def session_body(running_agreement, **change):
    agreement = running_agreement
    return {"agreement": agreement.pk, "date": "2021-04-01", "kind": "individuell", "hours": "1.5",
            "supervisor_hpr_nummer": agreement.supervisor.hpr_nummer, "note": "Journalgjennomgang", **change}


def test_administrator_logs_individual_and_group_sessions(api, administrator, running):
    response = api(administrator).post("/api/v1/supervision-sessions/", session_body(running), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["agreement"], body["kind"], body["hours"], body["supervisor_hpr_nummer"]) == (
        running.pk, "individuell", "1.50", running.supervisor.hpr_nummer)
    group = api(administrator).post("/api/v1/supervision-sessions/", session_body(
        running, kind="gruppe", supervisor_hpr_nummer="", group_leader="Gruppeleder Dahl", hours=2), format="json")
    assert group.status_code == 201 and group.json()["supervisor_hpr_nummer"] is None
    assert SupervisionSession.objects.count() == 2
    listed = api(administrator).get("/api/v1/supervision-sessions/", {"agreement": running.pk}).json()
    assert listed["count"] == 2


@pytest.mark.parametrize("change, field", [
    ({"hours": "8.5"}, "hours"),
    ({"hours": "0.3"}, "hours"),
    ({"date": "2021-03-01"}, "date"),  # before the start
    ({"supervisor_hpr_nummer": ""}, "supervisor_hpr_nummer"),  # an individual session needs its supervisor
    ({"kind": "gruppe", "group_leader": ""}, "group_leader"),
    ({"kind": "par"}, "kind"),
    ({"agreement": 999999}, "agreement"),
])
def test_session_rules_are_400_on_the_field(api, administrator, running, change, field):
    response = api(administrator).post("/api/v1/supervision-sessions/", session_body(running, **change),
                                       format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not SupervisionSession.objects.exists()


def test_sessions_need_an_approved_agreement_and_an_administrator(api, users, running, oslo):
    draft = AgreementFactory(practice=factories.PracticeFactory(municipality=oslo))
    response = api(users["administrator"]).post("/api/v1/supervision-sessions/", session_body(draft),
                                                format="json")
    assert response.status_code == 403 and "godkjent" in response.json()["detail"]
    for role in ("caseworker", "auditor"):
        response = api(users[role]).post("/api/v1/supervision-sessions/", session_body(running), format="json")
        assert response.status_code == 403, role
    response = api(users["outsider"]).post("/api/v1/supervision-sessions/", session_body(running), format="json")
    assert response.status_code == 400 and "agreement" in response.json()


def test_sessions_are_scoped(api, users, running):
    session = SessionFactory(agreement=running, date=date(2021, 4, 6), hours=Decimal("2"))
    assert api(users["auditor"]).get(f"/api/v1/supervision-sessions/{session.pk}/").json()["hours"] == "2.00"
    assert api(users["outsider"]).get(f"/api/v1/supervision-sessions/{session.pk}/").status_code == 404
    assert api(users["outsider"]).get("/api/v1/supervision-sessions/").json()["count"] == 0
    assert api(users["auditor"]).get("/api/v1/supervision-sessions/", {"kommunenummer": "4601"}).json()[
        "count"] == 0


def test_agreement_lists_use_a_constant_number_of_queries(api, users, oslo, django_assert_max_num_queries):
    practice = factories.PracticeFactory(municipality=oslo)
    for _ in range(12):
        approved(practice=practice)
    with django_assert_max_num_queries(6):
        response = api(users["caseworker"]).get("/api/v1/alis-agreements/")
    assert response.status_code == 200
    assert response.json()["count"] == 12
    with django_assert_max_num_queries(6):
        assert api(users["caseworker"]).get("/api/v1/supervision-sessions/").status_code == 200
