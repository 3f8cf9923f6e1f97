"""Table-driven tests of the ledger's pure money rules (docs/rates.md, docs/payments.md) and the money helpers.

Every expected amount is a literal worked out by hand (n × rate / 12, then half-up to øre), never
recomputed with the code under test. No database: these run with or without pytest-django.
"""

from datetime import date
from decimal import Decimal, Inexact

import pytest

from core.money import (
    divide_and_round_kr,
    exact_product,
    format_kr,
    format_number_nb,
    format_rate,
    round_kr,
)
from grants import rules
from grants.rules import (
    GRUNNTILSKUDD_FLOOR,
    KIND_ALIS,
    KIND_BASIS,
    KIND_BASIS_OVER,
    KIND_BASIS_UNDER,
    KIND_GRUNNTILSKUDD,
    KIND_INTRODUKSJON,
    METHOD_DAILY,
    METHOD_MONTHLY,
    MODEL_FLAT,
    MODEL_KNEKKPUNKT,
    MODEL_PASIENTTILPASSET,
    SHIPPED_RATE_SOURCES,
    SHIPPED_RATES,
    Line,
    Rate,
    basis_lines,
    correction_amount,
    days_covered,
    grunntilskudd_line,
    grunntilskudd_reason_none,
    month_lines,
    prorated_line,
    rate_for_month,
)

D = Decimal
NB = "\xa0"  # the no-break space between thousands
CAP_2600 = f"(2{NB}600 pasienter, betalt opp til 2{NB}500)"


def m(year: int, month: int) -> date:
    return date(year, month, 1)


def rate(year: int, month: int) -> Rate:
    return rate_for_month(SHIPPED_RATES, m(year, month))


def amounts(lines: list[Line]) -> list[tuple[str, int | None, Decimal]]:
    return [(line.kind, line.quantity, line.amount) for line in lines]


# --- core.money ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), "0.01"),  # the tie goes up
        (D("0.0049999"), "0.00"),
        (D("-0.005"), "-0.01"),  # half-up = away from zero, as by hand
        (D("2.675"), "2.68"),  # float(2.675) would give 2.67
        (D("65.585"), "65.59"),  # banker's rounding would give 65.58
        (D("65.575"), "65.58"),
        (D("38466.666666666"), "38466.67"),
        (D("-0.001"), "0.00"),  # no negative zero
        (D("1E+3"), "1000.00"),
        (5, "5.00"),
        (D("123456789012345678901234567.125"), "123456789012345678901234567.13"),  # beyond 28 digits
    ],
)
def test_round_kr_half_up_to_ore(value, expected):
    result = round_kr(value)
    assert str(result) == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [0.1, 1.0, "1.00", True, None])
def test_round_kr_refuses_float_and_non_numbers(value):
    with pytest.raises(TypeError):
        round_kr(value)


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity")])
def test_round_kr_refuses_non_finite(value):
    with pytest.raises(ValueError):
        round_kr(value)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (D("288500"), 12, D("24041.67")),  # 500 × 577 / 12
        (D("1200.06"), 12, D("100.01")),  # 100.005 exactly: a tie, up
        (D("14471000"), 365, D("39646.58")),
        (D("-14425"), 12, D("-1202.08")),
    ],
)
def test_divide_and_round_kr(numerator, denominator, expected):
    assert divide_and_round_kr(numerator, denominator) == expected


def test_exact_product_never_rounds_silently():
    assert exact_product(1000, D("841.80"), D("1.1000")) == D("925980")
    with pytest.raises(Inexact):
        exact_product(D("1." + "1" * 40), D("1." + "1" * 40))


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0, 0, "0"),
        (7, 0, "7"),
        (999, 0, "999"),
        (1000, 0, f"1{NB}000"),
        (1234567, 0, f"1{NB}234{NB}567"),
        (-1000, 0, f"-1{NB}000"),
        (D("38466.67"), 2, f"38{NB}466,67"),
        (D("-1234.5"), 2, f"-1{NB}234,50"),
        (D("1.1"), 4, "1,1000"),
        (D("0.5"), 0, "1"),
        (D("999.995"), 2, f"1{NB}000,00"),
        (D("-0.004"), 2, "0,00"),
        (D("123456.789"), 1, f"123{NB}456,8"),
    ],
)
def test_format_number_nb(value, decimals, expected):
    assert format_number_nb(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("38466.67"), f"38{NB}466,67 kr"),
        (D("1234.5"), f"1{NB}234,50 kr"),
        (0, "0,00 kr"),
        (D("-9616.67"), f"-9{NB}616,67 kr"),
    ],
)
def test_format_kr(value, expected):
    assert format_kr(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (577, "577"),
        (D("577.00"), "577"),
        (D("787.02"), "787,02"),
        (D("841.80"), "841,80"),
        (D("841.8"), "841,80"),
        (D("861.16"), "861,16"),
        (D("120000"), f"120{NB}000"),
        (D("1200.06"), f"1{NB}200,06"),
        (D("0.125"), "0,125"),
        (D("1E+3"), f"1{NB}000"),
    ],
)
def test_format_rate_drops_needless_decimals(value, expected):
    assert format_rate(value) == expected


