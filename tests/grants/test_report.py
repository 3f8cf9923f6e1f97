"""The report page: payments by kind and month, active cases, supervision hours; exports; scope."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from grants.services import ledger
from tests import factories

pytestmark = pytest.mark.django_db


def test_report_sums_months_and_exports(client, oslo, auditor, outsider):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    for month, n in ((date(2020, 4, 1), 1500), (date(2020, 6, 1), 1500)):
        factories.ListCountFactory(patient_list=holder.patient_list, month=month, antall_pasienter=n)
        ledger.recompute_month(municipality_id=oslo.pk, month=month)
    client.force_login(auditor)
    response = client.get(reverse("grants:report"), {"fra": "2020-04", "til": "2020-06"})
    rows = response.context["rows"]
    assert [r["maaned"] for r in rows] == [date(2020, 4, 1), date(2020, 5, 1), date(2020, 6, 1)]
    assert rows[0]["basis"] == Decimal("62375.00") and rows[2]["basis_over"] == Decimal("20791.67")
    assert response.context["totals"]["sum"] == Decimal("131250.00")  # 62 375,00 + 48 083,33 + 20 791,67
    body = client.get(reverse("grants:report"), {"fra": "2020-04", "til": "2020-06", "format": "csv"}).content
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("maaned;basis;basis_under;basis_over;grunntilskudd") and lines[1].startswith(
        "2020-04;62375.00;0.00")
    xlsx = client.get(reverse("grants:report"), {"fra": "2020-04", "til": "2020-06", "format": "xlsx"}).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert sheet.max_row == 5 and sheet["A5"].value == "Sum" and sheet["B1"].value == "Basistilskudd"
    assert sheet["B5"].value == pytest.approx(62375.00) and sheet["B2"].number_format == '#,##0.00\\ "kr"'
    client.force_login(outsider)  # another municipality's administrator sees their own (empty) report
    assert client.get(reverse("grants:report"), {"fra": "2020-04", "til": "2020-06"}).context["totals"]["sum"] == 0


def test_report_query_count_does_not_grow_with_the_period(client, oslo, auditor, django_assert_max_num_queries):
    client.force_login(auditor)
    with django_assert_max_num_queries(20) as short:
        assert client.get(reverse("grants:report"), {"fra": "2020-01", "til": "2020-03"}).status_code == 200
    with django_assert_max_num_queries(len(short.captured_queries)):
        assert client.get(reverse("grants:report"), {"fra": "2020-01", "til": "2023-12"}).status_code == 200


def test_report_opens_on_the_latest_month_with_data_and_says_when_a_period_has_none(client, oslo, auditor):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2022, 6, 1), antall_pasienter=1500)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2022, 6, 1))
    client.force_login(auditor)
    response = client.get(reverse("grants:report"))
    assert (response.context["first"], response.context["last"]) == (date(2022, 1, 1), date(2022, 6, 1))
    assert not response.context["empty"] and response.context["totals"]["sum"] == Decimal("76333.34")
    body = response.content.decode()
    assert "juni 2022" in body and body.count("ikke beregnet") == 5  # January to May have no payment month
    response = client.get(reverse("grants:report"), {"fra": "2026-01", "til": "2026-03"})
    assert response.context["empty"]
    assert "Ingen måned fra januar 2026 til mars 2026 er beregnet for kommunen." in response.content.decode()
    assert "Siste måned med data er juni 2022." in response.content.decode()
