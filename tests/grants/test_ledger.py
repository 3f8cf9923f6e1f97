"""The monthly ledger (docs/payments.md): hand-checked amounts, idempotency, locking, corrections, closing."""

import csv
import io
import threading
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q, Sum

from core.workflow import ServiceError
from grants.models import PaymentLine, PaymentMonth, RateSchedule
from grants.services import ledger
from practices.models import ListCount, Municipality
from practices.services.list_import import import_file
from tests import factories
from tests.helpers import DATA

pytestmark = pytest.mark.django_db
JUNE, APRIL = date(2020, 6, 1), date(2020, 4, 1)


def kr(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hand_lines(month: str):
    """docs/payments.md by hand for the sample file: flat 499 before May 2020, knekkpunkt 1 000 with 577/499 after."""
    expected = []
    for row in csv.DictReader((DATA / "lister_eksempel.csv").open(encoding="utf-8"), delimiter=";"):
        if row["maaned"] != month:
            continue
        n = int(row["antall_pasienter"])
        key = (row["kommunenummer"], row["listenummer"], row["hpr_nummer"], month)
        if month < "2020-05":
            expected.append((*key, "basis", str(n), "499.00", f"{kr(Decimal(n) * 499 / 12)}"))
        else:
            expected.append((*key, "basis_under", str(min(n, 1000)), "577.00",
                             f"{kr(Decimal(min(n, 1000)) * 577 / 12)}"))
            if n > 1000:
                expected.append((*key, "basis_over", str(n - 1000), "499.00", f"{kr(Decimal(n - 1000) * 499 / 12)}"))
    return sorted(expected)


def export(tmp_path, month, **kwargs) -> list[dict]:
    target = tmp_path / "ut.csv"
    call_command("export_payments", "--month", month, "--format", "csv", "--output", str(target),
                 stdout=io.StringIO(), **kwargs)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def sample():
    import_file(user=None, data=(DATA / "lister_eksempel.csv").read_bytes(), filename="x.csv", dry_run=False)


def test_sample_file_recompute_and_export_match_a_hand_calculation(sample, tmp_path):
    for month in ("2020-04", "2020-06"):
        out = io.StringIO()
        call_command("recompute_payments", "--month", month, stdout=out)
        lines = out.getvalue().strip().splitlines()
        assert [line.split(":")[0] for line in lines] == [f"{k} {month}" for k in ("0301", "1804", "4601", "5001")]
        rows = export(tmp_path, month)
        got = sorted((r["kommunenummer"], r["listenummer"], r["hpr_nummer"], r["maaned"], r["type"], r["antall"],
                      r["sats"], r["belop"]) for r in rows)
        assert got == hand_lines(month)
        assert {r["mottaker"] for r in rows} == {"lege"}
        total = sum(Decimal(r["belop"]) for r in rows if r["kommunenummer"] == "0301")
        assert f"0301 {month}: linjer {sum(r['kommunenummer'] == '0301' for r in rows)}, sum {total:.2f}, " \
               f"mangler listetall 0" == lines[0]


def test_export_order_and_explanations(sample, tmp_path):
    ledger.recompute_month(municipality_id=Municipality.objects.get(kommunenummer="0301").pk, month=JUNE)
    rows = export(tmp_path, "2020-06", municipality="0301")
    keys = [(r["kommunenummer"], r["listenummer"], r["hpr_nummer"], r["type"]) for r in rows]
    assert keys == sorted(keys)
    assert list(rows[0]) == ["kommunenummer", "listenummer", "hpr_nummer", "maaned", "type", "antall", "sats",
                             "belop", "forklaring", "mottaker"]
    assert "× kr 577 / 12 (under knekkpunkt 1\xa0000)" in rows[0]["forklaring"]


def test_export_with_no_lines_is_a_header_only(tmp_path):
    target = tmp_path / "tom.csv"
    call_command("export_payments", "--month", "2019-01", "--format", "csv", "--output", str(target),
                 stdout=io.StringIO())
    assert target.read_bytes() == ("\ufeffkommunenummer;listenummer;hpr_nummer;maaned;type;antall;sats;belop;"
                                   "forklaring;mottaker\n").encode()


@pytest.mark.parametrize("args", [["--month", "2020-6", "--format", "csv"], ["--month", "2020-06", "--format",
                                  "pdf"], ["--month", "2020-06", "--format", "csv", "--municipality", "9999"]])
def test_export_bad_arguments_exit_1(tmp_path, args):
    from django.core.management.base import CommandError

    with pytest.raises((CommandError, SystemExit)):
        call_command("export_payments", *args, "--output", str(tmp_path / "x.csv"), stdout=io.StringIO())


def test_xlsx_export_has_numbers_and_escaped_formulas(tmp_path):
    import openpyxl

    patient_list = factories.PatientListFactory(practice__name="=HYPERLINK(\"http://x\")")
    factories.ListHolderFactory(patient_list=patient_list, doctor__name="@evil")
    factories.ListCountFactory(patient_list=patient_list, month=JUNE, antall_pasienter=800)
    ledger.recompute_month(municipality_id=patient_list.municipality_id, month=JUNE)
    line = PaymentLine.objects.get()
    line.explanation = "=1+1"
    line.save()
    target = tmp_path / "ut.xlsx"
    call_command("export_payments", "--month", "2020-06", "--format", "xlsx", "--output", str(target),
                 stdout=io.StringIO())
    sheet = openpyxl.load_workbook(target).active
    header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert header[7] == "Beløp" and row[7] == pytest.approx(38466.67) and not isinstance(row[7], str)
    assert row[8] == "'=1+1"


def test_worked_examples_of_spec_section_5(tmp_path):
    cases = [(JUNE, 800, 1000, {"basis_under": "38466.67"}),
             (JUNE, 1500, 2000, {"basis_under": "48083.33", "basis_over": "20791.67"}),
             (APRIL, 1500, 2000, {"basis": "62375.00"}),
             (date(2022, 8, 1), 2600, 2500, {"basis_under": "56250.00", "basis_over": "68000.00"})]
    for month, n, listetak, expected in cases:
        PaymentLine.objects.all().delete()
        ListCount.objects.all().delete()
        patient_list = factories.PatientListFactory(listetak=listetak)
        factories.ListHolderFactory(patient_list=patient_list)
        factories.ListCountFactory(patient_list=patient_list, month=month, antall_pasienter=n, listetak=listetak)
        ledger.recompute_month(municipality_id=patient_list.municipality_id, month=month)
        assert {line.kind: str(line.amount) for line in PaymentLine.objects.all()} == expected


def test_behovsindeks_and_estimate_flag():
    patient_list = factories.PatientListFactory()
    factories.ListHolderFactory(patient_list=patient_list)
    factories.ListCountFactory(patient_list=patient_list, month=date(2023, 8, 1), antall_pasienter=1000,
                               behovsindeks=Decimal("1.1000"))
    factories.ListCountFactory(patient_list=patient_list, month=date(2023, 5, 1), antall_pasienter=1000)
    ledger.recompute_month(municipality_id=patient_list.municipality_id, month=date(2023, 8, 1))
    ledger.recompute_month(municipality_id=patient_list.municipality_id, month=date(2023, 5, 1))
    august, may = PaymentLine.objects.get(month=date(2023, 8, 1)), PaymentLine.objects.get(month=date(2023, 5, 1))
    assert (august.kind, august.amount, august.estimate) == ("basis", Decimal("77165.00"), False)
    assert (may.amount, may.estimate) == (Decimal("65585.00"), True)
    assert PaymentMonth.objects.get(month=date(2023, 5, 1)).uses_estimate


def test_fastlonnet_and_ubesatt_lists_are_kept_by_the_municipality(tmp_path):
    salaried = factories.ListHolderFactory(driftsform="fastlonnet")
    vacant = factories.ListHolderFactory(driftsform="ubesatt", doctor=None,
                                         patient_list__practice=salaried.patient_list.practice)
    for holder in (salaried, vacant):
        factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=800)
    ledger.recompute_month(municipality_id=salaried.patient_list.municipality_id, month=JUNE)
    rows = {r["listenummer"]: r for r in export(tmp_path, "2020-06")}
    assert rows[salaried.patient_list.listenummer]["mottaker"] == "kommune"
    assert rows[salaried.patient_list.listenummer]["hpr_nummer"] == salaried.doctor.hpr_nummer
    assert rows[vacant.patient_list.listenummer]["hpr_nummer"] == ""
    assert rows[vacant.patient_list.listenummer]["forklaring"].endswith("– beholdes av kommunen")