@pytest.mark.parametrize("helper", [format_number_nb, format_kr, format_rate])
def test_formatters_refuse_float(helper):
    with pytest.raises(TypeError):
        helper(1.5)


# --- the shipped rate table (docs/rates.md) ----------------------------------------------------------------------


def test_shipped_rates_are_the_spec_table_in_order():
    table = [
        (r.valid_from, r.model, r.knekkpunkt, r.rate_under, r.rate_over, r.paid_up_to, r.status, r.method)
        for r in SHIPPED_RATES
    ]
    monthly = METHOD_MONTHLY
    assert table == [
        (m(2020, 1), MODEL_FLAT, None, D("499"), None, None, "bekreftet", monthly),
        (m(2020, 5), MODEL_KNEKKPUNKT, 1000, D("577"), D("499"), None, "bekreftet", monthly),
        (m(2021, 7), MODEL_KNEKKPUNKT, 1000, D("642"), D("526"), None, "bekreftet", monthly),
        (m(2022, 1), MODEL_KNEKKPUNKT, 1000, D("653"), D("526"), None, "bekreftet", monthly),
        (m(2022, 7), MODEL_KNEKKPUNKT, 1000, D("675"), D("544"), 2500, "bekreftet", monthly),
        (m(2023, 5), MODEL_PASIENTTILPASSET, None, D("787.02"), None, None, "estimat", monthly),
        (m(2023, 7), MODEL_PASIENTTILPASSET, None, D("841.80"), None, None, "bekreftet", monthly),
        (m(2024, 7), MODEL_PASIENTTILPASSET, None, D("861.16"), None, None, "estimat", monthly),
    ]
    assert list(SHIPPED_RATE_SOURCES) == [r.valid_from for r in SHIPPED_RATES]
    assert [r.is_estimate for r in SHIPPED_RATES] == [False] * 5 + [True, False, True]


def test_a_database_snapshot_with_two_decimals_equals_the_shipped_row():
    from_db = Rate(m(2020, 5), MODEL_KNEKKPUNKT, D("577.00"), knekkpunkt=1000, rate_over=D("499.00"))
    assert from_db == SHIPPED_RATES[1]


@pytest.mark.parametrize(
    ("month", "valid_from"),
    [
        # each row's first month, and the month before it
        (m(2020, 1), m(2020, 1)),
        (m(2020, 4), m(2020, 1)),
        (m(2020, 5), m(2020, 5)),
        (m(2021, 6), m(2020, 5)),
        (m(2021, 7), m(2021, 7)),
        (m(2021, 12), m(2021, 7)),
        (m(2022, 1), m(2022, 1)),
        (m(2022, 6), m(2022, 1)),
        (m(2022, 7), m(2022, 7)),
        (m(2023, 4), m(2022, 7)),
        (m(2023, 5), m(2023, 5)),
        (m(2023, 6), m(2023, 5)),
        (m(2023, 7), m(2023, 7)),
        (m(2024, 6), m(2023, 7)),
        (m(2024, 7), m(2024, 7)),
        (m(2030, 1), m(2024, 7)),  # the last row stays in force
        (date(2020, 5, 31), m(2020, 5)),  # a mid-month date means its month
    ],
)
def test_rate_for_month_is_the_row_in_force_on_the_first(month, valid_from):
    assert rate_for_month(SHIPPED_RATES, month).valid_from == valid_from
    assert rate_for_month(reversed(SHIPPED_RATES), month).valid_from == valid_from  # order does not matter


def test_rate_for_month_before_the_first_row_is_an_error():
    with pytest.raises(ValueError, match="Ingen basistilskuddsats gjelder for 2019-12"):
        rate_for_month(SHIPPED_RATES, m(2019, 12))
    with pytest.raises(ValueError):
        rate_for_month([], m(2020, 6))


def test_a_row_from_the_middle_of_a_month_applies_from_the_next_month():
    rates = [SHIPPED_RATES[0], Rate(date(2020, 5, 15), MODEL_FLAT, D("600"))]
    assert rate_for_month(rates, m(2020, 5)).rate_under == D("499")
    assert rate_for_month(rates, m(2020, 6)).rate_under == D("600")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"model": "ukjent"}, ValueError),
        ({"method": "annual_360"}, ValueError),
        ({"status": "kanskje"}, ValueError),
        ({"rate_under": 499.0}, TypeError),
        ({"rate_under": D("-1")}, ValueError),
        ({"model": MODEL_KNEKKPUNKT}, ValueError),  # no knekkpunkt, no rate over
        ({"model": MODEL_KNEKKPUNKT, "knekkpunkt": 1000}, ValueError),
        ({"model": MODEL_KNEKKPUNKT, "knekkpunkt": 1000, "rate_over": 499.0}, TypeError),
        ({"paid_up_to": -1}, ValueError),
    ],
)
def test_rate_refuses_an_inconsistent_row(kwargs, error):
    fields = {"valid_from": m(2020, 1), "model": MODEL_FLAT, "rate_under": D("499")} | kwargs
    with pytest.raises(error):
        Rate(**fields)


