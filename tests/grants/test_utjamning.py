"""Utjamningstilskudd for small municipalities (docs/rates.md, «6. Utjamningstilskudd»): the worked example, the
limits, who counts, the months before 2023-07, a missing population, corrections, the control calculation."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from grants import rules
from grants.models import PaymentLine, PaymentMonth, UtjamningParameter
from grants.services import ledger
from practices.models import Municipality, Population
from practices.services.population import save_population
from tests import factories

pytestmark = pytest.mark.django_db
AUGUST = date(2023, 8, 1)
EXAMPLE = "kr 841,80 × (1\xa0200 − 762,5) / 12 (snitt listelengde 762,5, 1\xa0412 innbyggere)"


@pytest.fixture
def bindal():
    return Municipality.objects.get(kommunenummer="1811")


def holding(municipality, n, *, driftsform="naeringsdrivende", doctor=None, listenummer=None, month=AUGUST):
    extra = {"listenummer": listenummer} if listenummer else {}
    patient_list = factories.PatientListFactory(practice__municipality=municipality, **extra)
    holder = factories.ListHolderFactory(
        patient_list=patient_list, driftsform=driftsform,
        doctor=None if driftsform == "ubesatt" else (doctor or factories.DoctorFactory()))
    factories.ListCountFactory(patient_list=patient_list, month=month, antall_pasienter=n)
    return holder


def example(municipality, inhabitants=1412):
    """§5a: lists 700, 900, 850 (næringsdrivende) and 600 (fastlønnet), four doctors."""
    if inhabitants is not None:
        Population.objects.create(municipality=municipality, year=2023, inhabitants=inhabitants)
    holders = [holding(municipality, n) for n in (700, 900, 850)]
    return holders, holding(municipality, 600, driftsform="fastlonnet")


def utjamning_lines(municipality, month=AUGUST):
    return list(PaymentLine.objects.filter(municipality=municipality, month=month, kind="utjamning")
                .order_by("patient_list__listenummer"))


# --- the pure rule -----------------------------------------------------------------------------------------------

P2023 = rules.SHIPPED_UTJAMNING[0]


def h(doctor, n, driftsform="naeringsdrivende", listenummer=None):
    return rules.UtjamningHolding(list_id=doctor * 10 + n % 7, listenummer=listenummer or str(doctor), doctor_id=doctor,
                                  driftsform=driftsform, n=n)


@pytest.mark.parametrize("population, holdings, status, amount", [
    (1412, [h(1, 700), h(2, 900), h(3, 850), h(4, 600, "fastlonnet")], "beregnet", Decimal("30690.63")),
    (4999, [h(1, 700), h(2, 900), h(3, 850), h(4, 600, "fastlonnet")], "beregnet", Decimal("30690.63")),
    (5000, [h(1, 700), h(2, 900), h(3, 850), h(4, 600, "fastlonnet")], "for_mange_innbyggere", None),
    (1412, [h(1, 1200), h(2, 1200)], "lange_lister", None),  # exactly 1 200: not under
    (1412, [h(1, 1199), h(2, 1201)], "lange_lister", None),
    (1412, [h(1, 1199), h(2, 1200)], "beregnet", Decimal("35.08")),  # 841.80 × 0.5 / 12 = 35.075
    (1412, [], "ingen_leger", None),
    (None, [h(1, 700)], "mangler_innbyggertall", None),
    (0, [h(1, 0)], "beregnet", Decimal("84180.00")),  # 841.80 × 1 200 / 12
])
def test_the_rule_as_a_table(population, holdings, status, amount):
    outcome = rules.utjamning_lines(parameter=P2023, population=population, holdings=holdings)
    assert outcome.status == status
    assert [line.line.amount for line in outcome.lines] == (
        [amount] * sum(x.driftsform == "naeringsdrivende" for x in holdings) if amount else [])


def test_the_worked_example_exactly():
    outcome = rules.utjamning_lines(parameter=P2023, population=1412,
                                    holdings=[h(1, 700), h(2, 900), h(3, 850), h(4, 600, "fastlonnet")])
    assert outcome.average == Decimal("762.5")
    assert [(line.doctor_id, line.line.quantity, line.line.amount, line.line.explanation) for line in outcome.lines] \
        == [(d, Decimal("437.5000"), Decimal("30690.63"), EXAMPLE) for d in (1, 2, 3)]


def test_an_average_that_does_not_terminate_is_exact_in_the_amount():
    outcome = rules.utjamning_lines(parameter=P2023, population=900, holdings=[h(1, 800), h(2, 800), h(3, 850)])
    # a = 2 450 / 3 = 816,666…; 841.80 × (3 600 − 2 450) / (12 × 3) = 26 890.833… → 26 890.83
    assert outcome.lines[0].line.amount == Decimal("26890.83")
    assert outcome.lines[0].line.quantity == Decimal("383.3333")
    assert "snitt listelengde 816,6667" in outcome.lines[0].line.explanation


def test_no_row_before_july_2023():
    rows = [row.as_rule() for row in UtjamningParameter.objects.all()]
    assert rules.utjamning_for_month(rows, date(2023, 6, 1)) is None
    assert rules.utjamning_for_month(rows, date(2023, 7, 1)).annual_rate == Decimal("841.80")
    assert rules.utjamning_for_month(rows, date(2024, 7, 1)).annual_rate == Decimal("861.16")
    assert [(row.reference, row.population_limit, row.status) for row in rows] == [(1200, 5000, "estimat")] * 2


# --- the ledger ------------------------------------------------------------------------------------------------


def test_the_worked_example_in_the_ledger(bindal):
    holders, salaried = example(bindal)
    outcome = ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    lines = utjamning_lines(bindal)
    assert [(line.doctor_id, line.amount, line.quantity, line.explanation, line.estimate, line.kept_by_municipality)
            for line in lines] == [(holder.doctor_id, Decimal("30690.63"), Decimal("437.5"), EXAMPLE, True, False)
                                   for holder in holders]
    assert salaried.doctor_id not in {line.doctor_id for line in lines}
    assert all(line.is_control for line in lines)
    assert outcome.utjamning == ""
    stored = PaymentMonth.objects.get(municipality=bindal, month=AUGUST).utjamning
    assert stored == {"status": "beregnet", "innbyggere": 1412, "snitt": "762.5000", "leger": 4, "referanse": 1200,
                      "innbyggergrense": 5000, "sats": "841.80", "estimat": True}
    # idempotent: a second run changes nothing
    assert ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST).changed is False


def test_exactly_5000_inhabitants_gives_no_line(bindal):
    example(bindal, inhabitants=5000)
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    assert utjamning_lines(bindal) == []
    assert PaymentMonth.objects.get(municipality=bindal).utjamning["status"] == "for_mange_innbyggere"


def test_an_average_of_exactly_1200_gives_no_line(bindal):
    Population.objects.create(municipality=bindal, year=2023, inhabitants=1412)
    holding(bindal, 1100)
    holding(bindal, 1300, driftsform="fastlonnet")
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    assert utjamning_lines(bindal) == []
    assert PaymentMonth.objects.get(municipality=bindal).utjamning["snitt"] == "1200.0000"


def test_ubesatt_lists_do_not_count_and_fastlonnet_doctors_get_no_line(bindal):
    Population.objects.create(municipality=bindal, year=2023, inhabitants=1412)
    paid = holding(bindal, 700)
    holding(bindal, 900, driftsform="fastlonnet")
    holding(bindal, 100, driftsform="ubesatt")  # counted it would make a = 566,67
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    [line] = utjamning_lines(bindal)
    assert line.doctor_id == paid.doctor_id
    assert "snitt listelengde 800," in line.explanation  # (700 + 900) / 2
    assert line.amount == Decimal("28060.00")  # 841.80 × 400 / 12


def test_a_doctor_with_two_lists_gets_one_line_on_the_lowest_listenummer(bindal):
    Population.objects.create(municipality=bindal, year=2023, inhabitants=1412)
    doctor = factories.DoctorFactory()
    holding(bindal, 400, doctor=doctor, listenummer="20")
    holding(bindal, 500, doctor=doctor, listenummer="9")
    holding(bindal, 600, listenummer="15")
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    lines = utjamning_lines(bindal)
    assert sorted((line.patient_list.listenummer, line.doctor_id) for line in lines) == sorted(
        [("9", doctor.pk), ("15", lines[0].doctor_id if lines[0].doctor_id != doctor.pk else lines[1].doctor_id)])
    # two distinct doctors: a = (400 + 500 + 600) / 2 = 750
    assert all("snitt listelengde 750," in line.explanation for line in lines)


def test_a_month_before_july_2023_gets_no_line_and_says_so(bindal):
    Population.objects.create(municipality=bindal, year=2023, inhabitants=1412)
    holding(bindal, 700, month=date(2023, 6, 1))
    outcome = ledger.recompute_month(municipality_id=bindal.pk, month=date(2023, 6, 1))
    assert utjamning_lines(bindal, date(2023, 6, 1)) == []
    assert outcome.utjamning == "utjamning er ikke beregnet før juli 2023"
    assert PaymentMonth.objects.get(municipality=bindal).utjamning_message == outcome.utjamning


def test_a_missing_population_is_reported(bindal):
    example(bindal, inhabitants=None)
    Population.objects.create(municipality=bindal, year=2022, inhabitants=1412)  # another year does not count
    outcome = ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    assert utjamning_lines(bindal) == []
    assert outcome.utjamning == "mangler innbyggertall"
    assert PaymentMonth.objects.get(municipality=bindal).utjamning["status"] == "mangler_innbyggertall"


def test_a_corrected_population_of_a_closed_month_is_booked_as_korreksjon(bindal, django_capture_on_commit_callbacks):
    first, second = (factories.member(bindal, "caseworker") for _ in range(2))
    root = factories.UserFactory(is_superuser=True, is_staff=True)
    holders, _salaried = example(bindal, inhabitants=None)
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    august = PaymentMonth.objects.get(municipality=bindal, month=AUGUST)
    ledger.attest_month(payment_month=august, user=first)
    ledger.authorise_month(payment_month=PaymentMonth.objects.get(pk=august.pk), user=second)
    assert utjamning_lines(bindal) == []

    with django_capture_on_commit_callbacks(execute=True):
        save_population(user=root, municipality=bindal, year=2023, inhabitants=1412)  # recomputes 2023's months
    assert utjamning_lines(bindal) == []  # the closed month is frozen
    corrections = PaymentLine.objects.filter(municipality=bindal, month=date(2023, 9, 1), kind="korreksjon",
                                             corrected_kind="utjamning")
    assert sorted((c.doctor_id, c.amount, c.estimate) for c in corrections) == sorted(
        (holder.doctor_id, Decimal("30690.63"), True) for holder in holders)
    assert all(c.is_control for c in corrections)  # a correction of a control calculation is not paid either
    assert ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST).corrections == 0


def test_a_confirmed_parameter_makes_the_line_payable(bindal):
    example(bindal)
    UtjamningParameter.objects.filter(valid_from=date(2023, 7, 1)).update(status="bekreftet")
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    assert [line.is_control for line in utjamning_lines(bindal)] == [False] * 3


def test_query_count_does_not_grow_with_municipalities(django_assert_max_num_queries):
    small = list(Municipality.objects.filter(kommunenummer__in=["1811", "1812"]))
    many = list(Municipality.objects.filter(kommunenummer__in=["1811", "1812", "1815", "1816", "1818", "1820"]))
    for municipality in many:
        Population.objects.create(municipality=municipality, year=2023, inhabitants=1412)
        example(municipality, inhabitants=None)
    ledger.recompute_months(municipality_ids=[m.pk for m in many], month=AUGUST)
    PaymentLine.objects.all().delete()
    with django_assert_max_num_queries(40) as two:
        ledger.recompute_months(municipality_ids=[m.pk for m in small], month=AUGUST)
    PaymentLine.objects.all().delete()
    with django_assert_max_num_queries(len(two.captured_queries)) as six:
        ledger.recompute_months(municipality_ids=[m.pk for m in many], month=AUGUST)
    assert len(six.captured_queries) == len(two.captured_queries)
    assert PaymentLine.objects.filter(kind="utjamning").count() == 18


# --- the pages ----------------------------------------------------------------------------------------------------


def test_the_month_page_and_the_dashboard_of_a_small_municipality(client, bindal):
    example(bindal)
    caseworker = factories.member(bindal, "caseworker")
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    client.force_login(caseworker)
    page = client.get(reverse("grants:payment_month", args=["1811", "2023-08"])).content.decode()
    assert 'data-testid="utjamning-population">1\xa0412' in page
    assert 'data-testid="utjamning-average">762,5' in page
    assert "Ja: hver næringsdrivende fastlege får utjamningstilskudd" in page
    assert page.count('data-testid="control-badge"') == 3
    assert "92\xa0071,89" in page.split("control-total")[1][:40], page.split("control-total")[1][:40]
    assert "437,5" in page
    session = client.session
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="utjamning-average">762,5' in dashboard, session


def test_the_month_page_says_why_there_is_no_line(client, bindal):
    caseworker = factories.member(bindal, "caseworker")
    holding(bindal, 700, month=date(2023, 6, 1))
    holding(bindal, 700)
    ledger.recompute_month(municipality_id=bindal.pk, month=date(2023, 6, 1))
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    client.force_login(caseworker)
    june = client.get(reverse("grants:payment_month", args=["1811", "2023-06"])).content.decode()
    assert "Utjamning er ikke beregnet før juli 2023." in june
    august = client.get(reverse("grants:payment_month", args=["1811", "2023-08"])).content.decode()
    assert "Mangler innbyggertall." in august


def test_recompute_payments_names_a_missing_population(bindal):
    example(bindal, inhabitants=None)
    out = io.StringIO()
    call_command("recompute_payments", "--month", "2023-08", "--municipality", "1811", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("1811 2023-08: linjer 4, sum ") and lines[0].endswith(", mangler listetall 0")
    assert lines[1] == "1811 2023-08: mangler innbyggertall"
