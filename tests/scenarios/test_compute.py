""""Hva om" computation (docs/payments.md with other rates): a scenario equal to the real schedule reproduces the real
ledger to the øre, a knekkpunkt change gives the hand-computed difference, nothing is written to the ledger,
the task is idempotent, and the number of queries does not grow with the number of lists."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from alis import rules as alis_rules
from grants.models import (
    CaseStatus,
    GrunntilskuddApplication,
    IntroduksjonsAvtale,
    PaymentLine,
    PaymentMonth,
    PaymentRun,
)
from grants.services import ledger
from practices.models import Municipality, Population
from scenarios import compute, rules, services, tasks
from scenarios.models import Scenario, ScenarioResultRow, ScenarioRun
from tests import factories
from tests.factories_alis import approved

pytestmark = pytest.mark.django_db
JUNE = date(2020, 6, 1)


def a_list(municipality, counts: dict, *, listetak=1500, driftsform="naeringsdrivende", behovsindeks=None):
    """A list with a holder from 2020-01 and `counts` {month: patients}."""
    holder = factories.ListHolderFactory(patient_list__practice__municipality=municipality,
                                         patient_list__listetak=listetak, driftsform=driftsform,
                                         doctor=None if driftsform == "ubesatt" else factories.DoctorFactory())
    for month, n in counts.items():
        factories.ListCountFactory(patient_list=holder.patient_list, month=month, antall_pasienter=n,
                                   listetak=listetak, behovsindeks=behovsindeks)
    return holder


def grant(holder, user, avtale_fra=date(2020, 5, 15)):
    return GrunntilskuddApplication.objects.create(
        municipality=holder.patient_list.municipality, patient_list=holder.patient_list, doctor=holder.doctor,
        avtale_fra=avtale_fra, status=CaseStatus.INNVILGET, created_by=user)


def introduksjon(municipality, user, *, start, end, annual):
    practice = factories.PracticeFactory(municipality=municipality)
    return IntroduksjonsAvtale.objects.create(
        municipality=municipality, practice=practice, doctor=factories.DoctorFactory(), start_date=start,
        end_date=end, position_percent=100, annual_contribution=annual, status=CaseStatus.INNVILGET,
        created_by=user)


def scenario(user, municipalities, first, last, **schedule) -> Scenario:
    s = Scenario(name="Test", period_from=first, period_to=last, **schedule)
    return services.save_scenario(scenario=s, municipalities=municipalities, user=user)


def done_run(s: Scenario) -> ScenarioRun:
    run = s.runs.get()
    assert run.status == ScenarioRun.Status.DONE, run.message
    return run


def by_month_and_kind(run: ScenarioRun, side: str) -> dict:
    return {(m["month"], k["kind"]): Decimal(k[side]) for m in run.result["months"] for k in m["kinds"]
            if Decimal(k[side])}


def ledger_by_month_and_kind(municipality) -> dict:
    return {(f"{row['month']:%Y-%m}", row["kind"]): row["total"] for row in PaymentLine.objects.filter(
        municipality=municipality).values("month", "kind").annotate(total=Sum("amount")).order_by()}


@pytest.fixture
def mixed(oslo, administrator):
    """Lists that reach every rule: flat (2020-04), knekkpunkt (2020-06), an introduksjonsavtale (2022-03), the
    cap (2022-08), pasienttilpasset with behovsindeks (2023-08); grunntilskudd, fastlønnet and ubesatt lists."""
    months = [date(2020, 4, 1), JUNE, date(2022, 3, 1), date(2022, 8, 1), date(2023, 8, 1)]
    a_list(oslo, dict.fromkeys(months, 800))
    a_list(oslo, dict.fromkeys(months, 1500))
    a_list(oslo, dict.fromkeys(months, 2600), listetak=2500)
    a_list(oslo, dict.fromkeys(months, 1000), behovsindeks=Decimal("1.1000"))
    a_list(oslo, dict.fromkeys(months, 1100), driftsform="fastlonnet")
    a_list(oslo, dict.fromkeys(months, 700), driftsform="ubesatt")
    grant(a_list(oslo, dict.fromkeys(months, 300), listetak=1000), administrator)
    grant(a_list(oslo, dict.fromkeys(months, 450), listetak=1000), administrator, avtale_fra=date(2021, 10, 1))
    introduksjon(oslo, administrator, start=date(2022, 3, 10), end=date(2024, 3, 9), annual=Decimal("120000"))
    approved(practice=factories.PracticeFactory(municipality=oslo), start_date=date(2022, 2, 15))
    for month in rules.period_months(months[0], months[-1]):  # the agreement pays in the months between too
        ledger.recompute_month(municipality_id=oslo.pk, month=month)
    return months


def test_a_scenario_equal_to_the_real_schedule_reproduces_the_ledger_to_the_ore(oslo, administrator, mixed):
    expected = ledger_by_month_and_kind(oslo)
    assert {kind for _, kind in expected} >= {"basis", "basis_under", "basis_over", "grunntilskudd", "introduksjon"}
    run = done_run(scenario(administrator, [oslo], date(2020, 4, 1), date(2023, 8, 1)))  # every field empty
    assert by_month_and_kind(run, "scenario") == expected
    assert by_month_and_kind(run, "actual") == expected
    assert run.scenario_total == run.actual_total == sum(expected.values())
    months = {m["month"]: m for m in run.result["months"]}
    assert all(Decimal(m["booked"] or 0) == Decimal(m["actual"]) for m in months.values())
    # per list too: each list's lines over the period, to the øre, and nobody gains or loses
    per_list = dict(PaymentLine.objects.exclude(patient_list=None).values_list("patient_list").annotate(
        total=Sum("amount")).order_by())
    rows = {row.patient_list_id: row for row in ScenarioResultRow.objects.filter(run=run)}
    assert {pk: row.scenario for pk, row in rows.items()} == per_list
    assert {row.difference for row in rows.values()} == {Decimal("0.00")}
    assert run.result["lists"]["same"] == len(per_list) == 8
    assert run.result["estimate_months"] == ["2023-05", "2023-06"]


def test_an_explicit_copy_of_the_2020_rates_reproduces_the_ledger(oslo, caseworker, mixed):
    s = scenario(caseworker, [oslo], date(2020, 5, 1), date(2021, 6, 1), model="knekkpunkt", knekkpunkt=1000,
                 rate_under=Decimal("577"), rate_over=Decimal("499"))
    june = {kind: total for (month, kind), total in ledger_by_month_and_kind(oslo).items() if month == "2020-06"}
    assert {kind: total for (month, kind), total in by_month_and_kind(done_run(s), "scenario").items()
            if month == "2020-06"} == june


@pytest.fixture
def hand_made(oslo, administrator):
    """June 2020 (577/499, K 1 000): 800, 1 500, 300 with grunntilskudd (listetak 1 000), 1 100 fastlønnet."""
    holders = {
        "800": a_list(oslo, {JUNE: 800}),
        "1500": a_list(oslo, {JUNE: 1500}),
        "300": a_list(oslo, {JUNE: 300}, listetak=1000),
        "1100": a_list(oslo, {JUNE: 1100}, driftsform="fastlonnet"),
    }
    grant(holders["300"], administrator)
    return holders


def test_a_knekkpunkt_change_gives_the_hand_computed_difference(oslo, caseworker, hand_made):
    run = done_run(scenario(caseworker, [oslo], JUNE, JUNE, knekkpunkt=1200))
    assert by_month_and_kind(run, "actual") == {
        ("2020-06", "basis_under"): Decimal("149058.33"),  # 38 466,67 + 48 083,33 + 14 425,00 + 48 083,33
        ("2020-06", "basis_over"): Decimal("24950.00"),  # 20 791,67 + 4 158,33
        ("2020-06", "grunntilskudd"): Decimal("9616.67")}  # 24 041,67 − 14 425,00
    assert by_month_and_kind(run, "scenario") == {
        ("2020-06", "basis_under"): Decimal("163483.34"),  # 38 466,67 + 57 700,00 + 14 425,00 + 52 891,67
        ("2020-06", "basis_over"): Decimal("12475.00"),  # 300 × 499 / 12
        ("2020-06", "grunntilskudd"): Decimal("9616.67")}
    assert (run.actual_total, run.scenario_total, run.difference) == (
        Decimal("183625.00"), Decimal("185575.01"), Decimal("1950.01"))
    rows = {row.patient_list_id: row for row in run.rows.all()}
    assert {n: rows[h.patient_list_id].difference for n, h in hand_made.items()} == {
        "800": Decimal("0.00"), "1500": Decimal("1300.00"), "300": Decimal("0.00"),
        "1100": Decimal("650.01")}  # 52 891,67 − (48 083,33 + 4 158,33): rounded per line
    assert rows[hand_made["1100"].patient_list_id].kept_by_municipality
    assert rows[hand_made["1500"].patient_list_id].patients == 1500
    assert run.result["lists"] == {"count": 4, "gain": 2, "lose": 0, "same": 2, "gain_sum": "1950.01",
                                   "lose_sum": "0.00"}
    assert run.result["rates"] == [{
        "from": "2020-06", "to": "2020-06", "estimate": False,
        "actual_rate": "knekkpunkt 1\xa0000: kr 577 under, kr 499 over",
        "scenario_rate": "knekkpunkt 1\xa0200: kr 577 under, kr 499 over"}]


def test_a_scenario_writes_nothing_to_the_ledger(oslo, caseworker, hand_made):
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    before = [list(model.objects.order_by("pk").values()) for model in (PaymentLine, PaymentMonth, PaymentRun)]
    s = scenario(caseworker, [oslo], date(2020, 5, 1), date(2020, 7, 1), model="flat", rate_under=Decimal("900"))
    first = s.runs.get()
    second = services.start_run(scenario=s, user=caseworker)
    assert [list(model.objects.order_by("pk").values()) for model in (PaymentLine, PaymentMonth, PaymentRun)] \
        == before
    assert list(s.runs.all()) == [second] and second != first  # one result kept per scenario: the newest
    assert ScenarioResultRow.objects.filter(run=first.pk).count() == 0 and second.rows.count() == 4


def test_agreements_at_another_percentage(oslo, administrator):
    march = date(2022, 3, 1)
    introduksjon(oslo, administrator, start=date(2022, 3, 10), end=date(2024, 3, 9), annual=Decimal("120000"))
    run = done_run(scenario(administrator, [oslo], march, march, introduksjon_percent=Decimal("150")))
    assert by_month_and_kind(run, "actual") == {("2022-03", "introduksjon"): Decimal("7096.77")}
    assert by_month_and_kind(run, "scenario") == {("2022-03", "introduksjon"): Decimal("10645.16")}
    assert run.lists == 0  # agreement lines belong to no list


def test_alis_percentage_through_the_ledger(oslo, administrator):
    march = date(2022, 3, 1)
    approved(practice=factories.PracticeFactory(municipality=oslo), start_date=date(2022, 3, 10),
             annual_payment=Decimal("120000.00"))
    run = done_run(scenario(administrator, [oslo], march, march, alis_percent=Decimal("50")))
    assert by_month_and_kind(run, "actual") == {("2022-03", "alis"): Decimal("7096.77")}  # 120 000 × 22 / (12 × 31)
    assert by_month_and_kind(run, "scenario") == {("2022-03", "alis"): Decimal("3548.39")}  # 60 000 × 22 / 372


def test_alis_lines_are_scaled_by_the_same_rule():
    """An `alis` line of the ledger at another percentage: the same days, prorated_line again."""
    line = ledger.LedgerLine(list_id=None, doctor_id=1, kept=False, kind="alis", quantity=30, annual_rate=Decimal(
        "100000.00"), amount=Decimal("8333.33"), explanation="")
    month = date(2021, 4, 1)
    assert compute._scenario_amount(line, rules.Schedule(alis_percent=Decimal("50")), month) == Decimal("4166.67")
    assert compute._scenario_amount(line, rules.Schedule(), month) == Decimal("8333.33")


def test_a_grunntilskudd_floor_of_600_pays_as_for_600_patients(oslo, caseworker, hand_made):
    s = Scenario(name="Gulv 600", period_from=JUNE, period_to=JUNE, grunntilskudd_floor=600)
    run = done_run(services.save_scenario(scenario=s, municipalities=[oslo], user=caseworker))
    # 600 × 577 / 12 = 28 850,00 − 14 425,00 basis = 14 425,00 (was 9 616,67)
    assert by_month_and_kind(run, "scenario")[("2020-06", "grunntilskudd")] == Decimal("14425.00")


def test_a_grunntilskudd_of_36_months_covers_month_26(oslo, caseworker, administrator):
    month = date(2022, 6, 1)  # month 26 after an agreement from 2020-05: not covered by 24 months, by 36
    grant(a_list(oslo, {month: 300}, listetak=1000), administrator)
    s = Scenario(name="36 måneder", period_from=month, period_to=month, grunntilskudd_months=36)
    run = done_run(services.save_scenario(scenario=s, municipalities=[oslo], user=caseworker))
    # round(500 × 653 / 12) − round(300 × 653 / 12) = 27 208,33 − 16 325,00
    assert by_month_and_kind(run, "scenario")[("2022-06", "grunntilskudd")] == Decimal("10883.33")
    assert ("2022-06", "grunntilskudd") not in by_month_and_kind(run, "actual")


def test_query_count_is_constant_in_the_number_of_lists(oslo, bergen, caseworker):
    user = factories.member(bergen, "caseworker")
    months = {JUNE: 900, date(2020, 7, 1): 1200}

    def queries(municipality, user):
        with CaptureQueriesContext(connection) as captured:
            s = scenario(user, [municipality], JUNE, date(2020, 7, 1), knekkpunkt=1100)
        assert done_run(s).lists > 0
        return len(captured.captured_queries)

    a_list(oslo, months)
    for _ in range(15):
        a_list(bergen, months)
    queries(oslo, caseworker), queries(bergen, user)  # warm-up: content types, each user's roles are cached
    assert queries(oslo, caseworker) == queries(bergen, user)


def test_the_task_runs_eagerly_and_is_idempotent(oslo, caseworker, hand_made, settings,
                                                  django_capture_on_commit_callbacks, monkeypatch):
    settings.SCENARIO_ASYNC_LIST_MONTHS = 0  # every run is "large": it goes through the task
    monkeypatch.setattr(services, "tasks_run_eagerly", lambda: False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        s = scenario(caseworker, [oslo], JUNE, JUNE, knekkpunkt=1200)
        assert s.runs.get().status == ScenarioRun.Status.QUEUED  # queued until the transaction commits
    assert len(callbacks) == 1
    run = done_run(s)
    assert run.difference == Decimal("1950.01") and set(run.timings) == {"compute", "summary", "write", "total"}
    finished = run.finished_at
    assert tasks.compute_scenario_run.delay(run.pk).get() == "done"  # delivered again: left alone
    run.refresh_from_db()
    assert run.finished_at == finished and run.rows.count() == 4


def test_a_broker_that_is_down_fails_the_run_with_a_message(oslo, caseworker, hand_made, settings, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    settings.SCENARIO_ASYNC_LIST_MONTHS = 0
    monkeypatch.setattr(services, "tasks_run_eagerly", lambda: False)
    monkeypatch.setattr(services, "send", lambda task, *args: False)
    with django_capture_on_commit_callbacks(execute=True):
        s = scenario(caseworker, [oslo], JUNE, JUNE, knekkpunkt=1200)
    run = s.runs.get()
    assert run.status == ScenarioRun.Status.FAILED and "køtjenesten ikke svarer" in run.message


def test_a_failing_computation_leaves_the_run_failed_not_running(oslo, caseworker, hand_made, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(compute, "compute", boom)
    s = scenario(caseworker, [oslo], JUNE, JUNE, knekkpunkt=1200)
    run = s.runs.get()
    assert run.status == ScenarioRun.Status.FAILED and "RuntimeError" in run.message and not run.rows.exists()


def test_copy_and_history(oslo, caseworker, caseworker2, hand_made):
    original = scenario(caseworker, [oslo], JUNE, JUNE, knekkpunkt=1200)
    copy = services.copy_scenario(scenario=original, user=caseworker2)
    assert (copy.name, copy.created_by, copy.copied_from, copy.knekkpunkt) == (
        "Kopi av Test", caseworker2, original, 1200)
    assert list(copy.municipalities.all()) == [oslo] and done_run(copy).difference == Decimal("1950.01")
    original.knekkpunkt = 1300
    services.save_scenario(scenario=original, municipalities=[oslo], user=caseworker)
    history = list(original.history.order_by("history_date").values_list("history_type", "knekkpunkt",
                                                                         "history_change_reason"))
    assert history[0] == ("+", 1200, "Opprettet") and history[-1] == ("~", 1300, "Endret")
    # K 1 300: the 1 500-list gets 300 × 78 / 12 = 1 950,00 more, the 1 100-list still 650,01
    assert original.runs.count() == 1 and original.runs.get().difference == Decimal("2600.01")


def test_scope_all_municipalities_for_a_superuser_only(oslo, bergen, caseworker, hand_made):
    a_list(bergen, {JUNE: 1500})
    superuser = factories.UserFactory(username="super", is_superuser=True)
    run = done_run(scenario(superuser, [], JUNE, JUNE, all_municipalities=True, knekkpunkt=1200))
    assert run.all_municipalities and run.lists == 5 and run.difference == Decimal("3250.01")  # + Bergen's 1 300
    with pytest.raises(Exception, match="Bare superbrukere"):
        scenario(caseworker, [], JUNE, JUNE, all_municipalities=True)


def test_report_run_compares_with_the_flat_499(oslo, administrator, hand_made):
    factories.ListCountFactory(patient_list=hand_made["1500"].patient_list, month=date(2020, 5, 1),
                               antall_pasienter=1500)
    introduksjon(oslo, administrator, start=date(2020, 6, 10), end=date(2022, 6, 9), annual=Decimal("0"))
    approved(practice=factories.PracticeFactory(municipality=oslo), start_date=date(2020, 5, 20),
             status=alis_rules.GODKJENT)
    run = services.start_report(user=administrator, municipalities=[oslo])
    assert (run.status, run.period_from, run.period_to) == ("done", date(2020, 5, 1), JUNE)
    months = {m["month"]: {k["kind"]: k for k in m["kinds"]} for m in run.result["months"]}
    basis = {month: sum(Decimal(k["actual"]) - Decimal(k["scenario"]) for kind, k in kinds.items()
                        if kind.startswith("basis")) for month, kinds in months.items()}
    # 2020-05: 1 500 × (577/499 with K) − 1 500 × 499 = 68 875,00 − 62 375,00
    # 2020-06: + 800 (38 466,67 − 33 266,67) + 300 (14 425 − 12 475) + 1 100 (52 241,66 − 45 741,67)
    assert basis == {"2020-05": Decimal("6500.00"), "2020-06": Decimal("6500.00") + Decimal("5200.00")
                     + Decimal("1950.00") + Decimal("6499.99")}
    assert months["2020-06"]["grunntilskudd"]["actual_lines"] == 1
    assert run.result["agreements"] == {"months": ["2020-05", "2020-06"], "introduksjon": [0, 1], "alis": [1, 1]}
    with pytest.raises(Exception, match="Bare superbrukere"):
        services.start_report(user=administrator, all_municipalities=True)


@pytest.mark.parametrize("schedule, expected", [
    ({}, Decimal("30690.63") * 3),  # as the real parameters: §5a's worked example
    ({"utjamning_reference": 1000}, Decimal("16660.63") * 3),  # 841.80 × (1 000 − 762,5) / 12 = 16 660,625
    ({"utjamning_reference": 700}, None),  # 762,5 is not under 700
    ({"utjamning_population_limit": 1412}, None),  # 1 412 is not fewer than 1 412
    ({"utjamning_population_limit": 1413}, Decimal("30690.63") * 3),
])
def test_a_scenario_varies_the_utjamning_reference_and_population_limit(schedule, expected):
    bindal = Municipality.objects.get(kommunenummer="1811")
    user = factories.member(bindal, "caseworker")
    Population.objects.create(municipality=bindal, year=2023, inhabitants=1412)
    august = date(2023, 8, 1)
    for n, driftsform in ((700, "naeringsdrivende"), (900, "naeringsdrivende"), (850, "naeringsdrivende"),
                          (600, "fastlonnet")):
        a_list(bindal, {august: n}, driftsform=driftsform)
    run = done_run(scenario(user, [bindal], august, august, **schedule))
    assert by_month_and_kind(run, "actual")[("2023-08", "utjamning")] == Decimal("30690.63") * 3
    assert by_month_and_kind(run, "scenario").get(("2023-08", "utjamning")) == expected
