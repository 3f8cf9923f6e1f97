"""The yearly statement (docs/payments.md «Årsoppgave»): per doctor, municipality and year, the paid lines of the
authorised months by month and kind, one section per payee; unauthorised months named and left out, kept lines
left out; a page and a PDF; any role in the municipality, another municipality a 404; constant queries."""

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from django.db.models import Sum
from django.urls import reverse

from core.money import format_kr
from grants.models import PaymentLine, PaymentMonth
from grants.services import ledger
from payout.statement import mask_kontonummer, month_ranges, yearly_statement
from tests import factories
from tests.factories_payout import PayeeFactory

pytestmark = pytest.mark.django_db
YEAR = 2022
MONTHS = [date(YEAR, number, 1) for number in range(1, 5)]  # January–April computed, January–March closed
CLOSED = MONTHS[:3]


@pytest.fixture
def ledger_2022(oslo):
    """A doctor's list computed for January–April 2022, January–March authorised; a kept line and a korreksjon in
    closed months; an open April; another doctor in the same months."""
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, doctor__hpr_nummer="1234567",
                                         doctor__name="Kari Nordmann")
    other = factories.ListHolderFactory(patient_list__practice=holder.patient_list.practice)
    for month, count in zip(MONTHS, (1200, 1300, 2600, 1400), strict=True):
        factories.ListCountFactory(patient_list=holder.patient_list, month=month, antall_pasienter=count,
                                   listetak=2500)
        factories.ListCountFactory(patient_list=other.patient_list, month=month, antall_pasienter=900)
        ledger.recompute_month(municipality_id=oslo.pk, month=month)
    common = {"municipality": oslo, "doctor": holder.doctor, "patient_list": holder.patient_list}
    PaymentLine.objects.create(**common, month=CLOSED[0], kind="basis_under", amount=Decimal("777.77"),
                               kept_by_municipality=True, explanation="– beholdes av kommunen")
    PaymentLine.objects.create(**common, month=CLOSED[2], kind="korreksjon", corrected_kind="basis_under",
                               corrects_month=CLOSED[0], amount=Decimal("-50.00"), explanation="Korreksjon for 2022-01")
    PaymentMonth.objects.filter(municipality=oslo, month__in=CLOSED).update(status=PaymentMonth.Status.CLOSED)
    return holder


def url(name, oslo, hpr="1234567", year=YEAR):
    return reverse(f"payout:{name}", args=[oslo.kommunenummer, year, hpr])


def authorised(oslo, doctor, **filters):
    """What the ledger says: the doctor's paid lines in the closed months."""
    return PaymentLine.objects.filter(municipality=oslo, doctor=doctor, kept_by_municipality=False,
                                      month__in=CLOSED, **filters)


def test_amounts_by_month_and_kind_are_the_authorised_lines(oslo, ledger_2022):
    statement = yearly_statement(municipality=oslo, hpr="1234567", year=YEAR)
    doctor = ledger_2022.doctor
    expected_kinds = list(authorised(oslo, doctor).values_list("kind", flat=True).distinct())
    assert {code for code, _label in statement.kinds} == set(expected_kinds)
    assert "korreksjon" in expected_kinds and "basis_over" in expected_kinds  # March: 2 600 patients, K = 1 000
    [section] = statement.sections
    assert [row.month for row in section.rows] == CLOSED
    for row in section.rows:
        for (code, _label), amount in zip(statement.kinds, row.amounts, strict=True):
            ledger_sum = authorised(oslo, doctor, month=row.month, kind=code).aggregate(s=Sum("amount"))["s"]
            assert amount == ledger_sum, (row.month, code)
        assert row.total == authorised(oslo, doctor, month=row.month).aggregate(s=Sum("amount"))["s"]
    total = authorised(oslo, doctor).aggregate(s=Sum("amount"))["s"]
    assert statement.total == section.total == total
    assert sum(section.kind_totals) == total
    assert section.rows[2].amounts[[code for code, _ in statement.kinds].index("korreksjon")] == Decimal("-50.00")
    # April is computed but open; the kept line and the other doctor are not the doctor's paid lines
    assert statement.not_authorised == [date(YEAR, number, 1) for number in range(4, 13)]
    assert statement.not_authorised_text == "april–desember"
    april = PaymentLine.objects.filter(municipality=oslo, doctor=doctor, month=MONTHS[3]).aggregate(s=Sum("amount"))
    assert april["s"] > 0 and statement.total == total


def test_the_page_names_what_is_left_out_and_the_year_total(client, oslo, ledger_2022, auditor):
    client.force_login(auditor)
    page = client.get(url("yearly_statement", oslo)).content.decode()
    total = authorised(oslo, ledger_2022.doctor).aggregate(s=Sum("amount"))["s"]
    assert "Oslo kommune" in page and "Kari Nordmann" in page and "HPR 1234567" in page
    assert f'data-testid="statement-total">{format_kr(total)}<' in page
    assert "Ikke med: april–desember 2022 er ikke anvist ennå." in page
    assert "777,77" not in page  # the kept line
    assert "Dette er ikke en skatteoppgave" in page and "a-meldingen" in page
    assert "Ingen utbetalingsmottaker var registrert" in page