def test_missing_counts_are_reported():
    patient_list = factories.PatientListFactory()
    factories.ListHolderFactory(patient_list=patient_list)
    factories.ListCountFactory(patient_list=patient_list, month=date(2020, 5, 1))
    outcome = ledger.recompute_month(municipality_id=patient_list.municipality_id, month=JUNE)
    assert (outcome.lines, outcome.missing) == (0, 1)
    assert PaymentMonth.objects.get(month=JUNE).missing_counts == [
        {"id": patient_list.pk, "listenummer": patient_list.listenummer}]


def test_recompute_is_idempotent_and_replaces_only_computed_lines(sample):
    oslo = Municipality.objects.get(kommunenummer="0301")
    first = ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    ids = set(PaymentLine.objects.values_list("pk", flat=True))
    second = ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    assert (first.total, first.lines) == (second.total, second.lines) and not second.changed
    assert set(PaymentLine.objects.values_list("pk", flat=True)) == ids  # nothing rewritten
    ListCount.objects.filter(patient_list__municipality=oslo, month=JUNE).update(antall_pasienter=1200)
    third = ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    assert third.changed and third.total != first.total


def test_a_recompute_that_fails_half_way_leaves_the_previous_lines(sample, monkeypatch):
    oslo = Municipality.objects.get(kommunenummer="0301")
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    before = sorted(PaymentLine.objects.values_list("patient_list_id", "kind", "amount"))
    ListCount.objects.filter(month=JUNE).update(antall_pasienter=1200)

    insert_lines = ledger._insert_lines

    def boom(values):  # the new lines are written set-based (COPY): half of them, then the disk is full
        insert_lines(values[: len(values) // 2])
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "_insert_lines", boom)
    with pytest.raises(RuntimeError):
        ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    assert sorted(PaymentLine.objects.values_list("patient_list_id", "kind", "amount")) == before


@pytest.mark.postgres  # SQLite splits bulk inserts into batches of 999 variables
def test_query_count_of_recompute_is_constant_in_the_number_of_lists(django_assert_max_num_queries):
    oslo = Municipality.objects.get(kommunenummer="0301")
    practice = factories.PracticeFactory(municipality=oslo)

    def add_lists(count):
        for _ in range(count):
            holder = factories.ListHolderFactory(patient_list__practice=practice)
            factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=1200)

    add_lists(2)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)  # creates the PaymentMonth
    ListCount.objects.update(antall_pasienter=1300)  # so that the measured runs rewrite their lines
    with django_assert_max_num_queries(30) as small:
        ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    add_lists(40)
    ListCount.objects.update(antall_pasienter=1400)
    with django_assert_max_num_queries(len(small.captured_queries)) as big:
        ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    assert PaymentLine.objects.count() == 84
    assert len(big.captured_queries) == len(small.captured_queries)


