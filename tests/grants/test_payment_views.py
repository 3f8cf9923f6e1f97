"""Payments pages: roles, four-eyes closing, exports, statements, scope and query counts."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from grants.models import PaymentLine, PaymentMonth, PaymentRun
from grants.services import ledger
from tests import factories

pytestmark = pytest.mark.django_db
JUNE = date(2020, 6, 1)


def lists(municipality, n, month=JUNE):
    practice = factories.PracticeFactory(municipality=municipality)
    holders = []
    for i in range(n):
        holder = factories.ListHolderFactory(patient_list__practice=practice)
        factories.ListCountFactory(patient_list=holder.patient_list, month=month,
                                   antall_pasienter=800 + 400 * min(i, 5))
        holders.append(holder)
    return holders


def url(name, municipality, month="2020-06", *extra):
    return reverse(f"grants:{name}", args=[municipality.kommunenummer, month, *extra])


def test_recompute_from_the_page_then_attest_and_authorise(client, oslo, caseworker, caseworker2,
                                                          django_capture_on_commit_callbacks):
    lists(oslo, 2)
    client.force_login(caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("recompute", oslo))
    assert response.status_code == 302
    run = PaymentRun.objects.get()
    assert (run.status, run.lines, run.started_by) == ("done", 3, caseworker)
    page = client.get(url("payment_month", oslo)).content.decode()
    assert "38\xa0466,67 kr" in page and "Attester" in page
    assert client.post(url("attest", oslo)).status_code == 302
    page = client.get(url("payment_month", oslo)).content.decode()
    assert "Du attesterte denne måneden. En annen saksbehandler må anvise den" in page
    response = client.post(url("authorise", oslo))
    assert response.status_code == 403 and "to personer" in response.content.decode()
    client.force_login(caseworker2)
    assert client.post(url("authorise", oslo)).status_code == 302
    assert PaymentMonth.objects.get().status == "closed"


@pytest.mark.parametrize("role", ["administrator", "auditor"])
def test_only_caseworkers_recompute_and_close(client, oslo, role):
    lists(oslo, 1)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    client.force_login(factories.member(oslo, role))
    assert client.get(url("payment_month", oslo)).status_code == 200
    for name in ("recompute", "attest", "authorise"):
        response = client.post(url(name, oslo))
        assert response.status_code == 403, name
        assert "Bare saksbehandlere" in response.content.decode()
    assert PaymentRun.objects.count() == 0


def test_other_municipality_is_404_everywhere(client, oslo, outsider):
    holder = lists(oslo, 1)[0]
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    run = PaymentRun.objects.create(municipality=oslo, month=JUNE)
    client.force_login(outsider)
    for target in (url("payment_month", oslo), url("export_lines", oslo, "2020-06", "csv"),
                   url("export_payout", oslo, "2020-06", "xlsx"),
                   url("statement", oslo, "2020-06", holder.doctor.hpr_nummer),
                   reverse("grants:run_progress", args=[run.pk])):
        assert client.get(target).status_code == 404, target
    for name in ("recompute", "attest", "authorise", "reopen"):
        assert client.post(url(name, oslo)).status_code == 404


def test_exports_statement_and_payout(client, oslo, auditor):
    holders = lists(oslo, 2)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    client.force_login(auditor)
    response = client.get(url("export_lines", oslo, "2020-06", "csv"))
    assert response["Content-Disposition"] == 'attachment; filename="utbetalinger-0301-2020-06.csv"'
    body = response.content.decode("utf-8-sig").splitlines()
    assert body[0] == "kommunenummer;listenummer;hpr_nummer;maaned;type;antall;sats;belop;forklaring;mottaker"
    assert len(body) == 4
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(url("export_lines", oslo, "2020-06", "xlsx")).content)).active
    assert [c.value for c in sheet[1]] == ["Kommunenr.", "Listenr.", "HPR-nr.", "Måned", "Type", "Antall",
                                           "Sats (kr/år)", "Beløp", "Forklaring", "Mottaker"]
    assert sheet.max_row == 5 and sheet.freeze_panes == "A2"  # three lines and the sum row
    assert sheet["D2"].value == datetime(2020, 6, 1) and sheet["D2"].number_format == "mmmm yyyy"
    assert {sheet[f"E{r}"].value for r in (2, 3, 4)} <= {"Basistilskudd under knekkpunkt",
                                                         "Basistilskudd over knekkpunkt"}
    assert sheet["J2"].value == "Legen" and sheet["H2"].number_format == '#,##0.00\\ "kr"'
    assert (sheet["A5"].value, sheet["H5"].value) == ("Sum", pytest.approx(38466.67 + 56400.00))
    assert sheet.column_dimensions["I"].width > sheet.column_dimensions["A"].width  # Forklaring is wide
    payout = client.get(url("export_payout", oslo, "2020-06", "csv")).content.decode("utf-8-sig").splitlines()
    assert payout[0] == "kommunenummer;maaned;mottaker;hpr_nummer;navn;belop"
    assert sorted(payout[1:]) == sorted([
        f"0301;2020-06;lege;{holders[0].doctor.hpr_nummer};{holders[0].doctor.name};38466.67",
        f"0301;2020-06;lege;{holders[1].doctor.hpr_nummer};{holders[1].doctor.name};56400.00",
    ])
    page = client.get(url("statement", oslo, "2020-06", holders[1].doctor.hpr_nummer)).content.decode()
    assert "Utbetalingsspesifikasjon" in page and "56\xa0400,00 kr" in page
    assert client.get(url("export_lines", oslo, "2020-06", "exe")).status_code == 404
    assert client.get(url("payment_month", oslo, "2020-13")).status_code == 404


def test_superuser_reopens_with_a_reason(client, oslo, caseworker, caseworker2):
    lists(oslo, 1)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    payment_month = ledger.attest_month(payment_month=PaymentMonth.objects.get(), user=caseworker)
    ledger.authorise_month(payment_month=payment_month, user=caseworker2)
    client.force_login(caseworker)
    assert client.post(url("reopen", oslo), {"reason": "x"}).status_code == 403
    client.force_login(factories.UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.post(url("reopen", oslo), {"reason": "Feil i Helfo-fil"}).status_code == 302
    assert PaymentMonth.objects.get().status == "open"


def test_month_page_query_count_is_constant(client, oslo, caseworker, django_assert_max_num_queries):
    client.force_login(caseworker)
    lists(oslo, 2)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    with django_assert_max_num_queries(30) as small:
        assert client.get(url("payment_month", oslo)).status_code == 200
    lists(oslo, 40)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    assert PaymentLine.objects.count() > 60
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url("payment_month", oslo)).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("grants:payments_index")).status_code == 200


def test_rates_page_shows_every_row_with_status(client, auditor):
    client.force_login(auditor)
    page = client.get(reverse("grants:rates")).content.decode()
    # 8 rate rows and 2 utjamning rows, each table with its header row
    assert page.count("<tr>") == 12 and "Anslag" in page and "787,02" in page and "861,16" in page


def test_sum_per_type_lists_the_kinds_in_the_ledgers_order(oslo):
    from grants.selectors import totals_by_kind

    lists(oslo, 3)  # 800, 1 200, 1 600 patients in 2020-06 (knekkpunkt 1 000): under and over lines
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    rows = totals_by_kind(PaymentLine.objects.filter(municipality=oslo, month=JUNE))
    assert [row["kind"] for row in rows] == ["basis_under", "basis_over"]
    # under, kr 577: 800 → 38 466,67 and 1 000 → 48 083,33 twice; over, kr 499: 200 → 8 316,67, 600 → 24 950,00
    assert [(row["count"], row["total"]) for row in rows] == [(3, Decimal("134633.33")), (2, Decimal("33266.67"))]
