"""ALIS services (docs/alis.md): transitions per role, four-eyes, events and history, supervisor changes,
sessions at their boundaries, the daily job's completion and notices, and what the ledger reads."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alis import selectors, services
from alis.models import AlisAgreement, AlisEvent, SupervisionRequirement, SupervisionSession, SupervisorChange
from alis.signals import agreement_payments_changed
from core.workflow import ChecksFailed, Forbidden, ServiceError, TransitionNotAllowed
from grants.rules import prorated_line
from tests import factories
from tests.factories_alis import (
    AgreementFactory,
    SessionFactory,
    SpecialistFactory,
    approved,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
D = Decimal


def new_agreement(administrator, oslo, **kwargs):
    practice = factories.PracticeFactory(municipality=oslo)
    agreement = AlisAgreement(municipality=oslo, practice=practice, avtalenummer=kwargs.pop("avtalenummer", "A-1"),
                              doctor=factories.DoctorFactory(), supervisor=SpecialistFactory(),
                              start_date=kwargs.pop("start_date", date(2021, 3, 15)), **kwargs)
    return services.agreement_create(agreement=agreement, user=administrator)


# --- create and edit --------------------------------------------------------------------------------------


def test_create_fills_the_default_end_records_an_event_and_history(administrator, oslo):
    agreement = new_agreement(administrator, oslo)
    assert agreement.end_date == date(2026, 3, 14) and agreement.status == "utkast"
    assert agreement.created_by == administrator
    event = agreement.events.get()
    assert (event.action, event.from_status, event.to_status, event.user) == ("create", "", "utkast", administrator)
    assert agreement.history.count() == 1


def test_create_refuses_others_and_bad_values(caseworker, administrator, oslo):
    with pytest.raises(Forbidden, match="kommuneadministratorer"):
        new_agreement(caseworker, oslo)
    with pytest.raises(ServiceError) as error:
        new_agreement(administrator, oslo, employment_form="ansatt", annual_payment=D("1000"))
    assert "annual_payment" in error.value.errors
    new_agreement(administrator, oslo, avtalenummer="DUP")
    with pytest.raises(ServiceError, match="allerede brukt"):
        new_agreement(administrator, oslo, avtalenummer="DUP")


def test_the_same_avtalenummer_is_fine_in_another_municipality(administrator, outsider, oslo, bergen):
    new_agreement(administrator, oslo, avtalenummer="2021-1")
    assert new_agreement(outsider, bergen, avtalenummer="2021-1").pk


def test_only_drafts_can_be_edited(administrator, oslo):
    agreement = new_agreement(administrator, oslo)
    agreement.position_percent = 80
    services.agreement_update(agreement=agreement, user=administrator)
    services.agreement_transition(agreement, action="submit", user=administrator)
    agreement.refresh_from_db()
    agreement.position_percent = 60
    with pytest.raises(Forbidden, match="Bare utkast"):
        services.agreement_update(agreement=agreement, user=administrator)


# --- transitions per role (a table) -----------------------------------------------------------------------


@pytest.fixture
def people(administrator, caseworker, caseworker2, auditor, outsider, oslo):
    admin_and_caseworker = factories.member(oslo, "caseworker", username="begge.oslo")
    factories.member(oslo, "administrator", username="begge.oslo")  # both roles in Oslo
    return {"administrator": administrator, "caseworker": caseworker, "auditor": auditor, "outsider": outsider,
            "admin_and_caseworker": admin_and_caseworker}


def in_status(status, administrator, oslo):
    agreement = AgreementFactory(practice__municipality=oslo, created_by=administrator, status=status)
    if status != "utkast":
        agreement.submitted_by = administrator
        agreement.save()
    return agreement


ROLE_TABLE = [
    # (status, action, who, expected): expected is the new status or the exception
    ("utkast", "submit", "administrator", "innsendt"),
    ("utkast", "submit", "caseworker", Forbidden),
    ("utkast", "submit", "auditor", Forbidden),
    ("utkast", "submit", "outsider", Forbidden),
    ("innsendt", "approve", "caseworker", "godkjent"),
    ("innsendt", "approve", "administrator", Forbidden),
    ("innsendt", "approve", "auditor", Forbidden),
    ("innsendt", "approve", "outsider", Forbidden),
    ("innsendt", "approve", "admin_and_caseworker", Forbidden),  # created and submitted it: four-eyes
    ("innsendt", "reject", "caseworker", "avslatt"),
    ("innsendt", "reject", "administrator", Forbidden),
    ("innsendt", "reject", "admin_and_caseworker", Forbidden),
    ("godkjent", "terminate", "caseworker", "avsluttet"),
    ("godkjent", "terminate", "admin_and_caseworker", Forbidden),  # created and submitted it: four-eyes
    ("godkjent", "terminate", "administrator", Forbidden),
    ("godkjent", "terminate", "auditor", Forbidden),
    ("godkjent", "complete", "caseworker", Forbidden),  # only the daily job
    ("utkast", "approve", "caseworker", TransitionNotAllowed),
    ("innsendt", "submit", "administrator", TransitionNotAllowed),
    ("godkjent", "approve", "caseworker", TransitionNotAllowed),
    ("avslatt", "approve", "caseworker", TransitionNotAllowed),
    ("fullfort", "terminate", "caseworker", TransitionNotAllowed),
    ("avsluttet", "terminate", "caseworker", TransitionNotAllowed),
]


@pytest.mark.parametrize(("status", "action", "who", "expected"), ROLE_TABLE)
def test_transitions_per_role(people, oslo, status, action, who, expected):
    agreement = in_status(status, people["admin_and_caseworker"], oslo)
    kwargs = {"reason": "Begrunnelse", "on": agreement.start_date + timedelta(days=100)}
    if isinstance(expected, str):
        result = services.agreement_transition(agreement, action=action, user=people[who], **kwargs)
        assert result.status == expected
        event = result.events.get(action=action)
        assert (event.from_status, event.to_status, event.user) == (status, expected, people[who])
    else:
        with pytest.raises(expected):
            services.agreement_transition(agreement, action=action, user=people[who], **kwargs)
        agreement.refresh_from_db()
        assert agreement.status == status and not agreement.events.filter(action=action).exists()


def test_four_eyes_the_submitter_may_not_approve(administrator, caseworker, caseworker2, oslo):
    agreement = AgreementFactory(practice__municipality=oslo, created_by=administrator, status="innsendt",
                                 submitted_by=caseworker)
    with pytest.raises(Forbidden, match="sendte inn saken"):
        services.agreement_transition(agreement, action="approve", user=caseworker)
    assert services.agreement_transition(agreement, action="approve", user=caseworker2).status == "godkjent"


def test_four_eyes_on_termination_neither_the_creator_nor_the_submitter(administrator, caseworker, caseworker2,
                                                                          oslo):
    """docs/architecture.md: terminating is a decision like approval; the one who granted it may end it."""
    created = approved(practice__municipality=oslo, created_by=caseworker)
    submitted = approved(practice__municipality=oslo, created_by=administrator)
    submitted.submitted_by = caseworker
    submitted.save()
    for agreement, why in ((created, "opprettet saken"), (submitted, "sendte inn saken")):
        allowed, reason = services.permissions.can_act(caseworker, agreement, "terminate")
        assert not allowed and why in reason
        with pytest.raises(Forbidden, match=why):
            services.agreement_transition(agreement, action="terminate", user=caseworker, reason="Slutter",
                                          on=date(2022, 1, 31))
        agreement.refresh_from_db()
        assert agreement.status == "godkjent" and agreement.terminated_on is None
        assert services.agreement_transition(agreement, action="terminate", user=caseworker2, reason="Slutter",
                                             on=date(2022, 1, 31)).status == "avsluttet"


def test_the_whole_way_records_who_when_why(administrator, caseworker, oslo):
    agreement = new_agreement(administrator, oslo)
    services.agreement_transition(agreement, action="submit", user=administrator)
    with pytest.raises(ServiceError) as error:
        services.agreement_transition(agreement, action="reject", user=caseworker, reason="  ")
    assert error.value.errors == {"reason": "Skriv en begrunnelse."}
    agreement = services.agreement_transition(agreement, action="approve", user=caseworker, reason="OK")
    assert agreement.decided_by == caseworker and agreement.decided_at and agreement.decision_reason == "OK"
    assert [(e.action, e.to_status) for e in agreement.events.all()] == [
        ("create", "utkast"), ("submit", "innsendt"), ("approve", "godkjent")]
    assert agreement.checks and all(check["ok"] for check in agreement.checks)
    assert list(agreement.history.values_list("status", flat=True)) == ["godkjent", "innsendt", "utkast"]


def test_a_failing_check_at_approval_needs_an_override_reason(administrator, caseworker, oslo):
    agreement = new_agreement(administrator, oslo)
    services.agreement_transition(agreement, action="submit", user=administrator)
    agreement.doctor.specialist_general_practice = True  # became a specialist after submission
    agreement.doctor.save()
    with pytest.raises(ChecksFailed, match="er spesialist i allmennmedisin") as error:
        services.agreement_transition(agreement, action="approve", user=caseworker)
    assert any(not check["ok"] for check in error.value.checks)
    agreement = services.agreement_transition(agreement, action="approve", user=caseworker,
                                              override_reason="Godkjent som spesialist etter avtalestart")
    assert agreement.override_reason.startswith("Godkjent som")
    assert "tross vilkår" in agreement.events.get(action="approve").reason


def test_terminate_needs_reason_and_date_and_stops_at_logged_sessions(administrator, caseworker, oslo):
    agreement = approved(practice__municipality=oslo, created_by=administrator)
    with pytest.raises(ServiceError) as error:
        services.agreement_transition(agreement, action="terminate", user=caseworker)
    assert set(error.value.errors) == {"reason", "date"}
    SessionFactory(agreement=agreement, date=date(2021, 7, 1))
    with pytest.raises(ServiceError, match="registrert veiledning 01.07.2021"):
        services.agreement_transition(agreement, action="terminate", user=caseworker, reason="Flytter",
                                      on=date(2021, 6, 30))
    agreement = services.agreement_transition(agreement, action="terminate", user=caseworker, reason="Flytter",
                                              on=date(2021, 7, 1))
    assert (agreement.status, agreement.terminated_on, agreement.termination_reason) == (
        "avsluttet", date(2021, 7, 1), "Flytter")
    assert agreement.effective_end == date(2021, 7, 1)


def test_approval_and_termination_ask_the_ledger_to_recompute(administrator, caseworker, oslo,
                                                              django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, municipality_id, months, **kwargs):
        received.append((municipality_id, months[0], months[-1], len(months)))

    agreement_payments_changed.connect(receiver)
    try:
        agreement = AgreementFactory(practice__municipality=oslo, created_by=administrator, status="innsendt",
                                     submitted_by=administrator, start_date=date(2021, 3, 15))
        with django_capture_on_commit_callbacks(execute=True):
            services.agreement_transition(agreement, action="approve", user=caseworker)
        with django_capture_on_commit_callbacks(execute=True):
            services.agreement_transition(agreement, action="terminate", user=caseworker, reason="Slutter",
                                          on=date(2022, 1, 20))
    finally:
        agreement_payments_changed.disconnect(receiver)
    assert received[0][:3] == (oslo.pk, date(2021, 3, 1), date(2026, 3, 1))  # start month … planned end month
    assert received[1][:2] == (oslo.pk, date(2022, 1, 1))


# --- the daily job ----------------------------------------------------------------------------------------


def test_complete_ended_agreements_is_a_system_transition_and_idempotent(oslo):
    ended = approved(practice__municipality=oslo, start_date=date(2019, 1, 1), end_date=date(2023, 12, 31))
    running = approved(practice__municipality=oslo, start_date=date(2019, 1, 1), end_date=date(2024, 1, 1))
    draft = AgreementFactory(practice__municipality=oslo, start_date=date(2019, 1, 1), end_date=date(2020, 1, 1))
    assert services.complete_ended_agreements(today=date(2024, 1, 1)) == 1
    assert services.complete_ended_agreements(today=date(2024, 1, 1)) == 0
    ended.refresh_from_db(), running.refresh_from_db(), draft.refresh_from_db()
    assert (ended.status, running.status, draft.status) == ("fullfort", "godkjent", "utkast")
    event = ended.events.get(action="complete")
    assert event.user is None and event.from_status == "godkjent" and "31.12.2023" in event.reason


def test_notices_for_ending_and_behind(oslo):
    today = date(2024, 3, 1)
    ending = approved(practice__municipality=oslo, start_date=date(2019, 5, 1), end_date=today + timedelta(days=60),
                      avtalenummer="SLUTT")
    approved(practice__municipality=oslo, start_date=date(2019, 5, 1), end_date=today + timedelta(days=61),
             avtalenummer="SENERE")
    behind = approved(practice__municipality=oslo, start_date=date(2023, 1, 1), avtalenummer="BAK")
    notices = services.agreement_notices(today=today)
    by_key = {n["key"]: n for n in notices}
    assert f"alis-slutt-{ending.pk}-{ending.end_date}" in by_key
    assert not any(k.startswith("alis-slutt-") and "SENERE" in n["text"] for k, n in by_key.items())
    notice = by_key[f"alis-bak-{behind.pk}-2024-03"]
    assert notice["municipality_id"] == oslo.pk and notice["url"] == f"/alis/{behind.pk}/"
    assert "BAK" in notice["text"] and "ligger etter med veiledning" in notice["text"]
    assert services.agreement_notices(today=today) == notices  # stable keys: the notice is written once


# --- supervisor changes and sessions ----------------------------------------------------------------------


@pytest.fixture
def running(administrator, oslo):
    today = timezone.localdate()
    return approved(practice__municipality=oslo, created_by=administrator, start_date=today - timedelta(days=400))


def add(agreement, user, **kwargs):
    values = {"date": agreement.start_date, "kind": "individuell", "hours": D("2"),
              "supervisor": agreement.supervisor}
    return services.session_add(agreement=agreement, user=user, **{**values, **kwargs})


def test_session_boundaries(running, administrator):
    today = timezone.localdate()
    with pytest.raises(ServiceError, match="før avtalens start"):
        add(running, administrator, date=running.start_date - timedelta(days=1))
    assert add(running, administrator, date=running.start_date, hours=D("0.25")).pk
    assert add(running, administrator, date=today, hours=D("8")).pk
    with pytest.raises(ServiceError, match="fram i tid"):
        add(running, administrator, date=today + timedelta(days=1))
    with pytest.raises(ServiceError, match="0,25 til 8"):
        add(running, administrator, date=today - timedelta(days=3), hours=D("8.25"))
    with pytest.raises(ServiceError, match="hele kvarter"):
        add(running, administrator, date=today - timedelta(days=3), hours=D("1.1"))
    day = today - timedelta(days=2)
    add(running, administrator, date=day, hours=D("6"))
    add(running, administrator, date=day, kind="gruppe", supervisor=None, group_leader="Gruppe Oslo", hours=D("2"))
    with pytest.raises(ServiceError, match="Høyst 8 timer") as error:
        add(running, administrator, date=day, hours=D("0.25"))
    assert set(error.value.errors) == {"hours"}
    assert SupervisionSession.objects.filter(agreement=running).count() == 4


def test_sessions_are_logged_by_administrators_on_approved_agreements(running, caseworker, auditor, administrator,
                                                                      oslo):
    for user in (caseworker, auditor):
        with pytest.raises(Forbidden):
            add(running, user)
    draft = AgreementFactory(practice__municipality=oslo, start_date=running.start_date)
    with pytest.raises(Forbidden, match="når avtalen er godkjent"):
        add(draft, administrator)


def test_edit_and_delete_a_session_keep_history(running, administrator):
    session = add(running, administrator, hours=D("8"))
    services.session_update(session=session, user=administrator, date=session.date, kind="individuell",
                            hours=D("7.5"), supervisor=running.supervisor, note="Rettet")  # its own 8 h not counted
    session.refresh_from_db()
    assert session.hours == D("7.5") and session.note == "Rettet"
    pk = session.pk
    services.session_delete(session=session, user=administrator)
    assert not SupervisionSession.objects.filter(pk=pk).exists()
    assert [h.history_change_reason for h in SupervisionSession.history.filter(id=pk).order_by(
        "-history_id")] == ["Slettet", "Endret", "Registrert"]


def test_supervisor_change_moves_individual_sessions_to_the_new_supervisor(running, administrator, caseworker):
    change_day = running.start_date + timedelta(days=200)
    new = SpecialistFactory(name="Nina Ny")
    add(running, administrator, date=change_day - timedelta(days=1))
    with pytest.raises(Forbidden):
        services.supervisor_change(agreement=running, user=caseworker, supervisor=new, from_date=change_day)
    change = services.supervisor_change(agreement=running, user=administrator, supervisor=new, from_date=change_day,
                                        reason="Permisjon")
    assert change.recorded_by == administrator and change.history.count() == 1
    with pytest.raises(ServiceError, match="Nina Ny"):
        add(running, administrator, date=change_day, supervisor=running.supervisor)
    assert add(running, administrator, date=change_day, supervisor=new).pk
    assert add(running, administrator, date=change_day - timedelta(days=2), supervisor=running.supervisor).pk
    with pytest.raises(ServiceError, match="allerede registrert et bytte"):
        services.supervisor_change(agreement=running, user=administrator, supervisor=SpecialistFactory(),
                                   from_date=change_day)
    timeline = selectors.supervisor_timeline(running)
    assert [(e["from_date"], e["supervisor"]) for e in timeline] == [(running.start_date, running.supervisor),
                                                                     (change_day, new)]


def test_supervisor_change_refused_when_sessions_by_the_old_one_follow(running, administrator):
    add(running, administrator, date=running.start_date + timedelta(days=10))
    with pytest.raises(ServiceError, match="individuelle veiledninger"):
        services.supervisor_change(agreement=running, user=administrator, supervisor=SpecialistFactory(),
                                   from_date=running.start_date + timedelta(days=5))
    assert not SupervisorChange.objects.exists()


# --- reads the ledger and the pages rely on ---------------------------------------------------------------


def test_agreements_paying(oslo, bergen, django_assert_num_queries):
    month = date(2021, 3, 1)
    paying = approved(practice__municipality=oslo, start_date=date(2021, 3, 15), annual_payment=D("120000"))
    terminated = approved(practice__municipality=oslo, start_date=date(2020, 1, 1), status="avsluttet",
                          terminated_on=date(2021, 3, 10))
    approved(practice__municipality=oslo, start_date=date(2020, 1, 1), status="fullfort", end_date=date(2021, 3, 1))
    approved(practice__municipality=oslo, start_date=date(2020, 1, 1), end_date=date(2021, 2, 28))  # ended before
    approved(practice__municipality=oslo, start_date=date(2021, 4, 1))  # starts after
    approved(practice__municipality=oslo, start_date=date(2021, 1, 1), employment_form="ansatt", annual_payment=0)
    AgreementFactory(practice__municipality=oslo, start_date=date(2021, 1, 1), status="innsendt")
    AgreementFactory(practice__municipality=oslo, start_date=date(2021, 1, 1), status="avslatt")
    approved(practice__municipality=bergen, start_date=date(2021, 1, 1))  # not asked for
    with django_assert_num_queries(1):
        rows = selectors.agreements_paying([oslo.pk], month)
    by_id = {r["id"]: r for r in rows}
    assert len(rows) == 3 and {paying.pk, terminated.pk} <= set(by_id)
    assert by_id[paying.pk] == {"id": paying.pk, "municipality_id": oslo.pk, "doctor_id": paying.doctor_id,
                                "annual_payment": D("120000.00"), "start": date(2021, 3, 15),
                                "end": date(2026, 3, 14), "avtalenummer": paying.avtalenummer}
    assert by_id[terminated.pk]["end"] == date(2021, 3, 10)


def test_alis_payment_for_a_partial_first_month(oslo):
    """docs/payments.md: round(annual × days covered / (12 × days in month)); 15–31 March = 17 of 31 days."""
    approved(practice__municipality=oslo, start_date=date(2021, 3, 15), annual_payment=D("120000"))
    row = selectors.agreements_paying([oslo.pk], date(2021, 3, 1))[0]
    line = prorated_line(kind="alis", annual=row["annual_payment"], start=row["start"], end=row["end"],
                         month=date(2021, 3, 1))
    assert (line.quantity, line.amount) == (17, D("5483.87"))  # 120 000 × 17 / 372 = 5 483,870…
    full = prorated_line(kind="alis", annual=row["annual_payment"], start=row["start"], end=row["end"],
                         month=date(2021, 4, 1))
    assert full.amount == D("10000.00")


def test_the_requirement_table_is_shipped_by_the_data_migration():
    rows = list(SupervisionRequirement.objects.order_by("kind", "valid_from").values_list(
        "kind", "valid_from", "hours", "per", "span_years", "status"))
    assert rows == [
        ("gruppe", date(2017, 1, 1), D("120.00"), "totalt", 2, "bekreftet"),
        ("individuell", date(2017, 1, 1), D("4.00"), "maaned", None, "estimat"),
        ("individuell", date(2021, 1, 1), D("5.50"), "maaned", None, "estimat"),
    ]
    assert all(source for source in SupervisionRequirement.objects.values_list("source", flat=True))


def test_compliance_for_many_agreements_in_two_queries(oslo, django_assert_num_queries):
    agreements = [approved(practice__municipality=oslo, start_date=date(2021, 1, 1)) for _ in range(3)]
    for agreement in agreements:
        SessionFactory(agreement=agreement, date=date(2021, 2, 1), hours=D("5.5"))
        SessionFactory(agreement=agreement, date=date(2021, 2, 1), hours=D("1"), kind="gruppe")
    with django_assert_num_queries(2):
        results = selectors.compliance_for(agreements, today=date(2021, 3, 1))
    assert {r.current_year.logged for r in results.values()} == {D("5.5")}
    assert {r.group.logged for r in results.values()} == {D(1)}


def test_events_are_kept_in_order(administrator, oslo):
    agreement = new_agreement(administrator, oslo)
    services.agreement_transition(agreement, action="submit", user=administrator)
    assert list(AlisEvent.objects.filter(agreement=agreement).values_list("action", flat=True)) == ["create",
                                                                                                     "submit"]


def test_dashboard_selectors(administrator, caseworker, caseworker2, oslo):
    today = date(2024, 3, 1)
    ending = approved(practice__municipality=oslo, start_date=date(2019, 5, 1), end_date=today + timedelta(days=90))
    approved(practice__municipality=oslo, start_date=date(2019, 5, 1), end_date=today + timedelta(days=91))
    assert list(selectors.agreements_ending(caseworker, municipality=oslo, today=today)) == [ending]
    submitted = AgreementFactory(practice__municipality=oslo, status="innsendt", created_by=administrator,
                                 submitted_by=caseworker2)
    assert list(selectors.awaiting_decision(caseworker)) == [submitted]
    assert list(selectors.awaiting_decision(caseworker2)) == []  # submitted it: four-eyes
    assert list(selectors.awaiting_decision(administrator)) == []

