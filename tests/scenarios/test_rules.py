""""Hva om" pure rules: the rate row a scenario puts in force, agreement lines at another percentage, the
histogram and the payment-against-list-size curve. Amounts come from grants.rules; these tests pin that the
scenario side asks them with the right Rate (hand-computed Decimal literals)."""

from datetime import date
from decimal import Decimal

import pytest

from grants import rules as ledger_rules
from grants.rules import SHIPPED_RATES, Rate
from scenarios import rules
from scenarios.rules import Schedule

JUNE_2020, AUG_2023, APRIL_2020 = date(2020, 6, 1), date(2023, 8, 1), date(2020, 4, 1)


def real(month):
    return ledger_rules.rate_for_month(SHIPPED_RATES, month)


def basis_total(rate, month, n, w=None):
    return sum((line.amount for line in ledger_rules.basis_lines(n=n, rate=rate, month=month, behovsindeks=w)),
               Decimal("0.00"))


def test_an_empty_schedule_is_the_real_row_in_force():
    for rate in SHIPPED_RATES:
        assert rules.scenario_rate(Schedule(), rate, rate.valid_from) == rate


@pytest.mark.parametrize(("schedule", "month", "expected"), [
    # only the knekkpunkt changes; 577/499 stay the real ones of June 2020
    (Schedule(knekkpunkt=1200), JUNE_2020,
     Rate(date(2020, 5, 1), "knekkpunkt", Decimal("577"), knekkpunkt=1200, rate_over=Decimal("499"))),
    # the flat 499 of before, no cap (the report's counterfactual), in a month with a cap
    (rules.FLAT_499, date(2022, 8, 1), Rate(date(2022, 7, 1), "flat", Decimal("499"))),
    # a knekkpunkt model in a flat month needs every knekkpunkt value given
    (Schedule(model="knekkpunkt", knekkpunkt=900, rate_under=Decimal("600"), rate_over=Decimal("450")), APRIL_2020,
     Rate(date(2020, 1, 1), "knekkpunkt", Decimal("600"), knekkpunkt=900, rate_over=Decimal("450"))),
    # a cap where the real row has none; the estimate status stays the real row's (the UI warns)
    (Schedule(paid_up_to=2000), date(2023, 5, 1),
     Rate(date(2023, 5, 1), "pasienttilpasset", Decimal("787.02"), paid_up_to=2000, status="estimat")),
    # knekkpunkt values given for a month whose real model has none are not used when the model follows it
    (Schedule(knekkpunkt=1200), AUG_2023, Rate(date(2023, 7, 1), "pasienttilpasset", Decimal("841.80"))),
])
def test_scenario_rate(schedule, month, expected):
    assert rules.scenario_rate(schedule, real(month), month) == expected


@pytest.mark.parametrize(("schedule", "month", "message"), [
    (Schedule(model="knekkpunkt"), APRIL_2020, "2020-04: gjeldende sats har ikke knekkpunkt"),
    (Schedule(model="knekkpunkt", knekkpunkt=1000), AUG_2023, "Fyll inn knekkpunkt og sats over knekkpunkt"),
])
def test_an_incomplete_schedule_names_the_month_and_what_to_fill_in(schedule, month, message):
    with pytest.raises(ValueError, match=message):
        rules.scenario_rate(schedule, real(month), month)
    months = rules.period_months(date(2020, 1, 1), date(2023, 12, 1))
    assert message.split(":")[-1].strip() in rules.schedule_error(schedule, SHIPPED_RATES, months)


def test_before_the_first_rate_row_the_scenario_must_name_its_rates():
    month = date(2019, 12, 1)
    with pytest.raises(ValueError, match="2019-12: ingen sats gjelder"):
        rules.scenario_rate(Schedule(knekkpunkt=1000), None, month)
    assert rules.scenario_rate(Schedule(model="flat", rate_under=Decimal("499")), None, month) == Rate(
        month, "flat", Decimal("499"))


def test_knekkpunkt_change_by_hand():
    """June 2020, 577/499: moving K from 1 000 to 1 200 pays 200 more patients × (577 − 499) / 12 for a list of
    1 500, and the 1 100-patient list gets all its patients at 577 (rounded per line)."""
    scenario = rules.scenario_rate(Schedule(knekkpunkt=1200), real(JUNE_2020), JUNE_2020)
    assert basis_total(real(JUNE_2020), JUNE_2020, 1500) == Decimal("68875.00")  # 48 083,33 + 20 791,67
    assert basis_total(scenario, JUNE_2020, 1500) == Decimal("70175.00")  # 57 700,00 + 12 475,00
    assert basis_total(real(JUNE_2020), JUNE_2020, 1100) == Decimal("52241.66")  # 48 083,33 + 4 158,33
    assert basis_total(scenario, JUNE_2020, 1100) == Decimal("52891.67")