# --- docs/payments.md worked examples -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "n", "listetak", "behovsindeks", "covers", "expected"),
    [
        (m(2020, 6), 800, 1000, None, False, [(KIND_BASIS_UNDER, 800, D("38466.67"))]),
        (
            m(2020, 6),
            1500,
            1000,
            None,
            False,
            [(KIND_BASIS_UNDER, 1000, D("48083.33")), (KIND_BASIS_OVER, 500, D("20791.67"))],
        ),
        (
            m(2020, 6),
            300,
            1000,
            None,
            True,
            [(KIND_BASIS_UNDER, 300, D("14425.00")), (KIND_GRUNNTILSKUDD, 200, D("9616.67"))],
        ),
        (m(2020, 4), 1500, 1000, None, False, [(KIND_BASIS, 1500, D("62375.00"))]),
        (
            m(2022, 8),
            2600,
            2500,
            None,
            False,
            [(KIND_BASIS_UNDER, 1000, D("56250.00")), (KIND_BASIS_OVER, 1500, D("68000.00"))],
        ),
        (m(2023, 8), 1000, 1000, D("1.1000"), False, [(KIND_BASIS, 1000, D("77165.00"))]),
    ],
)
def test_spec_worked_examples(month, n, listetak, behovsindeks, covers, expected):
    lines = month_lines(
        n=n,
        listetak=listetak,
        rate=rate_for_month(SHIPPED_RATES, month),
        month=month,
        behovsindeks=behovsindeks,
        grunntilskudd_covers=covers,
    )
    assert amounts(lines) == expected


def test_worked_example_explanations():
    june = m(2020, 6)
    assert [line.explanation for line in basis_lines(n=1500, rate=rate(2020, 6), month=june)] == [
        f"1{NB}000 pasienter × kr 577 / 12 (under knekkpunkt 1{NB}000)",
        f"500 pasienter over knekkpunkt 1{NB}000 × kr 499 / 12",
    ]
    assert [line.explanation for line in basis_lines(n=2600, rate=rate(2022, 8), month=m(2022, 8))] == [
        f"1{NB}000 pasienter × kr 675 / 12 (under knekkpunkt 1{NB}000)",
        f"1{NB}500 pasienter over knekkpunkt 1{NB}000 × kr 544 / 12 {CAP_2600}",
    ]
    (weighted,) = basis_lines(n=1000, rate=rate(2023, 8), month=m(2023, 8), behovsindeks=D("1.1"))
    assert weighted.explanation == f"1{NB}000 pasienter × kr 841,80 × behovsindeks 1,1000 / 12"
    (flat,) = basis_lines(n=1500, rate=rate(2020, 4), month=m(2020, 4))
    assert flat.explanation == f"1{NB}500 pasienter × kr 499 / 12"
    *_, top_up = month_lines(n=300, listetak=1000, rate=rate(2020, 6), month=june, grunntilskudd_covers=True)
    assert top_up.explanation == (
        "Grunntilskudd: listen betales som om den hadde 500 pasienter (300 på listen): "
        f"kr 24{NB}041,67 − basistilskudd kr 14{NB}425,00"
    )
    (one,) = basis_lines(n=1, rate=rate(2020, 4), month=m(2020, 4))
    assert one.explanation == "1 pasient × kr 499 / 12"


def test_lines_carry_the_unweighted_annual_rate():
    lines = basis_lines(n=1500, rate=rate(2020, 6), month=m(2020, 6))
    assert [line.annual_rate for line in lines] == [D("577"), D("499")]
    (weighted,) = basis_lines(n=1000, rate=rate(2023, 8), month=m(2023, 8), behovsindeks=D("1.1"))
    assert weighted.annual_rate == D("841.80")


# --- basistilskudd: patient counts under each model -------------------------------------------------------

COUNTS = [0, 1, 499, 500, 501, 999, 1000, 1001, 2500, 2501]


def by_count(expected: list) -> list[tuple]:
    """Pairs COUNTS with a column of expected results, one per count."""
    return list(zip(COUNTS, expected, strict=True))


