"""Grunntilskudd follows the doctor's fastlegeavtale, not the list (issue 16 point 1, docs/grants.md).

Helfo: "Grunntilskotet er knytt til ein fastlegeavtale og vert gitt i inntil to år frå fastlegeavtalen er
inngått." A granted case pays in a covered month only while its doctor holds its list under the agreement it was
granted for (same avtale_fra; unknown matches) as næringsdrivende.

List of 300 patients, listetak 1000, 2022: basis_under round(300 × 653 / 12) = 16 325,00, the floor
round(500 × 653 / 12) = 27 208,33, so grunntilskudd 10 883,33 in every month that pays."""

from datetime import date
from decimal import Decimal

import pytest

from grants import rules
from grants.models import CaseStatus, GrunntilskuddApplication, PaymentLine, PaymentMonth
from grants.selectors import grunntilskudd_not_paying
from grants.services import cases, ledger
from grants.services.expiry import expire_eligibility
from practices.models import ListHolder
from practices.services.list_import import import_file
from tests import factories

pytestmark = pytest.mark.django_db
GRUNNTILSKUDD = Decimal("10883.33")
HEADER = ("kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;listenummer;listetak;"
          "antall_pasienter;maaned;driftsform;avtale_fra")


def m(month: int) -> date:
    return date(2022, month, 1)


@pytest.fixture
def small_list(oslo, administrator):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000,
                                         from_month=m(1), doctor__hpr_nummer="1111111", doctor__name="Anne Lege")
    for month in range(1, 13):
        factories.ListCountFactory(patient_list=holder.patient_list, month=m(month), antall_pasienter=300,
                                   listetak=1000)
    return holder


def grant(holder, administrator, *, doctor=None, avtale_fra=date(2022, 1, 1)):
    return GrunntilskuddApplication.objects.create(
        municipality=holder.patient_list.municipality, patient_list=holder.patient_list,
        doctor=doctor or holder.doctor, avtale_fra=avtale_fra, status=CaseStatus.INNVILGET,
        created_by=administrator, submitted_by=administrator)


def holder_from(holder, month, **fields):
    return ListHolder.objects.create(patient_list=holder.patient_list, from_month=month,
                                     **{"doctor": holder.doctor, "driftsform": "naeringsdrivende", **fields})


def grunntilskudd_lines(oslo, month):
    ledger.recompute_month(municipality_id=oslo.pk, month=month)
    return [(line.doctor.hpr_nummer, line.amount, line.case_ref) for line in
            PaymentLine.objects.filter(month=month, kind="grunntilskudd").select_related("doctor")]


def reason(oslo, month):
    return [row["reason"] for row in grunntilskudd_not_paying(oslo, month)]


def test_a_holder_change_in_the_middle_of_the_grant_period_ends_the_payments(oslo, administrator, small_list):
    case = grant(small_list, administrator)
    holder_from(small_list, m(6), doctor=factories.DoctorFactory(hpr_nummer="2222222"))
    assert grunntilskudd_lines(oslo, m(5)) == [("1111111", GRUNNTILSKUDD, f"grunntilskudd:{case.pk}")]
    assert grunntilskudd_lines(oslo, m(6)) == []
    assert reason(oslo, m(6)) == ["listen har ny innehaver fra juni 2022"]
    # the successor's basis is paid to the successor as usual
    assert PaymentLine.objects.get(month=m(6), kind="basis_under").doctor.hpr_nummer == "2222222"


def test_the_doctor_goes_fastlonnet_and_back(oslo, administrator, small_list):
    grant(small_list, administrator)
    holder_from(small_list, m(4), driftsform="fastlonnet")
    holder_from(small_list, m(7))
    assert [len(grunntilskudd_lines(oslo, m(month))) for month in range(3, 9)] == [1, 0, 0, 0, 1, 1]
    assert reason(oslo, m(5)) == ["legen er fastlønnet fra april 2022"]
    # a fastlønnet month is kept by the municipality, and no grunntilskudd is booked as kept either
    assert not PaymentLine.objects.filter(month=m(5), kind="grunntilskudd").exists()
    assert PaymentLine.objects.get(month=m(5), kind="basis_under").kept_by_municipality


