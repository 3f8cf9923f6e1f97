"""Terminating a grant case (docs/grants.md): four-eyes like any decision (the service, the page
and the API give the same answer), a date inside the case's period, and a decision letter that says so."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.workflow import Forbidden, ServiceError
from grants.models import CaseStatus, GrunntilskuddApplication, IntroductionAllotment, IntroduksjonsAvtale
from grants.services import cases
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
S = CaseStatus


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(cases, "today", lambda: date(2022, 3, 1))


@pytest.fixture
def both(oslo):
    """Administrator and caseworker in Oslo: may create, submit and decide — but not their own case."""
    factories.member(oslo, "administrator", username="begge.roller")
    return factories.member(oslo, "caseworker", username="begge.roller")


@pytest.fixture
def small_list(oslo):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000,
                                         from_month=date(2020, 1, 1))
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2022, 2, 1), antall_pasienter=300,
                               listetak=1000)
    return holder


def granted_grunntilskudd(holder, *, created_by, submitted_by, decided_by, avtale_fra=date(2021, 6, 15)):
    """A granted grunntilskudd (agreement from 15.06.2021: covers June 2021 – May 2023)."""
    holder.avtale_fra = avtale_fra
    holder.save()
    case = cases.create_case(case=GrunntilskuddApplication(
        municipality=holder.patient_list.municipality, patient_list=holder.patient_list, doctor=holder.doctor,
        avtale_fra=avtale_fra, saksnummer="21/9"), user=created_by)
    case = cases.transition(case, action="submit", user=submitted_by)
    return cases.transition(case, action="approve", user=decided_by, override_reason="Testsak")


@pytest.fixture
def host(oslo, administrator):
    IntroductionAllotment.objects.create(municipality=oslo, letter_reference="22/1", number_granted=5,
                                         granted_on=date(2021, 12, 1), created_by=administrator)
    return factories.ListHolderFactory(patient_list__practice__municipality=oslo)


def granted_introduksjon(host, *, created_by, submitted_by, decided_by):
    """A granted introduksjonsavtale from 15.01.2022 to 14.01.2024."""
    case = cases.create_case(case=IntroduksjonsAvtale(
        municipality=host.patient_list.municipality, practice=host.patient_list.practice,
        doctor=factories.DoctorFactory(), start_date=date(2022, 1, 15), end_date=date(2024, 1, 14),
        position_percent=100, annual_contribution=Decimal("0")), user=created_by, host_lists=[host.patient_list])
    case = cases.transition(case, action="submit", user=submitted_by)
    return cases.transition(case, action="approve", user=decided_by, override_reason="Testsak")


def terminate_step(case):
    return cases.WORKFLOW.transition_for(case.status, "terminate")


# --- four-eyes --------------------------------------------------------------------------------------------


def test_terminate_is_four_eyes_in_the_transition_table():
    step = cases.WORKFLOW.transition_for(S.INNVILGET, "terminate")
    assert (step.target, step.role, step.four_eyes, step.reason_required) == (S.AVSLUTTET, "caseworker", True, True)


def test_the_submitter_may_not_terminate_another_caseworker_may(small_list, administrator, caseworker, caseworker2,
                                                                 both):
    case = granted_grunntilskudd(small_list, created_by=administrator, submitted_by=both, decided_by=caseworker)
    allowed, reason = cases.ENGINE.permission(both, case, terminate_step(case))
    assert not allowed and reason == "Du sendte inn saken. En annen saksbehandler må avgjøre den (fireøyneprinsippet)."
    with pytest.raises(Forbidden, match="sendte inn saken"):
        cases.transition(case, action="terminate", user=both, reason="Sluttet", on=date(2022, 2, 28))
    case.refresh_from_db()
    assert case.status == S.INNVILGET and not case.events.filter(action="terminate").exists()
    case = cases.transition(case, action="terminate", user=caseworker2, reason="Sluttet", on=date(2022, 2, 28))
    assert (case.status, case.terminated_on) == (S.AVSLUTTET, date(2022, 2, 28))


def test_the_creator_may_not_terminate(small_list, administrator, caseworker, both):
    case = granted_grunntilskudd(small_list, created_by=both, submitted_by=administrator, decided_by=caseworker)
    with pytest.raises(Forbidden, match="opprettet saken"):
        cases.transition(case, action="terminate", user=both, reason="Sluttet", on=date(2022, 2, 28))
    # the caseworker who granted it neither created nor submitted it: may terminate it
    case = cases.transition(case, action="terminate", user=caseworker, reason="Sluttet", on=date(2022, 2, 28))
    assert case.status == S.AVSLUTTET


def test_the_creator_of_an_introduksjonsavtale_may_not_terminate_it(host, administrator, caseworker, both):
    case = granted_introduksjon(host, created_by=both, submitted_by=both, decided_by=caseworker)
    with pytest.raises(Forbidden, match="fireøyneprinsippet"):
        cases.transition(case, action="terminate", user=both, reason="Flyttet", on=date(2022, 6, 30))
    assert cases.transition(case, action="terminate", user=caseworker, reason="Flyttet",
                            on=date(2022, 6, 30)).status == S.AVSLUTTET


def test_the_page_refuses_the_submitter_with_the_reason(client, small_list, administrator, caseworker, both):
    case = granted_grunntilskudd(small_list, created_by=administrator, submitted_by=both, decided_by=caseworker)
    client.force_login(both)
    page = client.get(reverse("grants:grunntilskudd_detail", args=[case.pk])).content.decode()
    assert "Du sendte inn saken. En annen saksbehandler må avgjøre den (fireøyneprinsippet)." in page
    response = client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "terminate"]),
                           {"reason": "Sluttet", "date": "2022-02-28"})
    assert response.status_code == 403 and "fireøyneprinsippet" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.INNVILGET


def test_the_api_refuses_the_submitter_with_403(small_list, administrator, caseworker, caseworker2, both):
    case = granted_grunntilskudd(small_list, created_by=administrator, submitted_by=both, decided_by=caseworker)
    client = APIClient()
    client.force_authenticate(both)
    body = {"reason": "Sluttet", "date": "2022-02-28"}
    response = client.post(f"/api/v1/grunntilskudd/{case.pk}/terminate/", body, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Du sendte inn saken. En annen saksbehandler må avgjøre den "
                                         "(fireøyneprinsippet)."}
    detail = client.get(f"/api/v1/grunntilskudd/{case.pk}/").json()
    assert {a["action"]: a["allowed"] for a in detail["actions"]} == {"terminate": False}
    client.force_authenticate(caseworker2)
    response = client.post(f"/api/v1/grunntilskudd/{case.pk}/terminate/", body, format="json")
    assert response.status_code == 200 and response.json()["status"] == "avsluttet"


# --- the date lies inside the case's period ---------------------------------------------------------------


@pytest.mark.parametrize(("on", "ok"), [
    (date(2021, 5, 31), False), (date(2021, 6, 1), True),  # the first covered month, from its 1st
    (date(2023, 5, 31), True), (date(2023, 6, 1), False),  # the end of the 24th month
])
def test_grunntilskudd_termination_date_inside_its_24_months(small_list, administrator, caseworker, caseworker2,
                                                             on, ok):
    case = granted_grunntilskudd(small_list, created_by=administrator, submitted_by=administrator,
                                 decided_by=caseworker)
    if ok:
        assert cases.transition(case, action="terminate", user=caseworker2, reason="Sluttet",
                                on=on).terminated_on == on
        return
    with pytest.raises(ServiceError) as refused:
        cases.transition(case, action="terminate", user=caseworker2, reason="Sluttet", on=on)
    assert refused.value.field == "date" and refused.value.status == 400
    assert "01.06.2021 til 31.05.2023" in str(refused.value)
    case.refresh_from_db()
    assert case.status == S.INNVILGET and case.terminated_on is None


def test_grunntilskudd_period_starts_not_before_may_2020(small_list, administrator, caseworker, caseworker2):
    case = granted_grunntilskudd(small_list, created_by=administrator, submitted_by=administrator,
                                 decided_by=caseworker, avtale_fra=date(2019, 10, 1))  # covers 2020-05 … 2021-09
    with pytest.raises(ServiceError, match="01.05.2020 til 30.09.2021"):
        cases.transition(case, action="terminate", user=caseworker2, reason="Sluttet", on=date(2020, 4, 30))


@pytest.mark.parametrize(("on", "ok"), [
    (date(2022, 1, 14), False), (date(2022, 1, 15), True), (date(2024, 1, 14), True), (date(2024, 1, 15), False),
])
def test_introduksjon_termination_date_inside_start_to_end(host, administrator, caseworker, caseworker2, on, ok):
    case = granted_introduksjon(host, created_by=administrator, submitted_by=administrator, decided_by=caseworker)
    if ok:
        assert cases.transition(case, action="terminate", user=caseworker2, reason="Flyttet",
                                on=on).terminated_on == on
        return
    with pytest.raises(ServiceError, match="15.01.2022 til 14.01.2024") as refused:
        cases.transition(case, action="terminate", user=caseworker2, reason="Flyttet", on=on)
    assert refused.value.field == "date"


def test_a_date_outside_the_period_is_400_in_the_api_and_a_message_on_the_page(
        client, host, administrator, caseworker, caseworker2):
    case = granted_introduksjon(host, created_by=administrator, submitted_by=administrator, decided_by=caseworker)
    api = APIClient()
    api.force_authenticate(caseworker2)
    response = api.post(f"/api/v1/introduksjonsavtaler/{case.pk}/terminate/",
                        {"reason": "Flyttet", "date": "2024-06-30"}, format="json")
    assert response.status_code == 400
    assert "15.01.2022 til 14.01.2024" in response.json()["date"][0]
    client.force_login(caseworker2)
    response = client.post(reverse("grants:introduksjon_action", args=[case.pk, "terminate"]),
                           {"reason": "Flyttet", "date": "2021-12-31"}, follow=True)
    assert "15.01.2022 til 14.01.2024" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.INNVILGET


# --- the decision letter ----------------------------------------------------------------------------------


def test_the_letter_of_a_terminated_grunntilskudd_states_date_reason_and_appeal(
        client, small_list, administrator, caseworker, caseworker2):
    for user, first, last in ((caseworker, "Ingrid", "Innvilgsen"), (caseworker2, "Signe", "Sluttsen")):
        user.first_name, user.last_name = first, last
        user.save()
    case = granted_grunntilskudd(small_list, created_by=administrator, submitted_by=administrator,
                                 decided_by=caseworker)
    cases.transition(case, action="terminate", user=caseworker2, reason="Legen har sagt opp fastlegeavtalen.",
                     on=date(2022, 2, 28))
    client.force_login(administrator)
    letter = client.get(reverse("grants:grunntilskudd_letter", args=[case.pk])).content.decode()
    assert "Vedtak: grunntilskuddet avsluttes" in letter
    assert "28.02.2022" in letter and "Legen har sagt opp fastlegeavtalen." in letter
    assert "innen tre uker" in letter and "forvaltningsloven § 28" in letter
    assert "Vedtak: innvilget" not in letter
    assert "Signe Sluttsen" in letter and "Ingrid Innvilgsen" not in letter  # signed by the one who terminated it


def test_the_letter_of_a_terminated_introduksjonsavtale(client, host, administrator, caseworker, caseworker2):
    case = granted_introduksjon(host, created_by=administrator, submitted_by=administrator, decided_by=caseworker)
    cases.transition(case, action="terminate", user=caseworker2, reason="Introduksjonslegen har flyttet.",
                     on=date(2022, 6, 30))
    client.force_login(administrator)
    letter = client.get(reverse("grants:introduksjon_letter", args=[case.pk])).content.decode()
    assert "Vedtak: introduksjonsavtalen avsluttes" in letter
    assert "30.06.2022" in letter and "Introduksjonslegen har flyttet." in letter and "innen tre uker" in letter
