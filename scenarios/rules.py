"""Pure rules of "Hva om" (scenarios): which rate row a scenario puts in force for a month, the agreement
lines at another annual amount, and the figures of the result page. No ORM, no I/O.

No payment is computed here: every amount comes from grants.rules (docs/payments.md), called with the `Rate` this
module builds. docs/scenarios.md explains the choices in prose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import Decimal

from core.money import exact_product, format_number_nb, format_rate
from core.months import add_months, format_month
from grants import rules as ledger_rules
from grants.rules import GRUNNTILSKUDD_FLOOR, GRUNNTILSKUDD_MONTHS, MODEL_FLAT, MODEL_KNEKKPUNKT, MODELS, Rate

HUNDRED = Decimal(100)
MAX_MONTHS = 120  # a scenario spans at most ten years of months
PERCENT_FIELDS = {ledger_rules.KIND_INTRODUKSJON: "introduksjon_percent", ledger_rules.KIND_ALIS: "alis_percent"}


@dataclass(frozen=True)
class Schedule:
    """A scenario's alternative rate schedule. `None` (and model "") means "as the real row in force that
    month", so a scenario can change one thing (say the knekkpunkt) and follow the real table in the rest.

    `paid_up_to`: patients beyond it get no basistilskudd; `no_paid_up_to` removes the cap altogether.
    Introduksjon and ALIS: a percentage of each agreement's own annual amount (100 = as agreed)."""

    model: str = ""
    knekkpunkt: int | None = None
    rate_under: Decimal | None = None
    rate_over: Decimal | None = None
    paid_up_to: int | None = None
    no_paid_up_to: bool = False
    grunntilskudd_floor: int = GRUNNTILSKUDD_FLOOR
    grunntilskudd_months: int = GRUNNTILSKUDD_MONTHS
    introduksjon_percent: Decimal = HUNDRED
    alis_percent: Decimal = HUNDRED
    # utjamningstilskudd: another reference list length / population limit (None: the real parameter row's)
    utjamning_reference: int | None = None
    utjamning_population_limit: int | None = None

    def __post_init__(self):
        if self.model and self.model not in MODELS:
            raise ValueError(f"Ukjent modell {self.model!r}; gyldige er {', '.join(MODELS)}.")
        if self.grunntilskudd_floor < 1 or self.grunntilskudd_months < 1:
            raise ValueError("Gulvet og varigheten for grunntilskudd må være minst 1.")
        if self.introduksjon_percent < 0 or self.alis_percent < 0:
            raise ValueError("Prosenten kan ikke være negativ.")
        if any(value is not None and value < 1 for value in (self.utjamning_reference,
                                                             self.utjamning_population_limit)):
            raise ValueError("Referanselisten og innbyggergrensen for utjamningstilskudd må være minst 1.")

    def as_dict(self) -> dict:
        """JSON-safe (Decimals as strings), for the run's snapshot of what it computed."""
        return {field.name: (str(value) if isinstance(value, Decimal) else value)
                for field in fields(self) for value in [getattr(self, field.name)]}

    @classmethod
    def from_dict(cls, data: dict) -> Schedule:
        decimals = {"rate_under", "rate_over", "introduksjon_percent", "alis_percent"}
        known = {field.name for field in fields(cls)}
        return cls(**{key: (Decimal(value) if key in decimals and value is not None else value)
                      for key, value in data.items() if key in known})

    @property
    def changes_grunntilskudd(self) -> bool:
        return (self.grunntilskudd_floor, self.grunntilskudd_months) != (GRUNNTILSKUDD_FLOOR, GRUNNTILSKUDD_MONTHS)

    def percent_for(self, kind: str) -> Decimal:
        return getattr(self, PERCENT_FIELDS[kind]) if kind in PERCENT_FIELDS else HUNDRED


def scenario_utjamning(schedule: Schedule, real: list[ledger_rules.UtjamningParameter]
                       ) -> list[ledger_rules.UtjamningParameter]:
    """The utjamning parameter rows the scenario puts in force: the real rows (rate, status, dates) with the scenario's
    reference list length and population limit where it has them. No real row, no utjamning: a scenario cannot
    invent one before 2023-07 (docs/scenarios.md)."""
    changes = {name: value for name, value in (("reference", schedule.utjamning_reference),
                                               ("population_limit", schedule.utjamning_population_limit))
               if value is not None}
    return [replace(row, **changes) for row in real]


# The flat kr 499 of before the action plan, no cap: the counterfactual of "Effekt av handlingsplanen".
FLAT_499 = Schedule(model=MODEL_FLAT, rate_under=Decimal(499), no_paid_up_to=True)