def test_a_change_of_payee_mid_year_gives_one_section_per_payee(client, oslo, ledger_2022, caseworker):
    doctor = ledger_2022.doctor
    PayeeFactory(municipality=oslo, doctor=doctor, valid_from=None, kontonummer="86011117947")
    PayeeFactory(municipality=oslo, doctor=doctor, valid_from=date(YEAR, 2, 15), name="Nordmann Legetjenester AS",
                 organisasjonsnummer=factories.valid_orgnr(4711), confirmed_at=None)
    statement = yearly_statement(municipality=oslo, hpr="1234567", year=YEAR)
    personal, company = statement.sections
    # the payee of a month is the one valid on its first day: February is still personal
    assert [row.month for row in personal.rows] == CLOSED[:2] and [row.month for row in company.rows] == CLOSED[2:]
    assert personal.total + company.total == statement.total
    client.force_login(caseworker)
    page = client.get(url("yearly_statement", oslo)).content.decode()
    assert "Mottaker: Kari Nordmann (januar–februar)" in page
    assert "Mottaker: Nordmann Legetjenester AS (mars)" in page and "ikke bekreftet" in page
    assert "****.**.*7947" in page and "86011117947" not in page and "8601.11.17947" not in page
    assert "Sum for året, alle mottakere" in page


def test_the_pdf(client, oslo, ledger_2022, administrator):
    client.force_login(administrator)
    response = client.get(url("yearly_statement_pdf", oslo))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="arsoppgave-2022-0301-hpr-1234567.pdf"'
    assert response.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    total = authorised(oslo, ledger_2022.doctor).aggregate(s=Sum("amount"))["s"]
    assert " ".join(format_kr(total).split()) in text, text
    assert "Oslo kommune" in text and "Kari Nordmann" in text and "april–desember 2022" in text
    assert "ikke en skatteoppgave" in text


def test_another_municipality_and_unknown_doctors_are_404(client, oslo, bergen, ledger_2022, outsider,
                                                         administrator):
    client.force_login(outsider)
    for name in ("yearly_statement", "yearly_statement_pdf"):
        assert client.get(url(name, oslo)).status_code == 404
        # Bergen's own number with Oslo's doctor: the doctor has no lines in Bergen
        assert client.get(url(name, bergen)).status_code == 404
    client.force_login(administrator)
    assert client.get(url("yearly_statement", oslo, hpr="7654321")).status_code == 404
    assert client.get(url("yearly_statement", oslo, year=2019)).status_code == 404
    assert client.get(url("yearly_statement", oslo, year=99999)).status_code == 404
    assert client.get(url("yearly_statement", oslo)).status_code == 200


def test_a_year_without_an_authorised_month_says_so(client, oslo, ledger_2022, administrator):
    PaymentMonth.objects.filter(municipality=oslo).update(status=PaymentMonth.Status.OPEN)
    client.force_login(administrator)
    page = client.get(url("yearly_statement", oslo)).content.decode()
    assert "Ingen anviste utbetalinger i 2022 ennå." in page and "Ikke med: januar–desember 2022" in page


def test_links_from_the_doctors_page_and_the_month_statement(client, oslo, bergen, ledger_2022, administrator):
    # a Bergen line of the same doctor in a closed month: not a link for a user of Oslo only
    PaymentLine.objects.create(municipality=bergen, doctor=ledger_2022.doctor, month=CLOSED[0], kind="alis",
                               amount=Decimal("100.00"), explanation="x")
    PaymentMonth.objects.create(municipality=bergen, month=CLOSED[0], status=PaymentMonth.Status.CLOSED)
    client.force_login(administrator)
    page = client.get(reverse("practices:doctor_detail", args=[ledger_2022.doctor.pk])).content.decode()
    assert "Årsoppgaver" in page and f'href="{url("yearly_statement", oslo)}"' in page
    assert "Bergen" not in page and page.count("/arsoppgave/") == 1
    month_page = client.get(reverse("grants:statement", args=["0301", "2022-01", "1234567"])).content.decode()
    assert f'href="{url("yearly_statement", oslo)}"' in month_page


def test_queries_do_not_grow_with_months_or_payees(client, oslo, ledger_2022, administrator,
                                                   django_assert_num_queries):
    client.force_login(administrator)
    client.get(url("yearly_statement", oslo))  # warm the session and the content types
    with django_assert_num_queries(8) as small:
        client.get(url("yearly_statement", oslo))
    doctor = ledger_2022.doctor
    for number, month in enumerate(MONTHS, start=1):
        PayeeFactory(municipality=oslo, doctor=doctor, valid_from=month, name=f"Mottaker {number}")
    PaymentMonth.objects.filter(municipality=oslo).update(status=PaymentMonth.Status.CLOSED)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url("yearly_statement", oslo))
    assert response.content.decode().count('data-testid="statement-payee"') == 4


@pytest.mark.parametrize(("digits", "masked"), [("86011117947", "****.**.*7947"), ("", ""), ("1234", "1234")])
def test_mask_kontonummer(digits, masked):
    assert mask_kontonummer(digits) == masked


def test_month_ranges():
    months = [date(2022, n, 1) for n in (1, 2, 3, 5, 7, 8, 12)]
    assert month_ranges(months) == "januar–mars, mai, juli–august, desember"
    assert month_ranges([]) == ""


@pytest.mark.parametrize("hpr", ["%00", "1234567%00", "x" * 300, "%F0%9F%92%A9"])
def test_odd_path_parameters_are_404(client, oslo, ledger_2022, administrator, hpr):
    client.force_login(administrator)
    for suffix in ("", "pdf/"):
        assert client.get(f"/utbetalinger/0301/arsoppgave/2022/lege/{hpr}/{suffix}").status_code == 404