def close(payment_month, first, second):
    ledger.attest_month(payment_month=payment_month, user=first)
    return ledger.authorise_month(payment_month=PaymentMonth.objects.get(pk=payment_month.pk), user=second)


def test_attest_and_authorise_need_two_different_caseworkers(oslo, caseworker, caseworker2, administrator):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    payment_month = PaymentMonth.objects.get(month=JUNE)
    with pytest.raises(ServiceError, match="Bare saksbehandlere"):
        ledger.attest_month(payment_month=payment_month, user=administrator)
    attested = ledger.attest_month(payment_month=payment_month, user=caseworker)
    with pytest.raises(ServiceError, match="annen saksbehandler"):
        ledger.authorise_month(payment_month=attested, user=caseworker)
    closed = ledger.authorise_month(payment_month=attested, user=caseworker2)
    assert closed.status == "closed" and closed.attested_by == caseworker and closed.authorised_by == caseworker2
    with pytest.raises(ServiceError, match="superbruker"):
        ledger.reopen_month(payment_month=closed, user=caseworker, reason="feil")
    root = factories.UserFactory(username="root", is_superuser=True)
    with pytest.raises(ServiceError, match="begrunnelse"):
        ledger.reopen_month(payment_month=closed, user=root, reason=" ")
    reopened = ledger.reopen_month(payment_month=closed, user=root, reason="Feil listetall fra Helfo")
    assert reopened.status == "open"
    assert reopened.history.first().history_change_reason == "Gjenåpnet av root: Feil listetall fra Helfo"