@pytest.mark.parametrize(
    ("n", "expected"),
    by_count(
        [
            [],
            [(KIND_BASIS, 1, D("41.58"))],
            [(KIND_BASIS, 499, D("20750.08"))],
            [(KIND_BASIS, 500, D("20791.67"))],
            [(KIND_BASIS, 501, D("20833.25"))],
            [(KIND_BASIS, 999, D("41541.75"))],
            [(KIND_BASIS, 1000, D("41583.33"))],
            [(KIND_BASIS, 1001, D("41624.92"))],
            [(KIND_BASIS, 2500, D("103958.33"))],
            [(KIND_BASIS, 2501, D("103999.92"))],
        ],
    ),
)
def test_flat_499_in_april_2020(n, expected):
    assert amounts(basis_lines(n=n, rate=rate(2020, 4), month=m(2020, 4))) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    by_count(
        [
            [],
            [(KIND_BASIS_UNDER, 1, D("48.08"))],
            [(KIND_BASIS_UNDER, 499, D("23993.58"))],
            [(KIND_BASIS_UNDER, 500, D("24041.67"))],
            [(KIND_BASIS_UNDER, 501, D("24089.75"))],
            [(KIND_BASIS_UNDER, 999, D("48035.25"))],
            [(KIND_BASIS_UNDER, 1000, D("48083.33"))],  # exactly K: no over line
            [(KIND_BASIS_UNDER, 1000, D("48083.33")), (KIND_BASIS_OVER, 1, D("41.58"))],
            [(KIND_BASIS_UNDER, 1000, D("48083.33")), (KIND_BASIS_OVER, 1500, D("62375.00"))],
            [(KIND_BASIS_UNDER, 1000, D("48083.33")), (KIND_BASIS_OVER, 1501, D("62416.58"))],  # no cap yet
        ],
    ),
)
def test_knekkpunkt_577_499_in_june_2020(n, expected):
    assert amounts(basis_lines(n=n, rate=rate(2020, 6), month=m(2020, 6))) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    by_count(
        [
            [],
            [(KIND_BASIS_UNDER, 1, D("56.25"))],
            [(KIND_BASIS_UNDER, 499, D("28068.75"))],
            [(KIND_BASIS_UNDER, 500, D("28125.00"))],
            [(KIND_BASIS_UNDER, 501, D("28181.25"))],
            [(KIND_BASIS_UNDER, 999, D("56193.75"))],
            [(KIND_BASIS_UNDER, 1000, D("56250.00"))],
            [(KIND_BASIS_UNDER, 1000, D("56250.00")), (KIND_BASIS_OVER, 1, D("45.33"))],
            [(KIND_BASIS_UNDER, 1000, D("56250.00")), (KIND_BASIS_OVER, 1500, D("68000.00"))],
            [(KIND_BASIS_UNDER, 1000, D("56250.00")), (KIND_BASIS_OVER, 1500, D("68000.00"))],  # capped
        ],
    ),
)
def test_knekkpunkt_675_544_paid_up_to_2500_in_august_2022(n, expected):
    assert amounts(basis_lines(n=n, rate=rate(2022, 8), month=m(2022, 8))) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    by_count(
        [D("0"), D("70.15"), D("35004.85"), D("35075.00"), D("35145.15"), D("70079.85"), D("70150.00")]
        + [D("70220.15"), D("175375.00"), D("175445.15")],
    ),
)
def test_pasienttilpasset_841_80_without_behovsindeks(n, expected):
    lines = basis_lines(n=n, rate=rate(2023, 8), month=m(2023, 8))
    assert amounts(lines) == ([(KIND_BASIS, n, expected)] if n else [])


@pytest.mark.parametrize(
    ("n", "expected"),
    by_count(
        # 841.80 × 1.1 / 12 = 77.165 per patient: odd counts land on .xx5 ties, which go up
        [D("0"), D("77.17"), D("38505.34"), D("38582.50"), D("38659.67"), D("77087.84"), D("77165.00")]
        + [D("77242.17"), D("192912.50"), D("192989.67")],
    ),
)
def test_pasienttilpasset_841_80_with_behovsindeks_1_1(n, expected):
    lines = basis_lines(n=n, rate=rate(2023, 8), month=m(2023, 8), behovsindeks=D("1.1000"))
    assert amounts(lines) == ([(KIND_BASIS, n, expected)] if n else [])


