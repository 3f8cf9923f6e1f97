"""ALIS pages per role (docs/architecture.md): who sees what, 403 with the reason, another municipality's agreement
is a 404, the supervision log over htmx, and a constant number of queries on the agreements list."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alis.models import AlisAgreement, SupervisionSession
from tests import factories
from tests.factories_alis import (
    AgreementFactory,
    SessionFactory,
    SpecialistFactory,
    approved,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
D = Decimal


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def running(administrator, oslo):
    return approved(practice__municipality=oslo, created_by=administrator,
                    start_date=timezone.localdate() - timedelta(days=100), avtalenummer="OSLO-1")


@pytest.mark.parametrize("who", ["administrator", "caseworker", "auditor"])
def test_every_role_sees_list_overview_and_agreement(client, request, running, who):
    client.force_login(request.getfixturevalue(who))
    for url in (reverse("alis:agreement_index"), reverse("alis:overview"),
                reverse("alis:agreement_detail", args=[running.pk]), reverse("alis:import_index")):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "OSLO-1" in body(client.get(reverse("alis:agreement_index")))


def test_another_municipality_sees_nothing(client, outsider, running):
    client.force_login(outsider)
    assert "OSLO-1" not in body(client.get(reverse("alis:agreement_index")))
    assert "OSLO-1" not in body(client.get(reverse("alis:overview")))
    for name in ("alis:agreement_detail", "alis:agreement_edit"):
        assert client.get(reverse(name, args=[running.pk])).status_code == 404
    for url in (reverse("alis:agreement_action", args=[running.pk, "terminate"]),
                reverse("alis:session_add", args=[running.pk]), reverse("alis:supervisor_change", args=[running.pk])):
        assert client.post(url, {"reason": "x"}).status_code == 404
    session = SessionFactory(agreement=running, date=running.start_date)
    assert client.get(reverse("alis:session_edit", args=[running.pk, session.pk])).status_code == 404
    assert client.post(reverse("alis:session_delete", args=[running.pk, session.pk])).status_code == 404
    assert SupervisionSession.objects.filter(pk=session.pk).exists()


def test_anonymous_is_sent_to_login(client, running):
    response = client.get(reverse("alis:agreement_detail", args=[running.pk]))
    assert response.status_code == 302 and "logg-inn" in response["Location"]


def create_data(oslo, **changes):
    practice = factories.PracticeFactory(municipality=oslo)
    data = {"avtalenummer": "2024-01", "saksnummer": "24/123", "practice": practice.pk,
            "doctor_hpr": factories.DoctorFactory().hpr_nummer, "supervisor_hpr": SpecialistFactory().hpr_nummer,
            "start_date": "2024-01-15", "end_date": "", "position_percent": "100",
            "employment_form": "naeringsdrivende", "annual_payment": "150000", "state_grant_per_year": "200000",
            "state_grant_period_from": "2024-01-01", "state_grant_period_to": "2024-12-31",
            "state_grant_reference": "Hdir 24/5555"}
    return {**data, **changes}


def test_administrator_creates_and_edits_a_draft(client, administrator, oslo):
    client.force_login(administrator)
    assert client.get(reverse("alis:agreement_create")).status_code == 200
    response = client.post(reverse("alis:agreement_create"), create_data(oslo))
    agreement = AlisAgreement.objects.get(avtalenummer="2024-01")
    assert response.status_code == 302 and response["Location"] == reverse("alis:agreement_detail",
                                                                            args=[agreement.pk])
    assert agreement.end_date == date(2029, 1, 14) and agreement.municipality == oslo
    page = body(client.get(response["Location"]))
    assert "200\xa0000,00 kr" in page and "Hdir 24/5555" in page and "150\xa0000,00 kr" in page
    data = create_data(oslo, position_percent="80", avtalenummer="2024-01")
    data["doctor_hpr"], data["supervisor_hpr"] = agreement.doctor.hpr_nummer, agreement.supervisor.hpr_nummer
    assert client.post(reverse("alis:agreement_edit", args=[agreement.pk]), data).status_code == 302
    agreement.refresh_from_db()
    assert agreement.position_percent == 80


@pytest.mark.parametrize(("changes", "message"), [
    ({"employment_form": "ansatt"}, "En ansatt ALIS får lønn"),
    ({"end_date": "2024-01-15"}, "Planlagt slutt (15.01.2024) må være etter start"),
    ({"doctor_hpr": "123456789"}, "Ingen lege med HPR-nummer 123456789"),
    ({"position_percent": "101"}, "100"),
    ({"state_grant_period_from": "", "state_grant_period_to": ""}, "Fyll inn tilskuddsperioden (fra og til)"),
])
def test_the_form_shows_the_rules_in_norwegian(client, administrator, oslo, changes, message):
    client.force_login(administrator)
    response = client.post(reverse("alis:agreement_create"), create_data(oslo, **changes))
    assert response.status_code == 200 and message in body(response)
    assert not AlisAgreement.objects.exists()


def test_supervisor_who_is_the_alis_is_refused(client, administrator, oslo):
    client.force_login(administrator)
    doctor = SpecialistFactory()
    response = client.post(reverse("alis:agreement_create"), create_data(
        oslo, doctor_hpr=doctor.hpr_nummer, supervisor_hpr=doctor.hpr_nummer))
    assert "Veilederen kan ikke være ALIS-legen selv" in body(response)


@pytest.mark.parametrize("who", ["caseworker", "auditor"])
def test_only_administrators_create(client, request, who, oslo):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("alis:agreement_create"))
    assert response.status_code == 403 and "Bare kommuneadministratorer" in body(response)
    assert client.post(reverse("alis:agreement_create"), create_data(oslo)).status_code == 403


def test_a_submitted_agreement_cannot_be_edited(client, administrator, oslo):
    agreement = AgreementFactory(practice__municipality=oslo, status="innsendt", created_by=administrator)
    client.force_login(administrator)
    response = client.get(reverse("alis:agreement_edit", args=[agreement.pk]))
    assert response.status_code == 403 and "Bare utkast kan endres" in body(response)


def test_submit_approve_through_the_pages(client, administrator, caseworker, oslo):
    agreement = AgreementFactory(practice__municipality=oslo, created_by=administrator)
    client.force_login(administrator)
    page = body(client.get(reverse("alis:agreement_detail", args=[agreement.pk])))
    assert "Send inn til saksbehandler" in page
    response = client.post(reverse("alis:agreement_action", args=[agreement.pk, "submit"]))
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == "innsendt"
    # the administrator sees the decision buttons disabled, with the reason
    page = body(client.get(reverse("alis:agreement_detail", args=[agreement.pk])))
    assert 'data-testid="approve-reason">Bare saksbehandlere i 0301' in page
    assert client.post(reverse("alis:agreement_action", args=[agreement.pk, "approve"])).status_code == 403
    client.force_login(caseworker)
    response = client.post(reverse("alis:agreement_action", args=[agreement.pk, "approve"]), follow=True)
    assert "Avtalen er godkjent." in body(response)
    agreement.refresh_from_db()
    assert agreement.status == "godkjent" and agreement.decided_by == caseworker
    # the same action again is not allowed from godkjent: a message, not an error page
    response = client.post(reverse("alis:agreement_action", args=[agreement.pk, "approve"]), follow=True)
    assert response.status_code == 200 and "ikke mulig når avtalen er godkjent" in body(response)


def test_four_eyes_in_the_page(client, oslo):
    factories.member(oslo, "administrator", username="begge")
    both = factories.member(oslo, "caseworker", username="begge")  # the latest object: its password hash is current
    agreement = AgreementFactory(practice__municipality=oslo, created_by=both, status="innsendt", submitted_by=both)
    client.force_login(both)
    page = body(client.get(reverse("alis:agreement_detail", args=[agreement.pk])))
    assert "fireøyneprinsippet" in page
    response = client.post(reverse("alis:agreement_action", args=[agreement.pk, "approve"]))
    assert response.status_code == 403 and "fireøyneprinsippet" in body(response)


def test_four_eyes_on_termination_in_the_page(client, oslo, caseworker2):
    factories.member(oslo, "administrator", username="begge")
    both = factories.member(oslo, "caseworker", username="begge")
    agreement = approved(practice__municipality=oslo, created_by=both)  # created and submitted by `both`
    client.force_login(both)
    page = body(client.get(reverse("alis:agreement_detail", args=[agreement.pk])))
    assert "Du opprettet saken. En annen saksbehandler må avgjøre den (fireøyneprinsippet)." in page
    data = {"reason": "Flytter", "date": agreement.start_date.isoformat()}
    response = client.post(reverse("alis:agreement_action", args=[agreement.pk, "terminate"]), data)
    assert response.status_code == 403 and "fireøyneprinsippet" in body(response)
    agreement.refresh_from_db()
    assert agreement.status == "godkjent"
    client.force_login(caseworker2)
    assert client.post(reverse("alis:agreement_action", args=[agreement.pk, "terminate"]), data).status_code == 302


def test_reject_without_reason_is_shown_on_the_page(client, administrator, caseworker, oslo):
    agreement = AgreementFactory(practice__municipality=oslo, created_by=administrator, status="innsendt",
                                 submitted_by=administrator)
    client.force_login(caseworker)
    response = client.post(reverse("alis:agreement_action", args=[agreement.pk, "reject"]), {"reason": ""})
    assert response.status_code == 400 and "Skriv en begrunnelse." in body(response)
    response = client.post(reverse("alis:agreement_action", args=[agreement.pk, "reject"]),
                           {"reason": "Mangler veilederavtale"})
    agreement.refresh_from_db()
    assert agreement.status == "avslatt" and agreement.decision_reason == "Mangler veilederavtale"


def test_terminate_through_the_page(client, caseworker, running):
    client.force_login(caseworker)
    response = client.post(reverse("alis:agreement_action", args=[running.pk, "terminate"]),
                           {"reason": "Flytter", "date": running.start_date.isoformat()})
    assert response.status_code == 302
    running.refresh_from_db()
    assert running.status == "avsluttet" and running.terminated_on == running.start_date


def test_unknown_action_is_404(client, caseworker, running):
    client.force_login(caseworker)
    assert client.post(reverse("alis:agreement_action", args=[running.pk, "complete"])).status_code == 404


def session_data(agreement, **changes):
    return {"date": agreement.start_date.isoformat(), "kind": "individuell", "hours": "1.5",
            "supervisor": agreement.supervisor.pk, "group_leader": "", "note": "Konsultasjonsgjennomgang", **changes}


def test_administrator_logs_supervision_with_htmx_and_the_bar_moves(client, administrator, running):
    client.force_login(administrator)
    page = body(client.get(reverse("alis:agreement_detail", args=[running.pk])))
    assert 'data-testid="individual-year-1-logged">0<' in page
    response = client.post(reverse("alis:session_add", args=[running.pk]), session_data(running, hours="2.5"),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = body(response)
    assert fragment.startswith("<section") or '<section id="supervision"' in fragment
    assert "<html" not in fragment and 'data-testid="individual-year-1-logged">2,5<' in fragment
    assert '<span id="behind-flag" hx-swap-oob="true">' in fragment  # the heading's flag follows
    assert SupervisionSession.objects.get().hours == D("2.5")
    response = client.post(reverse("alis:session_add", args=[running.pk]), session_data(running, hours="8.25"),
                           HTTP_HX_REQUEST="true")
    assert "Timer må være fra 0,25 til 8, ikke 8,25." in body(response)
    # a refused session comes back in the fragment with its message
    response = client.post(reverse("alis:session_add", args=[running.pk]),
                           session_data(running, hours="6"), HTTP_HX_REQUEST="true")
    assert "Høyst 8 timer per avtale og dag" in body(response)
    assert SupervisionSession.objects.count() == 1


def test_plain_post_without_javascript(client, administrator, running):
    client.force_login(administrator)
    data = session_data(running, kind="gruppe", supervisor="", group_leader="Gruppe Sentrum", hours="3")
    response = client.post(reverse("alis:session_add", args=[running.pk]), data)
    assert response.status_code == 302
    session = SupervisionSession.objects.get()
    assert (session.kind, session.supervisor, session.group_leader) == ("gruppe", None, "Gruppe Sentrum")
    response = client.post(reverse("alis:session_add", args=[running.pk]),
                           session_data(running, date=(timezone.localdate() + timedelta(days=1)).isoformat()))
    assert response.status_code == 400 and "fram i tid" in body(response)


def test_edit_and_delete_a_session_in_the_page(client, administrator, running):
    session = SessionFactory(agreement=running, date=running.start_date, created_by=administrator)
    client.force_login(administrator)
    url = reverse("alis:session_edit", args=[running.pk, session.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, session_data(running, hours="3")).status_code == 302
    session.refresh_from_db()
    assert session.hours == D(3)
    assert client.post(reverse("alis:session_delete", args=[running.pk, session.pk])).status_code == 302
    assert not SupervisionSession.objects.exists()


@pytest.mark.parametrize("who", ["caseworker", "auditor"])
def test_only_administrators_log_supervision(client, request, running, who):
    client.force_login(request.getfixturevalue(who))
    page = body(client.get(reverse("alis:agreement_detail", args=[running.pk])))
    assert 'data-testid="session-form"' not in page
    response = client.post(reverse("alis:session_add", args=[running.pk]), session_data(running))
    assert response.status_code == 403 and "Bare kommuneadministratorer" in body(response)
    assert not SupervisionSession.objects.exists()


def test_supervisor_change_in_the_page(client, administrator, running):
    client.force_login(administrator)
    new = SpecialistFactory(name="Nora Ny")
    day = running.start_date + timedelta(days=30)
    url = reverse("alis:supervisor_change", args=[running.pk])
    response = client.post(url, {"bytte-supervisor": new.pk, "bytte-from_date": day.isoformat(),
                                 "bytte-reason": "Permisjon"})
    assert response.status_code == 302
    page = body(client.get(reverse("alis:agreement_detail", args=[running.pk])))
    assert "Nora Ny" in page and "Permisjon" in page
    response = client.post(url, {"bytte-supervisor": SpecialistFactory().pk,
                                 "bytte-from_date": running.start_date.isoformat()})
    assert response.status_code == 400 and "Et bytte må gjelde fra en dag etter avtalens start" in body(response)


def test_list_filters_by_status_and_behind(client, administrator, oslo):
    today = timezone.localdate()
    behind = approved(practice__municipality=oslo, start_date=today - timedelta(days=200), avtalenummer="BAK-1")
    on_track = approved(practice__municipality=oslo, start_date=today - timedelta(days=200), avtalenummer="RUTE-1")
    SessionFactory(agreement=on_track, date=today - timedelta(days=10), hours=D(8))
    for offset in range(1, 6):
        SessionFactory(agreement=on_track, date=today - timedelta(days=10 + offset), hours=D(8))
        SessionFactory(agreement=on_track, date=today - timedelta(days=10 + offset), hours=D(8), kind="gruppe")
    AgreementFactory(practice__municipality=oslo, avtalenummer="UTKAST-1")
    client.force_login(administrator)
    page = body(client.get(reverse("alis:agreement_index"), {"etter": "1"}))
    assert "BAK-1" in page and "RUTE-1" not in page and "UTKAST-1" not in page
    assert "basert på anslag" not in page or "Etter skjema" in page
    page = body(client.get(reverse("alis:agreement_index"), {"status": "utkast"}))
    assert "UTKAST-1" in page and "BAK-1" not in page
    assert behind.pk


def test_the_agreements_list_needs_the_same_queries_for_3_and_30_agreements(client, administrator, oslo):
    client.force_login(administrator)
    start = timezone.localdate() - timedelta(days=500)

    def make(count):
        for _ in range(count):
            agreement = approved(practice__municipality=oslo, start_date=start)
            SessionFactory(agreement=agreement, date=start + timedelta(days=3))

    make(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("alis:agreement_index")).status_code == 200
    make(27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("alis:agreement_index"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 30
    assert len(many) == len(few) <= 12


def test_agreements_list_query_budget(client, administrator, oslo, django_assert_max_num_queries):
    start = timezone.localdate() - timedelta(days=500)
    for _ in range(10):
        SessionFactory(agreement=approved(practice__municipality=oslo, start_date=start), date=start)
    client.force_login(administrator)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("alis:agreement_index")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("alis:overview")).status_code == 200


def test_overview_shows_state_grant_income_and_the_requirement_table(client, auditor, oslo):
    approved(practice__municipality=oslo, start_date=date(2022, 1, 1), state_grant_per_year=D("250000"),
             state_grant_period_from=date(2022, 1, 1), state_grant_period_to=date(2023, 12, 31),
             state_grant_reference="22/777")
    client.force_login(auditor)
    page = body(client.get(reverse("alis:overview")))
    assert "250\xa0000,00 kr" in page and "22/777" in page
    assert "Legeforeningen" in page and "Anslag" in page


def test_state_grant_income_per_year_is_prorated_and_counts_only_agreements_ever_approved(client, auditor, oslo):
    """docs/alis.md: kr 100 000 a year from 2021-07-01 to 2026-06-30 is 2021 50 410,96, 2022–2025 100 000,00 each,
    2026 49 589,04; drafts, submitted and rejected agreements count nothing."""
    grant = {"state_grant_per_year": D("100000"), "state_grant_period_from": date(2021, 7, 1),
             "state_grant_period_to": date(2026, 6, 30), "start_date": date(2021, 7, 1)}
    approved(practice__municipality=oslo, **grant)
    approved(practice__municipality=oslo, status="avsluttet", terminated_on=date(2023, 1, 31), **grant)
    for status in ("utkast", "innsendt", "avslatt"):
        AgreementFactory(practice__municipality=oslo, status=status, **grant)
    client.force_login(auditor)
    response = client.get(reverse("alis:overview"))
    assert response.context["grant_years"] == {
        2021: D("100821.92"), 2022: D("200000.00"), 2023: D("200000.00"), 2024: D("200000.00"),
        2025: D("200000.00"), 2026: D("99178.08")}
    assert "100\xa0821,92 kr" in body(response)


def test_a_superuser_without_a_role_is_shown_no_decision_forms(client, running, django_user_model):
    root = django_user_model.objects.create_superuser("root", password=factories.PASSWORD)
    client.force_login(root)
    response = client.get(reverse("alis:agreement_detail", args=[running.pk]))
    assert response.status_code == 200 and response.context["actions"] == {}
    assert 'data-testid="terminate"' not in body(response)  # the termination form she could not send
