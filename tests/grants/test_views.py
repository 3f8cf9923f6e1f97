"""Grant case pages: roles, four-eyes buttons, the live check, letters, scope (404) and the payments note."""

from datetime import date

import pytest
from django.urls import reverse

from grants.models import CaseStatus, GrunntilskuddApplication, IntroductionAllotment, IntroduksjonsAvtale
from grants.services import cases, ledger
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(cases, "today", lambda: date(2020, 7, 1))


@pytest.fixture
def small_list(oslo):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000)
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=300,
                               listetak=1000)
    return holder


def test_administrator_creates_and_submits_caseworker_approves(client, small_list, administrator, caseworker):
    client.force_login(administrator)
    response = client.post(reverse("grants:grunntilskudd_create"), {
        "patient_list": small_list.patient_list.pk, "avtale_fra": "2020-06-15", "saksnummer": "20/1"})
    case = GrunntilskuddApplication.objects.get()
    assert response.status_code == 302 and case.doctor == small_list.doctor and case.status == "utkast"
    checks = client.post(reverse("grants:grunntilskudd_checks"), {
        "patient_list": small_list.patient_list.pk, "avtale_fra": "2020-06-15"}).content.decode()
    assert "Listetak 1000 – over 500." in checks and "✗" not in checks
    client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "submit"]))
    page = client.get(reverse("grants:grunntilskudd_detail", args=[case.pk])).content.decode()
    assert "Bare saksbehandlere i 0301 Oslo - Oslove kan gjøre dette." in page  # the disabled approve button says why
    assert client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "approve"])).status_code == 403
    client.force_login(caseworker)
    client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "approve"]))
    case.refresh_from_db()
    assert case.status == CaseStatus.INNVILGET
    letter = client.get(reverse("grants:grunntilskudd_letter", args=[case.pk])).content.decode()
    assert "Vedtak: innvilget søknad om grunntilskudd" in letter and "juni 2020 til mai 2022" in letter


def test_rejection_letter_states_the_right_to_appeal_and_the_upheld_one_statsforvalteren(
        client, small_list, administrator, caseworker):
    case = cases.create_case(case=GrunntilskuddApplication(
        municipality=small_list.patient_list.municipality, patient_list=small_list.patient_list,
        doctor=small_list.doctor, avtale_fra=date(2020, 6, 15)), user=administrator)
    case = cases.transition(case, action="submit", user=administrator)
    client.force_login(caseworker)
    response = client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "reject"]), {"reason": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "innsendt"  # a rejection needs a reason
    client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "reject"]), {"reason": "For mange pasienter."})
    letter = client.get(reverse("grants:grunntilskudd_letter", args=[case.pk])).content.decode()
    assert "For mange pasienter." in letter and "innen tre uker" in letter
    client.force_login(administrator)
    client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "appeal"]), {"reason": "Feil tall."})
    client.force_login(caseworker)
    client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "reject"]), {"reason": "Opprettholdt."})
    letter = client.get(reverse("grants:grunntilskudd_letter", args=[case.pk])).content.decode()
    assert "sendt til Statsforvalteren" in letter


def test_other_municipality_is_404(client, small_list, administrator, outsider):
    case = cases.create_case(case=GrunntilskuddApplication(
        municipality=small_list.patient_list.municipality, patient_list=small_list.patient_list,
        doctor=small_list.doctor, avtale_fra=date(2020, 6, 15)), user=administrator)
    client.force_login(outsider)
    for name in ("grunntilskudd_detail", "grunntilskudd_edit", "grunntilskudd_letter"):
        assert client.get(reverse(f"grants:{name}", args=[case.pk])).status_code == 404
    assert client.post(reverse("grants:grunntilskudd_action", args=[case.pk, "submit"])).status_code == 404
    response = client.post(reverse("grants:grunntilskudd_create"), {
        "patient_list": small_list.patient_list.pk, "avtale_fra": "2020-06-15"})
    assert response.status_code == 200 and "Velg et gyldig valg" in response.content.decode()