def test_a_successor_with_a_grant_of_their_own_gets_their_own(oslo, administrator, small_list):
    first = grant(small_list, administrator)
    successor = factories.DoctorFactory(hpr_nummer="2222222")
    holder_from(small_list, m(6), doctor=successor, avtale_fra=date(2022, 6, 1))
    second = grant(small_list, administrator, doctor=successor, avtale_fra=date(2022, 6, 1))
    assert grunntilskudd_lines(oslo, m(5)) == [("1111111", GRUNNTILSKUDD, f"grunntilskudd:{first.pk}")]
    assert grunntilskudd_lines(oslo, m(6)) == [("2222222", GRUNNTILSKUDD, f"grunntilskudd:{second.pk}")]
    assert reason(oslo, m(6)) == []


def test_an_unknown_avtale_fra_matches_and_granting_writes_the_case_date(oslo, administrator, caseworker,
                                                                         small_list, monkeypatch):
    monkeypatch.setattr(cases, "today", lambda: date(2022, 3, 15))
    case = GrunntilskuddApplication.objects.create(
        municipality=oslo, patient_list=small_list.patient_list, doctor=small_list.doctor,
        avtale_fra=date(2022, 1, 1), created_by=administrator)
    cases.transition(case, action="submit", user=administrator)
    cases.transition(case, action="approve", user=caseworker)
    small_list.refresh_from_db()
    assert small_list.avtale_fra == date(2022, 1, 1)
    assert small_list.history.first().history_change_reason == f"Avtale fra satt ved innvilget grunntilskudd {case.pk}"
    assert len(grunntilskudd_lines(oslo, m(8))) == 1

    # a later import with another date is another agreement: the payments end from that month
    row = (f"0301;{small_list.patient_list.practice.organisasjonsnummer};{small_list.patient_list.practice.name};"
           f"1111111;Anne Lege;{small_list.patient_list.listenummer};1000;300;2022-09;næringsdrivende;2022-09-01")
    job = import_file(user=administrator, data=f"{HEADER}\n{row}\n".encode(), filename="x.csv", dry_run=False)
    assert job.status == "done", job.errors
    assert list(ListHolder.objects.filter(patient_list=small_list.patient_list).order_by("from_month").values_list(
        "from_month", "avtale_fra")) == [(m(1), date(2022, 1, 1)), (m(9), date(2022, 9, 1))]
    assert len(grunntilskudd_lines(oslo, m(8))) == 1
    assert grunntilskudd_lines(oslo, m(9)) == []
    assert reason(oslo, m(9)) == [
        "legen har en ny fastlegeavtale fra 01.09.2022 (grunntilskuddet gjelder avtalen fra 01.01.2022)"]


def test_an_import_that_learns_the_date_fills_it_in(oslo, administrator, small_list):
    row = (f"0301;{small_list.patient_list.practice.organisasjonsnummer};{small_list.patient_list.practice.name};"
           f"1111111;Anne Lege;{small_list.patient_list.listenummer};1000;300;2022-05;;2022-01-01")
    import_file(user=administrator, data=f"{HEADER}\n{row}\n".encode(), filename="x.csv", dry_run=False)
    assert list(ListHolder.objects.filter(patient_list=small_list.patient_list).values_list(
        "from_month", "avtale_fra")) == [(m(1), date(2022, 1, 1))]