def test_closed_month_changes_are_booked_once_as_corrections(oslo, caseworker, caseworker2):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    count = factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=800)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    close(PaymentMonth.objects.get(month=JUNE), caseworker, caseworker2)
    frozen = list(PaymentLine.objects.filter(month=JUNE).values_list("pk", "amount"))

    count.antall_pasienter = 1200  # an import of a closed month: accepted, corrected on the next recompute
    count.save()
    outcome = ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    assert outcome.corrections == 2
    assert list(PaymentLine.objects.filter(month=JUNE).values_list("pk", "amount")) == frozen
    july = PaymentLine.objects.filter(month=date(2020, 7, 1), kind="korreksjon").order_by("corrected_kind")
    assert [(c.corrected_kind, c.amount) for c in july] == [
        ("basis_over", Decimal("8316.67")), ("basis_under", Decimal("9616.66"))]
    assert july[1].explanation == ("Korreksjon for 2020-06: basistilskudd under knekkpunkt endret fra "
                                   "38\xa0466,67 kr til 48\xa0083,33 kr")
    assert ledger.recompute_month(municipality_id=oslo.pk, month=JUNE).corrections == 0
    # the July recompute keeps the booked corrections
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 7, 1))
    assert PaymentLine.objects.filter(month=date(2020, 7, 1), kind="korreksjon").count() == 2

    # a rate change for the closed month is booked the same way, once
    RateSchedule.objects.filter(valid_from=date(2020, 5, 1)).update(rate_under=Decimal("600"))
    assert ledger.recompute_month(municipality_id=oslo.pk, month=JUNE).corrections == 1
    assert ledger.recompute_month(municipality_id=oslo.pk, month=JUNE).corrections == 0
    total = PaymentLine.objects.filter(Q(kind="basis_under") | Q(corrected_kind="basis_under")).aggregate(
        s=Sum("amount"))["s"]
    assert total == Decimal("50000.00")  # 1 000 × 600 / 12, closed + corrections


def test_corrections_skip_closed_months_and_withdraw_an_attestation(oslo, caseworker, caseworker2):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    count = factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=800)
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 7, 1), antall_pasienter=800)
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 8, 1), antall_pasienter=800)
    for month in (JUNE, date(2020, 7, 1), date(2020, 8, 1)):
        ledger.recompute_month(municipality_id=oslo.pk, month=month)
    close(PaymentMonth.objects.get(month=JUNE), caseworker, caseworker2)
    close(PaymentMonth.objects.get(month=date(2020, 7, 1)), caseworker, caseworker2)
    ledger.attest_month(payment_month=PaymentMonth.objects.get(month=date(2020, 8, 1)), user=caseworker)
    count.antall_pasienter = 900
    count.save()
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    correction = PaymentLine.objects.get(kind="korreksjon")
    assert (correction.month, correction.amount) == (date(2020, 8, 1), Decimal("4808.33"))
    august = PaymentMonth.objects.get(month=date(2020, 8, 1))
    assert august.status == "open" and august.attested_by is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_recompute_twice_at_the_same_time_gives_the_same_ledger():
    import_file(user=None, data=(DATA / "lister_eksempel.csv").read_bytes(), filename="x.csv", dry_run=False)
    oslo = Municipality.objects.get(kommunenummer="0301")
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    oslo_lines = PaymentLine.objects.filter(municipality=oslo, month=JUNE)
    expected = sorted(oslo_lines.values_list("patient_list_id", "kind", "amount"))
    PaymentLine.objects.all().delete()
    PaymentMonth.objects.all().delete()
    errors, barrier = [], threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(oslo_lines.values_list("patient_list_id", "kind", "amount")) == expected
    assert PaymentMonth.objects.filter(municipality=oslo, month=JUNE).count() == 1