def test_schedule_round_trip_and_validation():
    schedule = Schedule(model="knekkpunkt", knekkpunkt=1100, rate_under=Decimal("600.50"), rate_over=Decimal("500"),
                        no_paid_up_to=True, introduksjon_percent=Decimal("150"), alis_percent=Decimal("0"))
    assert Schedule.from_dict(schedule.as_dict()) == schedule
    assert Schedule.from_dict({**Schedule().as_dict(), "unknown": 1}) == Schedule()
    with pytest.raises(ValueError, match="Ukjent modell"):
        Schedule(model="progressiv")
    with pytest.raises(ValueError, match="negativ"):
        Schedule(alis_percent=Decimal("-1"))


@pytest.mark.parametrize(("percent", "expected"), [
    (Decimal("100"), Decimal("7096.77")),  # 120 000 × 22 / (12 × 31) = 7 096,774…
    (Decimal("150"), Decimal("10645.16")),  # 180 000 × 22 / 372 = 10 645,161…
    (Decimal("12.5"), Decimal("887.10")),  # 15 000 × 22 / 372 = 887,096…
    (Decimal("0"), None),
])
def test_agreement_line_at_another_percentage(percent, expected):
    month = date(2022, 3, 1)
    line = rules.agreement_line(kind="introduksjon", annual=Decimal("120000.00"), days=22, month=month,
                                percent=percent)
    assert (line.amount if line else None) == expected
    if percent == 100:  # the same line the ledger computes from the agreement's own dates (10–31 March)
        assert line == ledger_rules.prorated_line(kind="introduksjon", annual=Decimal("120000.00"),
                                                  start=date(2022, 3, 10), end=date(2024, 3, 9), month=month)


def test_histogram_bins_gains_and_losses():
    bins = rules.histogram([Decimal("-2500.00"), Decimal("-0.01"), Decimal("0"), Decimal("0"), Decimal("1300.00"),
                            Decimal("650.01"), Decimal("6000.00")], bins_per_side=6)
    # largest 6 000 / 6 → 1 000 kr wide; the loss side stops at its last list
    assert [(b["label"], b["count"]) for b in bins] == [
        ("-3\xa0000 til -2\xa0000", 1), ("-2\xa0000 til -1\xa0000", 0), ("-1\xa0000 til 0", 1), ("uendret", 2),
        ("0 til 1\xa0000", 1), ("1\xa0000 til 2\xa0000", 1), ("2\xa0000 til 3\xa0000", 0), ("3\xa0000 til 4\xa0000", 0),
        ("4\xa0000 til 5\xa0000", 0), ("5\xa0000 til 6\xa0000", 1)]
    assert [b["label"] for b in rules.histogram([])] == ["uendret"]
    assert [b["count"] for b in rules.histogram([Decimal("0.40")])] == [0, 1]  # 1-krone bins at the least


def test_size_curve_shows_the_kink_at_the_knekkpunkt():
    actual = real(JUNE_2020)
    scenario = rules.scenario_rate(Schedule(knekkpunkt=1200), actual, JUNE_2020)
    curve = rules.size_curve({"actual": actual, "scenario": scenario}, JUNE_2020)
    at = {n: index for index, n in enumerate(curve["n"])}
    assert {1000, 1200, 499, 500} <= set(at) and curve["n"][0] == 0 and curve["n"][-1] == 3000
    values = {name: [Decimal(v) for v in series] for name, series in curve["series"].items()}
    slope = {name: (v[at[1100]] - v[at[1000]], v[at[1000]] - v[at[900]]) for name, v in values.items()}
    assert slope["actual"] == (Decimal("4158.33"), Decimal("4808.33"))  # 100 × 499 / 12 over K, 100 × 577 / 12 under
    assert slope["scenario"] == (Decimal("4808.34"), Decimal("4808.33"))  # still under K = 1 200
    with_grant = rules.size_curve({"actual": actual}, JUNE_2020, grunntilskudd=True)["series"]["actual"]
    assert Decimal(with_grant[at[300]]) == Decimal("24041.67")  # paid as for 500: 500 × 577 / 12


def test_describe_rate():
    assert rules.describe_rate(real(date(2022, 8, 1))) == (
        "knekkpunkt 1\xa0000: kr 675 under, kr 544 over, betalt opp til 2\xa0500")
    assert rules.describe_rate(real(APRIL_2020)) == "flat kr 499"
    assert rules.describe_rate(None) == "ingen sats"