def period_months(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both inclusive (firsts of months)."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def scenario_rate(schedule: Schedule, real: Rate | None, month: date) -> Rate:
    """The rate row the scenario puts in force for `month`: the real row in force (`real`, None before the
    first row) with the scenario's values where it has them. The computation method and status stay the real
    row's. ValueError in Norwegian, naming the month and what to fill in, when the combination is incomplete
    (a knekkpunkt model in a month whose real row has no knekkpunkt, and none given)."""
    label = format_month(month)
    model = schedule.model or (real.model if real else "")
    if not model:
        raise ValueError(f"{label}: ingen sats gjelder denne måneden. Velg modell og fyll inn satsene.")

    def pick(value, attribute):
        if value is not None:
            return value
        if real is not None and getattr(real, attribute) is not None and (attribute != "knekkpunkt"
                                                                           or real.model == MODEL_KNEKKPUNKT):
            return getattr(real, attribute)
        return None

    rate_under = pick(schedule.rate_under, "rate_under")
    if rate_under is None:
        raise ValueError(f"{label}: fyll inn sats under knekkpunkt (eller sats per pasient).")
    knekkpunkt = rate_over = None
    if model == MODEL_KNEKKPUNKT:
        knekkpunkt, rate_over = pick(schedule.knekkpunkt, "knekkpunkt"), pick(schedule.rate_over, "rate_over")
        if knekkpunkt is None or rate_over is None:
            raise ValueError(f"{label}: gjeldende sats har ikke knekkpunkt. Fyll inn knekkpunkt og sats over "
                             "knekkpunkt.")
    paid_up_to = None if schedule.no_paid_up_to else pick(schedule.paid_up_to, "paid_up_to")
    base = real or Rate(valid_from=month, model=MODEL_FLAT, rate_under=rate_under)
    try:
        return replace(base, model=model, rate_under=rate_under, knekkpunkt=knekkpunkt, rate_over=rate_over,
                       paid_up_to=paid_up_to,
                       grunntilskudd_floor=schedule.grunntilskudd_floor)
    except ValueError as error:
        raise ValueError(f"{label}: {error}") from None


def schedule_error(schedule: Schedule, real_rates, months: list[date]) -> str | None:
    """The first month the scenario cannot be computed for, with the reason; None when every month can."""
    for month in months:
        try:
            scenario_rate(schedule, real_rate_for(real_rates, month), month)
        except ValueError as error:
            return str(error)
    return None


def real_rate_for(real_rates, month: date) -> Rate | None:
    try:
        return ledger_rules.rate_for_month(real_rates, month)
    except ValueError:
        return None


def agreement_line(*, kind: str, annual: Decimal, days: int, month: date, percent: Decimal):
    """The ledger's `introduksjon`/`alis` line for the same days covered, at `percent` % of the agreed annual
    amount, by grants.rules.prorated_line. The amount depends only on the number of days covered, so the
    month's first `days` days stand in for the agreement's own dates."""
    scaled = exact_product(annual, percent).scaleb(-2)
    return ledger_rules.prorated_line(kind=kind, annual=scaled, start=month, end=month + timedelta(days=days - 1),
                                      month=month)


def describe_rate(rate: Rate | None) -> str:
    """"Knekkpunkt 1 000: kr 577 / kr 499" — one line for the rates table of the result page."""
    if rate is None:
        return "ingen sats"
    if rate.model == MODEL_KNEKKPUNKT:
        text = (f"knekkpunkt {format_number_nb(rate.knekkpunkt)}: kr {format_rate(rate.rate_under)} under, "
                f"kr {format_rate(rate.rate_over)} over")
    elif rate.model == MODEL_FLAT:
        text = f"flat kr {format_rate(rate.rate_under)}"
    else:
        text = f"pasienttilpasset kr {format_rate(rate.rate_under)} × behovsindeks"
    if rate.paid_up_to is not None:
        text += f", betalt opp til {format_number_nb(rate.paid_up_to)}"
    floor = rate.grunntilskudd_floor
    if floor != GRUNNTILSKUDD_FLOOR:
        text += f", grunntilskudd som for {format_number_nb(floor)}"
    return text


# --- figures of the result page ----------------------------------------------------------------------------


def _nice_step(raw: int) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10^k kroner that is at least `raw` (bins a reader can add up)."""
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for factor in (1, 2, 2.5, 5, 10):
        step = int(magnitude * factor)
        if step >= raw and step == magnitude * factor:
            return step
    return magnitude * 10


def histogram(differences: list[Decimal], *, bins_per_side: int = 6) -> list[dict]:
    """How many lists gain or lose, and by how much: "uendret" in the middle, then bins of a round width in
    kroner on each side (the most negative first). Each bin: label, lower and upper bound (kr), count."""
    largest = max((abs(d) for d in differences), default=Decimal(0))
    step = _nice_step(max(1, math.ceil(largest / bins_per_side)))  # in whole kroner
    losses, gains, same = [0] * bins_per_side, [0] * bins_per_side, 0
    for difference in differences:
        if difference == 0:
            same += 1
            continue
        index = min(int((abs(difference) - Decimal("0.01")) // step), bins_per_side - 1)
        (gains if difference > 0 else losses)[index] += 1
    # a side shows its bins up to the last one that holds a list (none when no list is on that side)
    losses = losses[:max((i + 1 for i, n in enumerate(losses) if n), default=0)]
    gains = gains[:max((i + 1 for i, n in enumerate(gains) if n), default=0)]
    out = []
    for index in reversed(range(len(losses))):
        low, high = -(index + 1) * step, -index * step
        out.append({"label": f"{format_number_nb(low)} til {format_number_nb(high)}", "low": low, "high": high,
                    "count": losses[index], "side": "lose"})
    out.append({"label": "uendret", "low": 0, "high": 0, "count": same, "side": "same"})
    for index in range(len(gains)):
        low, high = index * step, (index + 1) * step
        out.append({"label": f"{format_number_nb(low)} til {format_number_nb(high)}", "low": low, "high": high,
                    "count": gains[index], "side": "gain"})
    return out


def size_curve(rates: dict[str, Rate], month: date, *, grunntilskudd: bool = False, listetak: int = 2500
               ) -> dict:
    """Monthly basistilskudd (and grunntilskudd when `grunntilskudd`) of a list of n patients, for each named
    rate, by grants.rules.month_lines: the payment-against-list-size chart, where the knekkpunkt is a kink.
    Points every 50 patients plus each rate's knekkpunkt, cap and floor, so the corners are drawn sharp."""
    corners = set()
    for rate in rates.values():
        corners |= {value for value in (rate.knekkpunkt, rate.paid_up_to) if value}
        floor = rate.grunntilskudd_floor
        corners |= {floor - 1, floor}
    top = max([3000, *(value + 500 for value in corners)])
    points = sorted({*range(0, top + 1, 50), *corners} - {-1})
    series = {}
    for name, rate in rates.items():
        series[name] = [str(sum((line.amount for line in ledger_rules.month_lines(
            n=n, listetak=listetak, rate=rate, month=month, grunntilskudd_covers=grunntilskudd)), Decimal("0.00")))
            for n in points]
    return {"n": points, "series": series}


def action_plan_rows(result: dict) -> list[dict]:
    """«Effekt av handlingsplanen», one row per month of a run's result: basis paid vs the flat kr 499 (the
    knekkpunkt effect), grunntilskudd (kroner and lists), agreements active and paid, all computed, and what the
    ledger has booked (docs/scenarios.md)."""
    agreements = result.get("agreements") or {}
    introduksjon, alis = agreements.get("introduksjon") or [], agreements.get("alis") or []
    rows = []
    for index, month in enumerate(result.get("months", [])):
        kinds = {k["kind"]: k for k in month["kinds"]}

        def total(names, side, kinds=kinds):
            return sum((Decimal(kinds[k][side]) for k in names if k in kinds), Decimal("0.00"))

        basis, flat = (total(ledger_rules.BASIS_KINDS, side) for side in ("actual", "scenario"))
        grunntilskudd = kinds.get(ledger_rules.KIND_GRUNNTILSKUDD, {})
        rows.append({
            "month": month["month"], "label": month["label"], "basis": basis, "flat": flat, "effect": basis - flat,
            "grunntilskudd": Decimal(grunntilskudd.get("actual", "0")),
            "grunntilskudd_lists": grunntilskudd.get("actual_lines", 0),
            "introduksjon": introduksjon[index] if index < len(introduksjon) else 0,
            "introduksjon_kr": total([ledger_rules.KIND_INTRODUKSJON], "actual"),
            "alis": alis[index] if index < len(alis) else 0,
            "alis_kr": total([ledger_rules.KIND_ALIS], "actual"),
            "total": Decimal(month["actual"]),
            "booked": Decimal(month["booked"]) if month["booked"] is not None else None,
            "estimate": month["estimate"], "missing": month["missing"],
        })
    return rows