@pytest.mark.parametrize(
    ("n", "expected"),
    by_count(
        # 787.02 / 12 = 65.585 per patient (the estimated May–June 2023 row)
        [D("0"), D("65.59"), D("32726.92"), D("32792.50"), D("32858.09"), D("65519.42"), D("65585.00")]
        + [D("65650.59"), D("163962.50"), D("164028.09")],
    ),
)
def test_pasienttilpasset_787_02_estimate_in_may_2023(n, expected):
    lines = basis_lines(n=n, rate=rate(2023, 5), month=m(2023, 5))
    assert amounts(lines) == ([(KIND_BASIS, n, expected)] if n else [])


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        (m(2020, 1), [(KIND_BASIS, 1500, D("62375.00"))]),
        (m(2020, 5), [(KIND_BASIS_UNDER, 1000, D("48083.33")), (KIND_BASIS_OVER, 500, D("20791.67"))]),
        (m(2021, 7), [(KIND_BASIS_UNDER, 1000, D("53500.00")), (KIND_BASIS_OVER, 500, D("21916.67"))]),
        (m(2022, 1), [(KIND_BASIS_UNDER, 1000, D("54416.67")), (KIND_BASIS_OVER, 500, D("21916.67"))]),
        (m(2022, 7), [(KIND_BASIS_UNDER, 1000, D("56250.00")), (KIND_BASIS_OVER, 500, D("22666.67"))]),
        (m(2023, 5), [(KIND_BASIS, 1500, D("98377.50"))]),
        (m(2023, 7), [(KIND_BASIS, 1500, D("105225.00"))]),
        (m(2024, 7), [(KIND_BASIS, 1500, D("107645.00"))]),
    ],
)
def test_1500_patients_in_the_first_month_of_every_row(month, expected):
    assert amounts(basis_lines(n=1500, rate=rate_for_month(SHIPPED_RATES, month), month=month)) == expected


@pytest.mark.parametrize(
    ("behovsindeks", "expected"),
    [
        (None, D("70150.00")),
        (D("1.0000"), D("70150.00")),
        (D("0.8000"), D("56120.00")),
        (D("1.2345"), D("86600.18")),  # 70 150 × 1.2345 = 86 600.175: a tie, up
        (D("0.0001"), D("7.02")),  # 7.015: a tie, up
    ],
)
def test_behovsindeks_weights_pasienttilpasset(behovsindeks, expected):
    (line,) = basis_lines(n=1000, rate=rate(2023, 8), month=m(2023, 8), behovsindeks=behovsindeks)
    assert line.amount == expected
    assert line.annual_rate == D("841.80")


def test_behovsindeks_is_ignored_outside_pasienttilpasset():
    lines = basis_lines(n=800, rate=rate(2020, 6), month=m(2020, 6), behovsindeks=D("1.5"))
    assert amounts(lines) == [(KIND_BASIS_UNDER, 800, D("38466.67"))]
    assert "behovsindeks" not in lines[0].explanation
    with pytest.raises(TypeError):
        basis_lines(n=800, rate=rate(2020, 6), month=m(2020, 6), behovsindeks=1.5)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n": -1}, ValueError),
        ({"n": 1000.0}, TypeError),
        ({"n": True}, TypeError),
        ({"behovsindeks": 1.1}, TypeError),
        ({"behovsindeks": D("0")}, ValueError),
        ({"behovsindeks": D("-1.1")}, ValueError),
    ],
)
def test_basis_lines_refuses_bad_input(kwargs, error):
    with pytest.raises(error):
        basis_lines(**({"n": 1000, "rate": rate(2023, 8), "month": m(2023, 8)} | kwargs))


def test_paid_up_to_caps_a_flat_or_pasienttilpasset_row_too():
    capped = Rate(m(2020, 1), MODEL_FLAT, D("499"), paid_up_to=2500)
    (line,) = basis_lines(n=3000, rate=capped, month=m(2020, 4))
    assert (line.quantity, line.amount) == (2500, D("103958.33"))
    cap = f"(3{NB}000 pasienter, betalt opp til 2{NB}500)"
    assert line.explanation == f"2{NB}500 pasienter × kr 499 / 12 {cap}"
    (exact,) = basis_lines(n=2500, rate=capped, month=m(2020, 4))
    assert "betalt opp til" not in exact.explanation


def test_zero_amount_lines_are_not_returned():
    assert basis_lines(n=1000, rate=Rate(m(2020, 1), MODEL_FLAT, D("0")), month=m(2020, 4)) == []
    tiny = Rate(m(2020, 1), MODEL_FLAT, D("0.01"))  # 0.01 / 12 = 0.00083 rounds to 0.00
    assert basis_lines(n=1, rate=tiny, month=m(2020, 4)) == []
    tie = Rate(m(2020, 1), MODEL_FLAT, D("0.06"))  # 0.06 / 12 = 0.005 exactly rounds up to 0.01
    assert amounts(basis_lines(n=1, rate=tie, month=m(2020, 4))) == [(KIND_BASIS, 1, D("0.01"))]
    no_over = Rate(m(2020, 1), MODEL_KNEKKPUNKT, D("577"), knekkpunkt=1000, rate_over=D("0"))
    under_only = basis_lines(n=1500, rate=no_over, month=m(2020, 6))
    assert amounts(under_only) == [(KIND_BASIS_UNDER, 1000, D("48083.33"))]


# --- the inferred older method: annual / 365 × days in month -----------------------------------------------