@pytest.mark.parametrize("role", ["caseworker", "auditor"])
def test_only_administrators_create(client, oslo, small_list, role):
    client.force_login(factories.member(oslo, role))
    assert client.get(reverse("grants:grunntilskudd_index")).status_code == 200
    response = client.post(reverse("grants:grunntilskudd_create"), {
        "patient_list": small_list.patient_list.pk, "avtale_fra": "2020-06-15"})
    assert response.status_code == 403
    assert "Bare kommuneadministratorer kan opprette saker." in response.content.decode()


def test_introduksjon_form_allotment_and_checks(client, oslo, administrator):
    host = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    client.force_login(administrator)
    client.post(reverse("grants:allotment_create"), {"municipality": oslo.pk, "letter_reference": "Hdir 21/1",
                                                     "number_granted": 1, "granted_on": "2021-12-01"})
    assert IntroductionAllotment.objects.get().number_granted == 1
    data = {"hpr_nummer": "7000001", "doctor_name": "Ny Lege", "practice": host.patient_list.practice.pk,
            "host_lists": [host.patient_list.pk], "start_date": "2022-02-01", "end_date": "2025-01-31",
            "position_percent": 100, "annual_contribution": "0"}
    checks = client.post(reverse("grants:introduksjon_checks"), data).content.decode()
    assert "Slutt 31.01.2025; senest 31.01.2024 ved 100 % stilling – forkort avtalen." in checks
    response = client.post(reverse("grants:introduksjon_create"), data)
    assert response.status_code == 302
    case = IntroduksjonsAvtale.objects.get()
    assert case.doctor.name == "Ny Lege" and list(case.host_lists.all()) == [host.patient_list]


def test_payments_page_explains_a_covered_month_that_pays_nothing(client, small_list, administrator, caseworker,
                                                                   oslo):
    case = cases.create_case(case=GrunntilskuddApplication(
        municipality=oslo, patient_list=small_list.patient_list, doctor=small_list.doctor,
        avtale_fra=date(2020, 6, 15)), user=administrator)
    case = cases.transition(cases.transition(case, action="submit", user=administrator), action="approve",
                            user=caseworker)
    factories.ListCountFactory(patient_list=small_list.patient_list, month=date(2020, 7, 1), antall_pasienter=512,
                               listetak=1000)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 7, 1))
    client.force_login(caseworker)
    page = client.get(reverse("grants:payment_month", args=["0301", "2020-07"])).content.decode()
    assert "listen har 512 pasienter" in page


def test_dashboard_worklist_and_notices(client, small_list, administrator, caseworker, caseworker2, oslo):
    case = cases.create_case(case=GrunntilskuddApplication(
        municipality=oslo, patient_list=small_list.patient_list, doctor=small_list.doctor,
        avtale_fra=date(2020, 6, 15)), user=administrator)
    cases.transition(case, action="submit", user=administrator)
    client.force_login(caseworker)
    assert f"Grunntilskudd #{case.pk}" in client.get(reverse("dashboard")).content.decode()
    client.force_login(administrator)
    assert f"Grunntilskudd #{case.pk}" not in client.get(reverse("dashboard")).content.decode()


def test_a_superuser_without_a_role_is_shown_no_case_forms(client, small_list, administrator, django_user_model):
    case = cases.save_grunntilskudd_draft(user=administrator, patient_list=small_list.patient_list,
                                          avtale_fra=date(2020, 6, 15))
    cases.transition(case, action="submit", user=administrator)
    root = django_user_model.objects.create_superuser("root", password=factories.PASSWORD)
    client.force_login(root)
    response = client.get(reverse("grants:grunntilskudd_detail", args=[case.pk]))
    body = response.content.decode()
    assert response.context["actions"] == [] and 'data-testid="action-approve"' not in body
    assert "Du har ingen rolle i 0301 Oslo - Oslove. Saken behandles av kommunens administratorer" in body
    client.force_login(administrator)  # a member still sees the step she may not take, with the reason
    assert "Bare saksbehandlere i 0301 Oslo - Oslove kan gjøre dette." in client.get(
        reverse("grants:grunntilskudd_detail", args=[case.pk])).content.decode()
