"""The one place that rounds and formats money (STYLE.md "Money", docs/payments.md and §11).

Amounts are `Decimal` kroner, never float: a float has already lost øre before we see it, so every
helper here refuses one with TypeError. Rounding is half-up (away from zero on a tie) to øre, the way
a caseworker rounds by hand; Python's default banker's rounding would turn 65,585 into 65,58.
Formatting follows Bokmål: "1 234,50 kr" with a no-break space (U+00A0) between thousands.
"""

from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext

ORE = Decimal("0.01")
NBSP = "\xa0"
# Wide enough for any product of counts, rates, weights and days we multiply before rounding once.
WORKING_PRECISION = 60


def to_decimal(value: int | Decimal, *, what: str = "beløp") -> Decimal:
    """An int or a finite Decimal as Decimal; float, bool, str and non-finite values are refused."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        # bool is an int subclass, but True kroner is a bug, not a number.
        raise TypeError(f"{what} må være Decimal eller int, ikke {type(value).__name__}: {value!r}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{what} må være et endelig tall, ikke {value}")
    return value


def round_kr(value: int | Decimal) -> Decimal:
    """`value` rounded half-up to 2 places (øre); the only rounding of money in the project (docs/payments.md).

    Rounds the exact operand once (quantize does not round it to the context first), so pass the
    unrounded product/quotient. Never returns negative zero.
    """
    value = to_decimal(value)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        result = value.quantize(ORE, rounding=ROUND_HALF_UP)
    return abs(result) if result == 0 else result


def exact_product(*factors: int | Decimal) -> Decimal:
    """The product of `factors`, exact: raises decimal.Inexact rather than round it silently."""
    result = Decimal(1)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        ctx.traps[Inexact] = True
        for factor in factors:
            result *= to_decimal(factor, what="faktor")
    return result


def divide_and_round_kr(numerator: int | Decimal, denominator: int | Decimal) -> Decimal:
    """round_kr(numerator / denominator) with the quotient carried to 60 significant digits.

    The numerator must be the exact product (no rounding before this call: docs/payments.md "no intermediate
    rounding"). The denominators we use (12, 365, 12 × days in month) give a terminating or short
    repeating expansion, so 60 digits can never turn a non-tie into a false .005 tie.
    """
    numerator = to_decimal(numerator)
    denominator = to_decimal(denominator, what="divisor")
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return round_kr(numerator / denominator)


def format_number_nb(value: int | Decimal, decimals: int = 0) -> str:
    """Bokmål number: `format_number_nb(Decimal("38466.67"), 2) == "38\\xa0466,67"`, `-1\\xa0234,50`.

    Rounded half-up to `decimals` places for display; a value that rounds to zero shows no minus.
    """
    value = to_decimal(value, what="tall")
    if decimals < 0:
        raise ValueError("decimals kan ikke være negativ")
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.{decimals}f}"  # "1,234.50" in the C locale, swapped to nb below
    return sign + text.replace(",", NBSP).replace(".", ",")


def format_kr(value: int | Decimal) -> str:
    """An amount as shown in the UI and statements: `"38\\xa0466,67 kr"` (docs/architecture.md "1 234,50 kr")."""
    return f"{format_number_nb(value, 2)} kr"


def format_rate(value: int | Decimal) -> str:
    """A rate without needless decimals: 577 → "577", 787.02 → "787,02", 841.80 → "841,80".

    Whole kroner show no decimals; otherwise øre (2 places), or more if the rate really has them.
    """
    value = to_decimal(value, what="sats")
    if value == value.to_integral_value():
        return format_number_nb(value, 0)
    return format_number_nb(value, max(2, -value.normalize().as_tuple().exponent))