@pytest.mark.parametrize(
    ("month", "days", "expected"),
    [
        (m(2021, 2), 28, D("38279.45")),  # 499 000 × 28 / 365 = 38 279.452
        (m(2024, 2), 29, D("39646.58")),  # leap year, still / 365: 39 646.575
        (m(2020, 6), 30, D("41013.70")),  # 41 013.699
        (m(2020, 7), 31, D("42380.82")),  # 42 380.822
    ],
)
def test_daily_method_uses_days_in_month_over_365(month, days, expected):
    daily = Rate(m(2019, 7), MODEL_FLAT, D("499"), method=METHOD_DAILY)
    (line,) = basis_lines(n=1000, rate=daily, month=month)
    assert line.amount == expected
    assert line.explanation == f"1{NB}000 pasienter × kr 499 × {days} / 365"


def test_daily_method_grunntilskudd_floor():
    daily = Rate(m(2020, 5), MODEL_KNEKKPUNKT, D("577"), 1000, D("499"), method=METHOD_DAILY)
    lines = month_lines(n=300, listetak=1000, rate=daily, month=m(2020, 6), grunntilskudd_covers=True)
    # floor 500 × 577 × 30 / 365 = 23 712.33; basis 300 × 577 × 30 / 365 = 14 227.40
    assert amounts(lines) == [(KIND_BASIS_UNDER, 300, D("14227.40")), (KIND_GRUNNTILSKUDD, 200, D("9484.93"))]


# --- grunntilskudd ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "n", "listetak", "behovsindeks", "basis", "grunntilskudd"),
    [
        # listetak must be over 500
        (m(2020, 6), 300, 500, None, D("14425.00"), None),
        (m(2020, 6), 300, 501, None, D("14425.00"), D("9616.67")),
        (m(2020, 6), 300, 0, None, D("14425.00"), None),
        # the list must have fewer than 500 patients
        (m(2020, 6), 499, 1000, None, D("23993.58"), D("48.09")),
        (m(2020, 6), 500, 1000, None, D("24041.67"), None),
        (m(2020, 6), 501, 1000, None, D("24089.75"), None),
        # an empty list is paid the whole floor as grunntilskudd
        (m(2020, 6), 0, 1000, None, None, D("24041.67")),
        (m(2020, 6), 1, 1000, None, D("48.08"), D("23993.59")),
        # other rows
        (m(2020, 4), 300, 1000, None, D("12475.00"), D("8316.67")),
        (m(2022, 8), 300, 2500, None, D("16875.00"), D("11250.00")),
        (m(2023, 5), 1, 1000, None, D("65.59"), D("32726.91")),
        # pasienttilpasset: the floor is unweighted, 500 × 841.80 / 12 = 35 075.00 (docs/rates.md)
        (m(2023, 8), 300, 1000, D("1.1"), D("23149.50"), D("11925.50")),
        (m(2023, 8), 300, 1000, D("0.8"), D("16836.00"), D("18239.00")),
        (m(2023, 8), 499, 1000, D("1.2"), D("42005.82"), None),  # already above the floor
    ],
)
def test_grunntilskudd_when_covered(month, n, listetak, behovsindeks, basis, grunntilskudd):
    row = rate_for_month(SHIPPED_RATES, month)
    lines = month_lines(
        n=n,
        listetak=listetak,
        rate=row,
        month=month,
        behovsindeks=behovsindeks,
        grunntilskudd_covers=True,
    )
    basis_kind = KIND_BASIS_UNDER if row.model == MODEL_KNEKKPUNKT else KIND_BASIS
    expected = [(basis_kind, n, basis)] if basis is not None else []
    if grunntilskudd is not None:
        expected.append((KIND_GRUNNTILSKUDD, GRUNNTILSKUDD_FLOOR - n, grunntilskudd))
    assert amounts(lines) == expected


@pytest.mark.parametrize(
    ("valid_from", "floor"),
    [
        (m(2020, 1), D("20791.67")),  # 500 × 499 / 12
        (m(2020, 5), D("24041.67")),  # 500 × 577 / 12
        (m(2021, 7), D("26750.00")),  # 500 × 642 / 12
        (m(2022, 1), D("27208.33")),  # 500 × 653 / 12
        (m(2022, 7), D("28125.00")),  # 500 × 675 / 12
        (m(2023, 5), D("32792.50")),  # 500 × 787.02 / 12
        (m(2023, 7), D("35075.00")),  # 500 × 841.80 / 12
        (m(2024, 7), D("35881.67")),  # 500 × 861.16 / 12
    ],
)
def test_basis_plus_grunntilskudd_is_the_floor_for_every_n_under_500(valid_from, floor):
    """docs/payments.md: "a list with grunntilskudd and n < 500 receives exactly round(500 × r_u / 12)"."""
    row = rate_for_month(SHIPPED_RATES, valid_from)
    for n in range(GRUNNTILSKUDD_FLOOR):
        lines = month_lines(n=n, listetak=501, rate=row, month=valid_from, grunntilskudd_covers=True)
        assert sum(line.amount for line in lines) == floor, n
        assert lines[-1].kind == KIND_GRUNNTILSKUDD and lines[-1].quantity == GRUNNTILSKUDD_FLOOR - n