def test_korreksjon_when_a_closed_months_holder_is_corrected_by_an_import(oslo, administrator, caseworker,
                                                                          caseworker2, small_list):
    grant(small_list, administrator)
    assert len(grunntilskudd_lines(oslo, m(5))) == 1
    ledger.recompute_month(municipality_id=oslo.pk, month=m(6))
    may = PaymentMonth.objects.get(month=m(5))
    ledger.attest_month(payment_month=may, user=caseworker)
    ledger.authorise_month(payment_month=PaymentMonth.objects.get(pk=may.pk), user=caseworker2)

    row = (f"0301;{small_list.patient_list.practice.organisasjonsnummer};{small_list.patient_list.practice.name};"
           f"2222222;Bjørn Etterfølger;{small_list.patient_list.listenummer};1000;300;2022-05;;")
    job = import_file(user=administrator, data=f"{HEADER}\n{row}\n".encode(), filename="x.csv", dry_run=False)
    assert job.status == "done", job.errors
    ledger.recompute_month(municipality_id=oslo.pk, month=m(5))
    corrections = PaymentLine.objects.filter(month=m(6), kind="korreksjon", corrects_month=m(5),
                                             corrected_kind="grunntilskudd")
    assert [(c.doctor.hpr_nummer, c.amount) for c in corrections] == [("1111111", -GRUNNTILSKUDD)]


def test_the_submission_check_uses_the_same_rule(oslo, administrator, small_list):
    ListHolder.objects.filter(pk=small_list.pk).update(avtale_fra=date(2021, 6, 1))
    checks = {c.code: c for c in cases.grunntilskudd_checks(patient_list=small_list.patient_list,
                                                            doctor=small_list.doctor, avtale_fra=date(2022, 1, 1),
                                                            on=date(2022, 3, 1))}
    assert not checks["samme_avtale"].ok
    assert "ny fastlegeavtale fra 01.06.2021" in checks["samme_avtale"].message


def test_the_daily_job_ends_a_grant_whose_list_has_a_new_holder_but_not_a_fastlonnet_one(
        oslo, administrator, small_list):
    other_list = factories.ListHolderFactory(patient_list__practice__municipality=oslo, from_month=m(1))
    moved = grant(small_list, administrator)
    salaried = grant(other_list, administrator)
    holder_from(small_list, m(6), doctor=factories.DoctorFactory())
    holder_from(other_list, m(6), driftsform="fastlonnet")
    outcome = expire_eligibility(today=date(2022, 6, 10))
    moved.refresh_from_db()
    salaried.refresh_from_db()
    assert outcome["grunntilskudd"] == 1
    assert moved.status == CaseStatus.UTLOPT and salaried.status == CaseStatus.INNVILGET
    assert moved.events.last().reason == "Grunntilskuddet gjelder ikke lenger: listen har ny innehaver fra juni 2022."
    assert expire_eligibility(today=date(2022, 6, 10))["grunntilskudd"] == 0


@pytest.mark.parametrize(("holding", "expected"), [
    (rules.Holding(1, "naeringsdrivende", None), None),
    (rules.Holding(1, "naeringsdrivende", date(2022, 1, 1)), None),
    (rules.Holding(1, "naeringsdrivende", date(2022, 2, 1), m(3)), "ny_avtale"),
    (rules.Holding(2, "naeringsdrivende", date(2022, 1, 1), m(3)), "ny_innehaver"),
    (rules.Holding(1, "fastlonnet", date(2022, 1, 1), m(3)), "fastlonnet"),
    (rules.Holding(None, "ubesatt", None, m(3)), "ubesatt"),
    (None, "ubesatt"),
])
def test_the_rule_as_a_table(holding, expected):
    gap = rules.grunntilskudd_agreement_gap(doctor_id=1, avtale_fra=date(2022, 1, 1), holding=holding)
    assert (gap.code if gap else None) == expected


def test_the_case_page_says_month_by_month_what_was_paid_and_why_not(client, oslo, administrator, small_list,
                                                                     monkeypatch):
    monkeypatch.setattr(cases, "today", lambda: date(2022, 7, 20))
    case = grant(small_list, administrator)
    holder_from(small_list, m(6), doctor=factories.DoctorFactory())
    for month in range(1, 8):
        ledger.recompute_month(municipality_id=oslo.pk, month=m(month))
    client.force_login(administrator)
    page = client.get(f"/grunntilskudd/{case.pk}/").content.decode()
    assert page.count("10\xa0883,33 kr") == 5
    assert "Listen har ny innehaver fra juni 2022" in page
