"""Utjamning while its parameter is an estimate is a control calculation (docs/rates.md «6. Utjamningstilskudd»,
docs/payments.md «Betalingsfil og bilag»): on the month page, in the line export and in the statements, but not in the
payment file nor the voucher. Once the row is bekreftet it is paid."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.models import PaymentMonth, UtjamningParameter
from grants.services import ledger
from payout import pain001
from payout.selectors import month_payout, paid_lines
from payout.services.payment_file import create_payment_file
from payout.services.voucher import voucher_for
from payout.statement import yearly_statement
from practices.models import Municipality, Population
from tests import factories
from tests.factories_payout import MunicipalityAccountFactory, PayeeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
AUGUST = date(2023, 8, 1)
UTJAMNING = Decimal("30690.63")


def basis(n):
    return (Decimal(n) * Decimal("841.80") / 12).quantize(Decimal("0.01"))


@pytest.fixture
def bindal_august():
    """§5a's worked example in Bindal, August 2023, authorised; the three næringsdrivende doctors have payees."""
    bindal = Municipality.objects.get(kommunenummer="1811")
    first, second = factories.member(bindal, "caseworker"), factories.member(bindal, "caseworker")
    Population.objects.create(municipality=bindal, year=2023, inhabitants=1412)
    practice = factories.PracticeFactory(municipality=bindal)
    holders = []
    for number, (n, driftsform) in enumerate(((700, "naeringsdrivende"), (900, "naeringsdrivende"),
                                              (850, "naeringsdrivende"), (600, "fastlonnet")), start=1):
        holder = factories.ListHolderFactory(patient_list__practice=practice, patient_list__listenummer=str(number),
                                             driftsform=driftsform)
        factories.ListCountFactory(patient_list=holder.patient_list, month=AUGUST, antall_pasienter=n)
        holders.append(holder)
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    month = PaymentMonth.objects.get(municipality=bindal, month=AUGUST)
    month = ledger.authorise_month(payment_month=ledger.attest_month(payment_month=month, user=first), user=second)
    MunicipalityAccountFactory(municipality=bindal)
    for holder in holders[:3]:
        PayeeFactory(municipality=bindal, doctor=holder.doctor, name=holder.doctor.name)
    return {"municipality": bindal, "month": month, "user": first, "holders": holders}


def test_the_payment_file_and_the_voucher_leave_the_control_calculation_out(bindal_august):
    bindal, month, user = bindal_august["municipality"], bindal_august["month"], bindal_august["user"]
    assert paid_lines(bindal, AUGUST).filter(kind="utjamning").count() == 0
    expected = basis(700) + basis(900) + basis(850)
    assert month_payout(bindal, AUGUST).control_sum == expected
    payment_file = create_payment_file(user=user, payment_month=month,
                                       execution_date=timezone.localdate() + timedelta(days=1)).payment_file
    summary = pain001.read(bytes(payment_file.content))
    assert sum(t.amount for t in summary.transfers) == expected
    assert "utjamning" not in bytes(payment_file.content).decode()
    rows = list(csv.reader(io.StringIO(voucher_for(user=user, payment_month=month).content.decode("utf-8-sig")),
                           delimiter=";"))
    assert sum(Decimal(r[5]) for r in rows[1:-1]) == expected
    assert not any("Utjamning" in r[6] for r in rows[1:])


def test_the_export_and_the_statements_show_it_marked(client, bindal_august):
    bindal, user, holders = bindal_august["municipality"], bindal_august["user"], bindal_august["holders"]
    client.force_login(user)
    export = client.get(reverse("grants:export_lines", args=["1811", "2023-08", "csv"])).content.decode("utf-8-sig")
    rows = [row for row in csv.DictReader(io.StringIO(export), delimiter=";") if row["type"] == "utjamning"]
    assert [(r["listenummer"], r["antall"], r["sats"], r["belop"]) for r in rows] == [
        (str(n), "437.5", "841.80", "30690.63") for n in (1, 2, 3)]
    page = client.get(reverse("grants:statement", args=["1811", "2023-08", holders[0].doctor.hpr_nummer]))
    assert "kontrollberegning – ikke utbetalt" in page.content.decode()
    assert page.context["total"] == basis(700)
    statement = yearly_statement(municipality=bindal, hpr=holders[0].doctor.hpr_nummer, year=2023)
    assert ("kontrollberegning", "Utjamningstilskudd (kontrollberegning, ikke utbetalt)") in [
        (code, str(label)) for code, label in statement.kinds]
    assert statement.total == basis(700)


def test_a_confirmed_parameter_is_paid(bindal_august):
    bindal = bindal_august["municipality"]
    UtjamningParameter.objects.filter(valid_from=date(2023, 7, 1)).update(status="bekreftet")
    PaymentMonth.objects.filter(pk=bindal_august["month"].pk).update(status="open")
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)
    assert month_payout(bindal, AUGUST).control_sum == basis(700) + basis(900) + basis(850) + 3 * UTJAMNING