def test_grunntilskudd_is_not_paid_when_no_grant_covers_the_month():
    june = m(2020, 6)
    lines = month_lines(n=300, listetak=1000, rate=rate(2020, 6), month=june, grunntilskudd_covers=False)
    assert amounts(lines) == [(KIND_BASIS_UNDER, 300, D("14425.00"))]


def test_grunntilskudd_line_subtracts_only_basis_lines():
    june = m(2020, 6)
    basis = basis_lines(n=300, rate=rate(2020, 6), month=june)
    alis = Line(KIND_ALIS, 30, D("120000"), D("10000.00"), "30 av 30 dager × kr 120 000 / 12")
    line = grunntilskudd_line(n=300, listetak=1000, rate=rate(2020, 6), month=june, basis=[*basis, alis])
    assert (line.kind, line.quantity, line.annual_rate, line.amount) == (
        KIND_GRUNNTILSKUDD,
        200,
        D("577"),
        D("9616.67"),
    )


@pytest.mark.parametrize(
    ("n", "listetak", "reason"),
    [
        (300, 1000, None),
        (499, 501, None),
        (512, 1000, "listen har 512 pasienter"),
        (500, 1000, "listen har 500 pasienter"),
        (1200, 1500, f"listen har 1{NB}200 pasienter"),
        (300, 500, "listetaket er 500 (må være over 500)"),
        (300, 0, "listetaket er 0 (må være over 500)"),
        (512, 500, "listen har 512 pasienter og listetaket er 500 (må være over 500)"),
        (None, 1000, "mangler listetall"),
    ],
)
def test_grunntilskudd_reason_none(n, listetak, reason):
    assert grunntilskudd_reason_none(n=n, listetak=listetak) == reason


def test_grunntilskudd_reason_when_the_weighted_basis_already_reaches_the_floor():
    august = m(2023, 8)
    basis = basis_lines(n=499, rate=rate(2023, 8), month=august, behovsindeks=D("1.2"))
    reason = grunntilskudd_reason_none(n=499, listetak=1000, rate=rate(2023, 8), month=august, basis=basis)
    expected = f"basistilskuddet (kr 42{NB}005,82) er ikke lavere enn for 500 pasienter (kr 35{NB}075,00)"
    assert reason == expected
    paying = basis_lines(n=499, rate=rate(2023, 8), month=august)
    row = rate(2023, 8)
    assert grunntilskudd_reason_none(n=499, listetak=1000, rate=row, month=august, basis=paying) is None


def test_month_lines_without_a_count_is_empty():
    june = m(2020, 6)
    assert month_lines(n=None, listetak=1000, rate=rate(2020, 6), month=june, grunntilskudd_covers=True) == []


# --- introduksjon and ALIS: proration by days ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "month", "days"),
    [
        (date(2020, 6, 15), None, m(2020, 6), 16),
        (date(2020, 1, 1), date(2020, 6, 14), m(2020, 6), 14),
        (date(2020, 6, 1), date(2020, 6, 30), m(2020, 6), 30),
        (date(2020, 7, 1), None, m(2020, 6), 0),  # starts after the month
        (date(2019, 1, 1), date(2020, 5, 31), m(2020, 6), 0),  # ended before it
        (date(2024, 2, 29), date(2024, 2, 29), m(2024, 2), 1),
        (date(2020, 6, 20), date(2020, 6, 10), m(2020, 6), 0),  # end before start
        (date(2019, 1, 1), None, m(2021, 2), 28),
        (date(2019, 1, 1), date(2030, 1, 1), m(2024, 2), 29),
        (date(2020, 7, 31), date(2020, 8, 1), m(2020, 7), 1),
        (date(2020, 7, 31), date(2020, 8, 1), m(2020, 8), 1),
    ],
)
def test_days_covered_is_inclusive_at_both_ends(start, end, month, days):
    assert days_covered(start=start, end=end, month=month) == days


