"""The payment file and the voucher of an authorised month (issue 19, docs/payments.md «Betalingsfil og
bilag»): the file validates against ISO 20022's XSD, every amount matches the ledger, it is made once, and the
voucher balances."""

import csv
import io
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from core.workflow import Forbidden, ServiceError
from grants.models import PaymentLine, PaymentMonth
from grants.services import ledger
from payout import pain001, voucher
from payout.models import AccountString, PaymentFile
from payout.selectors import month_payout, paid_lines
from payout.services.payees import confirm_payee
from payout.services.payment_file import (
    PayeesToFix,
    create_payment_file,
    next_bank_day,
)
from payout.services.voucher import voucher_for
from tests import factories
from tests.factories_payout import MunicipalityAccountFactory, PayeeFactory
from tests.helpers import run_command
from tests.payout import month_scene
from tests.payout.month_scene import ANNA, BERIT, COMPANY_ORGNR, JUNE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "pain.001.001.03.xsd")))
NS = {"p": pain001.NAMESPACE}


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def validate(content: bytes) -> etree._Element:
    document = etree.fromstring(content)
    assert XSD.validate(document), XSD.error_log
    return document


@pytest.fixture
def scene(oslo, caseworker, caseworker2):
    return month_scene.build(oslo, caseworker, caseworker2, entered_by=caseworker)


@pytest.fixture
def confirmed(scene, caseworker2):
    confirm_payee(user=caseworker2, payee=scene["payees"]["berit"])
    return scene


# --- the pure builder ---------------------------------------------------------------------------------------