def test_an_import_into_a_closed_month_warns_and_the_recompute_books_corrections_once(caseworker, caseworker2):
    import_file(user=None, data=(DATA / "lister_eksempel.csv").read_bytes(), filename="x.csv", dry_run=False)
    oslo = Municipality.objects.get(kommunenummer="0301")
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    close(PaymentMonth.objects.get(municipality=oslo, month=JUNE), caseworker, caseworker2)
    changed = (DATA / "lister_eksempel.csv").read_bytes().replace(b";642;2020-06", b";700;2020-06")
    job = import_file(user=None, data=changed, filename="y.csv", dry_run=False)
    assert (job.status, job.changed) == ("done", 1)
    assert job.warnings == ["Listetallene for 0301 2020-06 endres, men utbetalingsmåneden er lukket. Differansen "
                            "bokføres som korreksjon i neste åpne måned ved neste beregning."]
    assert ledger.recompute_month(municipality_id=oslo.pk, month=JUNE).corrections == 1
    assert ledger.recompute_month(municipality_id=oslo.pk, month=JUNE).corrections == 0
    correction = PaymentLine.objects.get(kind="korreksjon")
    assert (correction.month, correction.amount) == (date(2020, 7, 1), kr(Decimal(58) * 577 / 12))


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_the_same_run_delivered_twice_through_the_worker_gives_one_ledger(celery_worker):
    from grants.models import PaymentRun
    from grants.tasks import recompute_month_task
    from tests.conftest import wait_until

    holder = factories.ListHolderFactory()
    factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=1500)
    municipality = holder.patient_list.municipality
    run = PaymentRun.objects.create(municipality=municipality, month=JUNE)
    other = PaymentRun.objects.create(municipality=municipality, month=JUNE)
    results = [recompute_month_task.delay(run.pk), recompute_month_task.delay(run.pk),
               recompute_month_task.delay(other.pk)]
    for result in results:
        result.get(timeout=60)
    wait_until(lambda: PaymentRun.objects.filter(status="done").count() == 2)
    assert sorted(PaymentLine.objects.values_list("kind", "amount")) == [
        ("basis_over", Decimal("20791.67")), ("basis_under", Decimal("48083.33"))]


def test_alis_and_introduksjon_lines_come_with_the_month_recompute():
    from tests.factories_alis import approved

    agreement = approved(start_date=date(2021, 3, 15), annual_payment=Decimal("120000.00"),
                         status="avsluttet", terminated_on=date(2021, 5, 10))
    municipality_id = agreement.municipality_id
    for month, days in ((date(2021, 3, 1), 17), (date(2021, 4, 1), 30), (date(2021, 5, 1), 10)):
        ledger.recompute_month(municipality_id=municipality_id, month=month)
        line = PaymentLine.objects.get(month=month, kind="alis")
        assert (line.quantity, line.doctor_id, line.case_ref) == (days, agreement.doctor_id, f"alis:{agreement.pk}")
    assert PaymentLine.objects.get(month=date(2021, 3, 1), kind="alis").amount == Decimal("5483.87")
    assert PaymentLine.objects.get(month=date(2021, 4, 1), kind="alis").amount == Decimal("10000.00")
    ledger.recompute_month(municipality_id=municipality_id, month=date(2021, 6, 1))
    assert not PaymentLine.objects.filter(month=date(2021, 6, 1)).exists()  # ended 10 May: nothing in June
