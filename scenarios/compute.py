"""The computation of a scenario: the ledger of docs/payments.md with another rate schedule. Reads only; it writes
nothing at all (the run's service stores the outcome).

For each month of the period it fetches the ledger's inputs once (`grants.services.ledger.month_inputs`:
counts with holders, missing lists, agreement lines) and calls `compute_months` — the function a real
recompute uses, with the same pure rules — twice on them: with the real rate table (the *actual* side: what a
recompute of the month gives now) and with the scenario's rate row (`scenarios.rules.scenario_rate`) and
grunntilskudd duration. So there is no second implementation of §5, and the number of queries is a constant
per month whatever the number of lists and municipalities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from grants import rules as ledger_rules
from grants.rules import Rate
from grants.services import ledger
from scenarios import rules

ZERO = Decimal("0.00")


@dataclass
class KindFigures:
    actual: Decimal = ZERO
    scenario: Decimal = ZERO
    actual_lines: int = 0
    scenario_lines: int = 0


@dataclass
class MonthFigures:
    month: date
    real_rate: Rate | None
    scenario_rate: Rate
    kinds: dict[str, KindFigures] = field(default_factory=lambda: defaultdict(KindFigures))
    missing: int = 0

    @property
    def actual(self) -> Decimal:
        return sum((k.actual for k in self.kinds.values()), ZERO)

    @property
    def scenario(self) -> Decimal:
        return sum((k.scenario for k in self.kinds.values()), ZERO)


@dataclass
class ListFigures:
    """One list over the period: its totals on both sides, the months it had lines, its latest payee."""

    municipality_id: int
    doctor_id: int | None = None
    kept: bool = False
    actual: Decimal = ZERO
    scenario: Decimal = ZERO
    months: int = 0


@dataclass
class Outcome:
    months: list[MonthFigures]
    lists: dict[int, ListFigures]


def compute(*, municipality_ids: list[int], months: list[date], schedule: rules.Schedule, real_rates=None,
            progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Actual and scenario figures per month and kind, and per list over the period (see the module)."""
    real_rates = real_rates if real_rates is not None else ledger.rate_rows()
    real_utjamning = ledger.utjamning_rows()
    utjamning = rules.scenario_utjamning(schedule, real_utjamning)
    lists: dict[int, ListFigures] = {}
    figures = []
    for index, month in enumerate(months):
        real_rate = rules.real_rate_for(real_rates, month)
        scenario_rate = rules.scenario_rate(schedule, real_rate, month)
        inputs = ledger.month_inputs(municipality_ids, month)  # fetched once, computed with both schedules
        actual = ledger.compute_months(municipality_ids, month, rates=real_rates, inputs=inputs,
                                       utjamning=real_utjamning)
        scenario = ledger.compute_months(municipality_ids, month, rates=[scenario_rate], inputs=inputs,
                                         grunntilskudd_months=schedule.grunntilskudd_months, utjamning=utjamning)
        month_figures = MonthFigures(month, real_rate, scenario_rate)
        seen: set[int] = set()
        for municipality_id in municipality_ids:
            month_figures.missing += len(actual[municipality_id].missing)
            for line in actual[municipality_id].lines:
                kind = month_figures.kinds[line.kind]
                kind.actual += line.amount
                kind.actual_lines += 1
                if line.list_id is not None:
                    row = _list_row(lists, line, municipality_id, seen)
                    row.actual += line.amount
            for line in scenario[municipality_id].lines:
                amount = _scenario_amount(line, schedule, month)
                if not amount:
                    continue
                kind = month_figures.kinds[line.kind]
                kind.scenario += amount
                kind.scenario_lines += 1
                if line.list_id is not None:
                    _list_row(lists, line, municipality_id, seen).scenario += amount
        figures.append(month_figures)
        if progress is not None:
            progress(index + 1, len(months))
    return Outcome(figures, lists)


def _list_row(lists: dict[int, ListFigures], line, municipality_id: int, seen: set[int]) -> ListFigures:
    row = lists.get(line.list_id)
    if row is None:
        row = lists[line.list_id] = ListFigures(municipality_id)
    if line.list_id not in seen:  # first line of the list this month: count the month, take its payee
        seen.add(line.list_id)
        row.months += 1
        row.doctor_id, row.kept = line.doctor_id, line.kept
    return row


def _scenario_amount(line, schedule: rules.Schedule, month: date) -> Decimal:
    """The scenario's amount of a computed line: as computed, except agreement lines at another percentage of
    the agreed annual amount (same days covered, same rule)."""
    percent = schedule.percent_for(line.kind)
    if line.kind not in ledger_rules.PRORATED_KINDS or percent == rules.HUNDRED:
        return line.amount
    scaled = rules.agreement_line(kind=line.kind, annual=line.annual_rate, days=line.quantity, month=month,
                                  percent=percent)
    return scaled.amount if scaled is not None else ZERO