def test_a_built_file_validates_and_carries_counts_sums_and_accounts():
    content = pain001.build(
        message_id="FL0301202006T20200701120000", created_at=timezone.now().replace(microsecond=0),
        execution_date=date(2020, 7, 2), debtor=pain001.Debtor(name="Oslo", kontonummer="15030012345"),
        transfers=[pain001.Transfer("FL0301-202006-1", Decimal("0.10"), "A\x00 Lege", "86011117947", "x"),
                   pain001.Transfer("FL0301-202006-2", Decimal("0.20"), "B" * 300, "86011117947", "y" * 300,
                                    organisasjonsnummer=COMPANY_ORGNR)])
    document = validate(content)
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "0.30"  # exact, not 0.30000000000000004
    assert document.findtext(".//p:PmtInf/p:CtrlSum", namespaces=NS) == "0.30"
    assert document.find(".//p:GrpHdr/p:InitgPty/p:Id", NS) is None  # no organisasjonsnummer: no Id
    assert document.findtext(".//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=NS) == "NOTPROVIDED"
    names = [n.text for n in document.iterfind(".//p:Cdtr/p:Nm", NS)]
    assert names == ["A Lege", "B" * 70]
    assert len(document.findtext(".//p:CdtTrfTxInf[2]/p:RmtInf/p:Ustrd", namespaces=NS)) == 140
    with pytest.raises(ValueError):
        pain001.build(message_id="x", created_at=timezone.now(), execution_date=date(2020, 7, 2),
                      debtor=pain001.Debtor("Oslo", "15030012345"), transfers=[])


@pytest.mark.parametrize(("lists", "expected"), [
    (["100"], "Fastlegetilskudd juni 2022, liste 100: basis, grunntilskudd"),
    (["100", "101"], "Fastlegetilskudd juni 2022, liste 100, 101: basis, grunntilskudd"),
    ([], "Fastlegetilskudd juni 2022: basis, grunntilskudd"),
    ([str(n) for n in range(1000, 1030)], "Fastlegetilskudd juni 2022, 30 lister: basis, grunntilskudd"),
])
def test_the_remittance_text_names_month_lists_and_kinds_within_140(lists, expected):
    text = pain001.remittance("juni 2022", lists, ["basis_under", "basis_over", "grunntilskudd"])
    assert text == expected and len(text) <= 140


def test_next_bank_day_skips_weekends_and_norwegian_holidays():
    assert next_bank_day(date(2025, 4, 16)) == date(2025, 4, 22)  # påske: skjærtorsdag to 2. påskedag
    assert next_bank_day(date(2026, 5, 15)) == date(2026, 5, 18)  # Friday → Monday (17 May is a Sunday)
    assert next_bank_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert next_bank_day(date(2026, 5, 13)) == date(2026, 5, 15)  # Kristi himmelfartsdag 14 May 2026


# --- the issue's «Done when» --------------------------------------------------------------------------------


def test_from_an_authorised_month_to_the_bank_and_the_books(scene, oslo, caseworker, caseworker2, tmp_path):
    june = scene["month"]
    doctors = scene["doctors"]
    lines = PaymentLine.objects.filter(municipality=oslo, month=JUNE)
    assert lines.filter(kept_by_municipality=True, doctor=doctors["kept"]).exists()  # a kept line …
    korreksjon = lines.get(kind="korreksjon", doctor=doctors["carl"])
    assert korreksjon.amount < 0  # … and Carl's negative korreksjon

    # Berit's company account is pending: refused, with a line that names her and the fix
    with pytest.raises(PayeesToFix) as refused:
        create_payment_file(user=caseworker, payment_month=june, execution_date=tomorrow())
    assert refused.value.lines == ["Berit Lege (HPR 1000002): kontonummeret venter på bekreftelse – en annen "
                                   "saksbehandler må bekrefte kontonummeret."]
    assert not PaymentFile.objects.exists()
    with pytest.raises(ServiceError):  # who entered it cannot confirm it
        confirm_payee(user=caseworker, payee=scene["payees"]["berit"])
    confirm_payee(user=caseworker2, payee=scene["payees"]["berit"])

    started = time.perf_counter()
    outcome = create_payment_file(user=caseworker, payment_month=june, execution_date=tomorrow())
    print(f"\npayment file for a month: {(time.perf_counter() - started) * 1000:.1f} ms")
    payment_file = outcome.payment_file
    assert outcome.created and payment_file.created_by == caseworker
    assert [row.doctor for row in outcome.owing] == [doctors["carl"]]

    document = validate(bytes(payment_file.content))
    txs = document.findall(".//p:CdtTrfTxInf", NS)
    amounts = {tx.findtext("p:Cdtr/p:Nm", namespaces=NS): Decimal(tx.findtext("p:Amt/p:InstdAmt", namespaces=NS))
               for tx in txs}
    assert amounts == {"Anna Lege": ANNA, "Berit Lege AS": BERIT}  # Carl owes; the kept lines are not paid
    for doctor in (doctors["anna"], doctors["berit"]):  # every amount matches the ledger
        ledger_sum = sum(line.amount for line in paid_lines(oslo, JUNE).filter(doctor=doctor))
        assert ledger_sum in amounts.values()
    for path in ("p:GrpHdr", "p:PmtInf"):
        assert document.findtext(f".//{path}/p:NbOfTxs", namespaces=NS) == "2"
        assert Decimal(document.findtext(f".//{path}/p:CtrlSum", namespaces=NS)) == ANNA + BERIT
    assert (payment_file.transactions, payment_file.control_sum) == (2, ANNA + BERIT)
    assert document.findtext(".//p:InitgPty/p:Id/p:OrgId/p:Othr/p:Id", namespaces=NS) == "958935420"
    assert document.findtext(".//p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "DNBANOKKXXX"
    assert document.findtext(".//p:ReqdExctnDt", namespaces=NS) == tomorrow().isoformat()
    berit = next(tx for tx in txs if tx.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Berit Lege AS")
    assert berit.find("p:Amt/p:InstdAmt", NS).get("Ccy") == "NOK"
    assert berit.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == scene["payees"]["berit"].kontonummer
    assert berit.findtext("p:CdtrAcct/p:Id/p:Othr/p:SchmeNm/p:Cd", namespaces=NS) == "BBAN"
    assert berit.findtext("p:Cdtr/p:Id/p:OrgId/p:Othr/p:Id", namespaces=NS) == COMPANY_ORGNR
    assert berit.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == "FL0301-202006-1000002"
    assert berit.findtext("p:RmtInf/p:Ustrd", namespaces=NS) == "Fastlegetilskudd juni 2020, liste 101: basis"
    ids = [tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) for tx in txs]
    assert len(set(ids)) == 2 and all(len(i) <= 35 for i in ids)

    # asked again: the same bytes; another date gives a warning and changes nothing
    again = create_payment_file(user=caseworker2, payment_month=june, execution_date=tomorrow())
    assert (again.payment_file.pk, again.created, again.warning) == (payment_file.pk, False, "")
    later = create_payment_file(user=caseworker2, payment_month=june, execution_date=tomorrow() + timedelta(days=7))
    assert bytes(later.payment_file.content) == bytes(payment_file.content) and "gjelder fortsatt" in later.warning
    assert PaymentFile.objects.count() == 1

    # the month can no longer be reopened
    root = factories.UserFactory(is_superuser=True)
    with pytest.raises(ServiceError, match="betalingsfil"):
        ledger.reopen_month(payment_month=june, user=root, reason="Feil")
    assert PaymentMonth.objects.get(pk=june.pk).status == "closed"

    # the voucher: balances, the expense lines are the file's CtrlSum, dated the execution date
    AccountString.objects.create(municipality=oslo, kind="basis_over", art="370", ansvar="4100", funksjon="241",
                                 prosjekt="P7")
    rows = list(csv.reader(io.StringIO(voucher_for(user=caseworker, payment_month=june).content.decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[0] == voucher.COLUMNS
    expenses, contra = rows[1:-1], rows[-1]
    assert sum(Decimal(r[5]) for r in expenses) == payment_file.control_sum
    assert sum(Decimal(r[5]) for r in rows[1:]) == 0
    assert contra[1] == "2190" and contra[6].startswith("Motpost") and Decimal(contra[5]) == -(ANNA + BERIT)
    assert {r[0] for r in rows[1:]} == {tomorrow().isoformat()}
    assert [(r[7], r[8], r[9], r[1], r[2], r[3], r[4], r[5]) for r in expenses] == [
        ("Anna Lege", "", "1000001", "370", "", "241", "", "38466.67"),
        ("Berit Lege AS", COMPANY_ORGNR, "1000002", "370", "", "241", "", "48083.33"),
        ("Berit Lege AS", COMPANY_ORGNR, "1000002", "370", "4100", "241", "P7", "20791.67"),
    ]
    assert "1000003" not in {r[9] for r in rows} and "1000004" not in {r[9] for r in rows}  # owing, kept


def test_refusals(scene, oslo, caseworker, caseworker2, auditor, outsider):
    june = scene["month"]
    confirm_payee(user=caseworker2, payee=scene["payees"]["berit"])
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ServiceError, match="er passert") as past:
        create_payment_file(user=caseworker, payment_month=june, execution_date=yesterday)
    assert past.value.field == "execution_date"
    for user in (auditor, outsider, factories.member(oslo, "administrator")):
        with pytest.raises(Forbidden):
            create_payment_file(user=user, payment_month=june, execution_date=tomorrow())
    with pytest.raises(ServiceError, match="Lag betalingsfilen først"):
        voucher_for(user=caseworker, payment_month=june)
    # today is allowed
    assert create_payment_file(user=caseworker, payment_month=june, execution_date=timezone.localdate()).created
    with pytest.raises(Forbidden):
        voucher_for(user=outsider, payment_month=june)
    assert voucher_for(user=auditor, payment_month=june).expense_lines == 3


def test_a_month_not_authorised_is_refused(oslo, caseworker, caseworker2):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=800)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    june = PaymentMonth.objects.get(municipality=oslo, month=JUNE)
    for step in (None, ledger.attest_month):
        if step:
            june = step(payment_month=june, user=caseworker)
        with pytest.raises(ServiceError, match="Måneden er ikke anvist"):
            create_payment_file(user=caseworker2, payment_month=june, execution_date=tomorrow())


def test_a_missing_payee_is_named_and_nothing_to_pay_makes_no_file(scene, oslo, caseworker, caseworker2):
    june = scene["month"]
    scene["payees"]["anna"].delete()
    with pytest.raises(PayeesToFix) as refused:
        create_payment_file(user=caseworker, payment_month=june, execution_date=tomorrow())
    assert [row.doctor.name for row in refused.value.payees] == ["Anna Lege", "Berit Lege"]
    assert "Anna Lege (HPR 1000001): mangler utbetalingsmottaker – registrer mottaker" in refused.value.lines[0]
    # a month where every payee owes: no transactions, no file
    PaymentLine.objects.filter(municipality=oslo, month=JUNE).exclude(kind="korreksjon").update(
        kept_by_municipality=True)
    outcome = create_payment_file(user=caseworker, payment_month=june, execution_date=tomorrow())
    assert outcome.payment_file is None and [r.doctor.name for r in outcome.owing] == ["Carl Lege"]
    assert not PaymentFile.objects.exists()


def test_the_payees_valid_on_the_first_day_are_paid(confirmed, oslo, caseworker):
    """A payee from 2 June is not June's payee; one from 1 June is (payout.selectors.payees_on)."""
    anna = confirmed["doctors"]["anna"]
    PayeeFactory(municipality=oslo, doctor=anna, name="Anna Lege AS (fra 2. juni)", valid_from=date(2020, 6, 2))
    PayeeFactory(municipality=oslo, doctor=anna, name="Anna Lege AS", valid_from=date(2020, 6, 1),
                 organisasjonsnummer=COMPANY_ORGNR)
    payout = month_payout(oslo, JUNE)
    assert [row.payee.name for row in payout.to_pay] == ["Anna Lege AS", "Berit Lege AS"]


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_make_one_file(oslo, caseworker, caseworker2):
    scene = month_scene.build(oslo, caseworker, caseworker2)
    june = scene["month"]
    outcomes, errors = [], []

    def click():
        try:
            outcomes.append(create_payment_file(user=caseworker, payment_month=june, execution_date=tomorrow()))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    PaymentFile.objects.all().delete()
    confirm_payee(user=caseworker2, payee=scene["payees"]["berit"])
    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(o.created for o in outcomes) == [False, True]
    assert PaymentFile.objects.count() == 1


def test_the_query_count_is_constant(confirmed, caseworker, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        create_payment_file(user=caseworker, payment_month=confirmed["month"], execution_date=tomorrow())
    with django_assert_max_num_queries(8):
        voucher_for(user=caseworker, payment_month=confirmed["month"])


# --- the commands (docs/payments.md «Commands») -----------------------------------------------------------


def run(*args):
    """(exit code, stdout lines, stderr lines) of a command."""
    code, out, err = run_command(*args)
    return code, out.strip().splitlines(), err.strip().splitlines()


def test_the_commands(scene, caseworker2, tmp_path):
    target, sheet = tmp_path / "juni.xml", tmp_path / "bilag.csv"
    args = ["--month", "2020-06", "--municipality", "0301", "--output"]
    date_args = ["--execution-date", tomorrow().isoformat()]
    code, out, err = run("export_voucher", *args, str(sheet))
    assert code == 1 and "Lag betalingsfilen først" in err[0] and not sheet.exists()
    code, out, err = run("export_payout", *args, str(target), *date_args)
    assert code == 1 and err == ["Berit Lege (HPR 1000002): kontonummeret venter på bekreftelse – en annen "
                                 "saksbehandler må bekrefte kontonummeret."] and not target.exists()
    code, out, err = run("export_payout", *args, str(target), "--execution-date", "2020-07-01")
    assert code == 1 and "er passert" in err[0]
    code, out, err = run("export_payout", "--month", "2020-07", "--municipality", "0301", "--output", str(target),
                         *date_args)
    assert code == 1 and "Måneden er ikke anvist" in err[0]
    confirm_payee(user=caseworker2, payee=scene["payees"]["berit"])
    code, out, err = run("export_payout", *args, str(target), *date_args)
    assert code == 0 and out[-1] == f"transaksjoner 2, sum {ANNA + BERIT:.2f}", out
    assert any("Carl Lege" in line for line in out[:-1])  # owing
    validate(target.read_bytes())
    assert PaymentFile.objects.get().created_by is None  # the system, as commands without --user run
    first = target.read_bytes()
    code, out, err = run("export_payout", *args, str(target), "--execution-date",
                         (tomorrow() + timedelta(days=3)).isoformat())
    assert code == 0 and out[0].startswith("Advarsel: ") and target.read_bytes() == first
    code, out, err = run("export_voucher", *args, str(sheet))
    assert code == 0 and out[-1] == f"utgiftslinjer 3, sum {ANNA + BERIT:.2f}, motpost -{ANNA + BERIT:.2f}"
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbfbilagsdato;art;ansvar;funksjon;prosjekt;belop;tekst;")
    assert b"\r" not in sheet.read_bytes()
    for bad in (["--month", "2020-13"], ["--municipality", "9999"]):
        code, _, _ = run("export_voucher", *args, str(sheet), *bad)
        assert code == 1


def test_a_month_with_nobody_to_pay_writes_no_file_and_exits_0(oslo, caseworker, caseworker2, tmp_path):
    kept = factories.ListHolderFactory(patient_list__practice__municipality=oslo, driftsform="fastlonnet")
    factories.ListCountFactory(patient_list=kept.patient_list, month=JUNE, antall_pasienter=800)  # only kept lines
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    month_scene.authorise(oslo, JUNE, caseworker, caseworker2)
    MunicipalityAccountFactory(municipality=oslo)
    target = tmp_path / "juni.xml"
    code, out, _ = run("export_payout", "--month", "2020-06", "--municipality", "0301", "--output", str(target),
                       "--execution-date", tomorrow().isoformat())
    assert code == 0 and out[-1] == "transaksjoner 0, sum 0.00" and not target.exists()


# --- the month page -----------------------------------------------------------------------------------------


def test_the_month_page_makes_and_serves_the_file(client, scene, caseworker, caseworker2, auditor):
    june_url = reverse("grants:payment_month", args=["0301", "2020-06"])
    client.force_login(caseworker)
    page = client.get(june_url).content.decode()
    assert 'data-testid="payment-section"' in page and 'data-testid="payees-to-fix"' in page
    assert "Berit Lege (HPR 1000002)" in page and 'data-testid="payees-owing"' in page and "Carl Lege" in page
    berit = scene["payees"]["berit"]
    assert f'href="{reverse("payout:payee_detail", args=[berit.pk])}"' in page  # the link to confirm the account
    assert next_bank_day(timezone.localdate()).strftime("%d.%m.%Y") in page  # the default execution date
    create = reverse("payout:payment_file_create", args=["0301", "2020-06"])
    response = client.post(create, {"execution_date": tomorrow().strftime("%d.%m.%Y")}, follow=True)
    assert "Berit Lege" in response.content.decode() and not PaymentFile.objects.exists()
    confirm_payee(user=caseworker2, payee=scene["payees"]["berit"])
    response = client.post(create, {"execution_date": "01.01.2020"}, follow=True)
    assert "er passert" in response.content.decode()
    response = client.post(create, {"execution_date": "ikke en dato"}, follow=True)
    assert not PaymentFile.objects.exists()
    response = client.post(create, {"execution_date": tomorrow().strftime("%d.%m.%Y")})
    assert response.status_code == 302 and response["Location"].endswith("#betaling")
    payment_file = PaymentFile.objects.get()
    client.force_login(auditor)  # anyone who sees the month downloads; only a caseworker makes the file
    assert client.post(create, {"execution_date": tomorrow().strftime("%d.%m.%Y")}).status_code == 403
    page = client.get(june_url).content.decode()
    assert payment_file.sha256[:12] in page and 'data-testid="payees-owing"' in page
    download = client.get(reverse("payout:payment_file_download", args=["0301", "2020-06"]))
    assert download.content == bytes(payment_file.content)
    assert download["Content-Disposition"] == 'attachment; filename="betalingsfil-0301-2020-06.xml"'
    sheet = client.get(reverse("payout:voucher_download", args=["0301", "2020-06"]))
    assert sheet["Content-Type"].startswith("text/csv") and b"Motpost" in sheet.content
    root = factories.UserFactory(is_superuser=True)
    client.force_login(root)
    assert 'data-testid="reopen-reason"' in client.get(june_url).content.decode()


def test_other_months_and_other_municipalities(client, scene, caseworker, outsider):
    client.force_login(caseworker)
    may = client.get(reverse("grants:payment_month", args=["0301", "2020-07"])).content.decode()
    assert 'data-testid="payment-section"' not in may  # not computed, so not authorised
    assert client.get(reverse("payout:payment_file_download", args=["0301", "2020-06"])).status_code == 404
    response = client.get(reverse("payout:voucher_download", args=["0301", "2020-06"]), follow=True)
    assert "Lag betalingsfilen først" in response.content.decode()
    client.force_login(outsider)
    for name in ("payout:payment_file_download", "payout:voucher_download"):
        assert client.get(reverse(name, args=["0301", "2020-06"])).status_code == 404
    assert client.post(reverse("payout:payment_file_create", args=["0301", "2020-06"]),
                       {"execution_date": tomorrow().isoformat()}).status_code == 404


def test_the_page_links_to_each_fix(client, scene, oslo, caseworker):
    from payout.models import MunicipalityAccount

    scene["payees"]["anna"].delete()
    MunicipalityAccount.objects.filter(municipality=oslo).delete()
    client.force_login(caseworker)
    page = client.get(reverse("grants:payment_month", args=["0301", "2020-06"])).content.decode()
    assert f'href="{reverse("payout:payee_create")}?lege=1000001"' in page
    assert "Kommunens eget kontonummer mangler" in page and f'href="{reverse("payout:settings")}"' in page
    with pytest.raises(ServiceError, match="Kommunens eget kontonummer mangler"):
        create_payment_file(user=caseworker, payment_month=scene["month"], execution_date=tomorrow())