@pytest.mark.parametrize(
    ("start", "end", "month", "days", "month_days", "expected"),
    [
        # whole months of 28, 29 (leap), 30 and 31 days: always annual / 12
        (date(2021, 1, 1), None, m(2021, 2), 28, 28, D("10000.00")),
        (date(2024, 1, 1), None, m(2024, 2), 29, 29, D("10000.00")),
        (date(2020, 1, 1), None, m(2020, 6), 30, 30, D("10000.00")),
        (date(2020, 1, 1), None, m(2020, 7), 31, 31, D("10000.00")),
        # a first month starting on the 15th
        (date(2021, 2, 15), None, m(2021, 2), 14, 28, D("5000.00")),
        (date(2024, 2, 15), None, m(2024, 2), 15, 29, D("5172.41")),  # 1 800 000 / 348 = 5 172.414
        (date(2020, 6, 15), None, m(2020, 6), 16, 30, D("5333.33")),
        (date(2020, 7, 15), None, m(2020, 7), 17, 31, D("5483.87")),  # 2 040 000 / 372 = 5 483.871
        # a last month ending on the 14th
        (date(2020, 1, 1), date(2021, 2, 14), m(2021, 2), 14, 28, D("5000.00")),
        (date(2020, 1, 1), date(2024, 2, 14), m(2024, 2), 14, 29, D("4827.59")),  # 4 827.586
        (date(2020, 1, 1), date(2020, 6, 14), m(2020, 6), 14, 30, D("4666.67")),
        (date(2020, 1, 1), date(2020, 7, 14), m(2020, 7), 14, 31, D("4516.13")),  # 4 516.129
        # both ends inside the month, and a single day
        (date(2024, 2, 10), date(2024, 2, 20), m(2024, 2), 11, 29, D("3793.10")),
        (date(2024, 2, 29), date(2024, 2, 29), m(2024, 2), 1, 29, D("344.83")),
        (date(2020, 7, 31), date(2020, 7, 31), m(2020, 7), 1, 31, D("322.58")),
    ],
)
def test_prorated_alis_line(start, end, month, days, month_days, expected):
    line = prorated_line(kind=KIND_ALIS, annual=D("120000"), start=start, end=end, month=month)
    assert (line.kind, line.quantity, line.annual_rate, line.amount) == (
        KIND_ALIS,
        days,
        D("120000"),
        expected,
    )
    assert line.explanation == f"{days} av {month_days} dager × kr 120{NB}000 / 12"


def test_prorated_introduksjon_line():
    line = prorated_line(
        kind=KIND_INTRODUKSJON,
        annual=D("250000"),
        start=date(2024, 2, 15),
        end=date(2026, 2, 14),
        month=m(2024, 2),
    )
    # 250 000 × 15 / (12 × 29) = 10 775.862
    assert amounts([line]) == [(KIND_INTRODUKSJON, 15, D("10775.86"))]


def test_prorated_half_up_tie():
    # 1 200.06 / 12 = 100.005 exactly
    start = date(2020, 1, 1)
    line = prorated_line(kind=KIND_ALIS, annual=D("1200.06"), start=start, end=None, month=m(2020, 6))
    assert line.amount == D("100.01")
    assert line.explanation == f"30 av 30 dager × kr 1{NB}200,06 / 12"


@pytest.mark.parametrize(
    ("annual", "start", "end"),
    [
        (D("120000"), date(2020, 7, 1), None),  # not yet started
        (D("120000"), date(2019, 1, 1), date(2020, 5, 31)),  # already ended
        (D("0"), date(2020, 1, 1), None),  # an employed ALIS: no payment line
        (D("0.01"), date(2020, 6, 30), None),  # 0.01 / 360 rounds to 0.00
    ],
)
def test_prorated_line_none(annual, start, end):
    assert prorated_line(kind=KIND_ALIS, annual=annual, start=start, end=end, month=m(2020, 6)) is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"annual": 120000.0}, TypeError),
        ({"annual": D("-1")}, ValueError),
        ({"kind": KIND_BASIS}, ValueError),
    ],
)
def test_prorated_line_refuses_bad_input(kwargs, error):
    fields = {
        "kind": KIND_ALIS,
        "annual": D("120000"),
        "start": date(2020, 1, 1),
        "end": None,
        "month": m(2020, 6),
    }
    with pytest.raises(error):
        prorated_line(**(fields | kwargs))


# --- korreksjon ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "closed", "booked", "expected"),
    [
        (D("100.00"), D("90.00"), D("0.00"), "10.00"),
        (D("100.00"), D("90.00"), D("10.00"), "0.00"),  # already booked: nothing more
        (D("90.00"), D("100.00"), D("0.00"), "-10.00"),
        (D("100.00"), D("90.00"), D("15.00"), "-5.00"),
        (D("0.00"), D("24041.67"), D("0.00"), "-24041.67"),  # a line that disappeared
        (D("9616.67"), D("0"), D("0"), "9616.67"),  # a line that appeared
        (100, 90, 0, "10.00"),
    ],
)
def test_correction_amount(new, closed, booked, expected):
    assert str(correction_amount(new=new, closed=closed, booked=booked)) == expected


def test_correction_amount_refuses_float():
    with pytest.raises(TypeError):
        correction_amount(new=100.0, closed=D("90"), booked=D("0"))


def test_kind_constants_are_the_wire_values():
    assert (rules.KIND_BASIS, rules.KIND_BASIS_UNDER, rules.KIND_BASIS_OVER, rules.KIND_GRUNNTILSKUDD) == (
        "basis",
        "basis_under",
        "basis_over",
        "grunntilskudd",
    )
    assert (rules.KIND_INTRODUKSJON, rules.KIND_ALIS, rules.KIND_KORREKSJON) == (
        "introduksjon",
        "alis",
        "korreksjon",
    )
    assert (rules.METHOD_MONTHLY, rules.METHOD_DAILY) == ("annual_12", "annual_365_days")
