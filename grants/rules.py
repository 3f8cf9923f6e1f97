"""Pure money rules of the monthly payment ledger (docs/rates.md, docs/payments.md): no ORM, no I/O.

The ledger service snapshots `RateSchedule` rows into `Rate`, asks these functions for the lines of a
list-month or an agreement-month, and writes what they return. Every amount is computed exactly and
rounded once, per line, half-up to øre (`core.money`); every line carries its Norwegian explanation,
built here next to the amount it explains. docs/rates.md explains the rates and the rules in prose.
"""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.i18n import text
from core.money import (
    divide_and_round_kr,
    exact_product,
    format_number_nb,
    format_rate,
    round_kr,
    to_decimal,
)
from core.months import add_months, format_month, month_label_lazy
from core.workflow import Check

MODEL_FLAT, MODEL_KNEKKPUNKT, MODEL_PASIENTTILPASSET = "flat", "knekkpunkt", "pasienttilpasset"
MODELS = (MODEL_FLAT, MODEL_KNEKKPUNKT, MODEL_PASIENTTILPASSET)
# annual / 12 × n (Helfo since at least 2022), or annual / 365 × days in month × n (Helfo 2016–?).
METHOD_MONTHLY, METHOD_DAILY = "annual_12", "annual_365_days"
METHODS = (METHOD_MONTHLY, METHOD_DAILY)
STATUS_BEKREFTET, STATUS_ESTIMAT = "bekreftet", "estimat"
STATUSES = (STATUS_BEKREFTET, STATUS_ESTIMAT)

KIND_BASIS, KIND_BASIS_UNDER, KIND_BASIS_OVER = "basis", "basis_under", "basis_over"
KIND_GRUNNTILSKUDD, KIND_INTRODUKSJON, KIND_ALIS, KIND_KORREKSJON = (
    "grunntilskudd",
    "introduksjon",
    "alis",
    "korreksjon",
)
KIND_UTJAMNING = "utjamning"  # utjamningstilskudd for small municipalities (docs/rates.md, «Utjamningstilskudd»)
BASIS_KINDS = (KIND_BASIS, KIND_BASIS_UNDER, KIND_BASIS_OVER)
PRORATED_KINDS = (KIND_INTRODUKSJON, KIND_ALIS)

GRUNNTILSKUDD_FLOOR = 500  # patients; the same in every rate row (docs/rates.md)
KNEKKPUNKT = 1000  # patients; the action plan's, in every knekkpunkt row (docs/rates.md)
DAYS_PER_YEAR_DAILY = 365  # the old Helfo method divides by 365 in leap years too


@dataclass(frozen=True)
class Rate:
    """A plain snapshot of one `RateSchedule` row (docs/rates.md).

    `rate_under` is r_u: the under-knekkpunkt rate, and the only rate of a flat or pasienttilpasset
    row. Annual kroner per listeinnbygger, Decimal only.
    """

    valid_from: date
    model: str
    rate_under: Decimal
    knekkpunkt: int | None = None
    rate_over: Decimal | None = None
    paid_up_to: int | None = None
    method: str = METHOD_MONTHLY
    status: str = STATUS_BEKREFTET
    grunntilskudd_floor: int = GRUNNTILSKUDD_FLOOR  # 500 in every real row; a scenario may try another

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"Ukjent modell {self.model!r}; gyldige er {', '.join(MODELS)}.")
        if self.method not in METHODS:
            raise ValueError(f"Ukjent beregningsmåte {self.method!r}; gyldige er {', '.join(METHODS)}.")
        if self.status not in STATUSES:
            raise ValueError(f"Ukjent status {self.status!r}; gyldige er {', '.join(STATUSES)}.")
        if to_decimal(self.rate_under, what="sats under knekkpunkt") < 0:
            raise ValueError("Satsen kan ikke være negativ.")
        if self.model == MODEL_KNEKKPUNKT:
            if not self.knekkpunkt or self.knekkpunkt < 1 or self.rate_over is None:
                raise ValueError("En knekkpunkt-sats må ha knekkpunkt (over 0) og sats over knekkpunkt.")
            if to_decimal(self.rate_over, what="sats over knekkpunkt") < 0:
                raise ValueError("Satsen kan ikke være negativ.")
        if self.paid_up_to is not None and self.paid_up_to < 0:
            raise ValueError("«Betalt opp til» kan ikke være negativ.")

    @property
    def is_estimate(self) -> bool:
        return self.status == STATUS_ESTIMAT


@dataclass(frozen=True)
class Line:
    """One computed payment line (docs/payments.md) before the service adds list, payee and month.

    `annual_rate` is the schedule's unweighted annual rate, or the annual contribution/payment of an
    introduksjonsavtale/ALIS agreement (the export's `sats`). `amount` is rounded to øre, once.
    """

    kind: str
    quantity: int | Decimal | None  # Decimal (4 places) only for utjamning: 1 200 − a
    annual_rate: Decimal
    amount: Decimal
    explanation: str


def _d(year: int, month: int) -> date:
    return date(year, month, 1)


# docs/rates.md, in order. The data migration ships these rows; sources are in SHIPPED_RATE_SOURCES and
# docs/rates.md (kept out of Rate so a snapshot from the database compares equal to these).
SHIPPED_RATES: tuple[Rate, ...] = (
    Rate(_d(2020, 1), MODEL_FLAT, Decimal("499")),
    Rate(_d(2020, 5), MODEL_KNEKKPUNKT, Decimal("577"), knekkpunkt=KNEKKPUNKT, rate_over=Decimal("499")),
    Rate(_d(2021, 7), MODEL_KNEKKPUNKT, Decimal("642"), knekkpunkt=KNEKKPUNKT, rate_over=Decimal("526")),
    Rate(_d(2022, 1), MODEL_KNEKKPUNKT, Decimal("653"), knekkpunkt=KNEKKPUNKT, rate_over=Decimal("526")),
    Rate(
        _d(2022, 7),
        MODEL_KNEKKPUNKT,
        Decimal("675"),
        knekkpunkt=KNEKKPUNKT,
        rate_over=Decimal("544"),
        paid_up_to=2500,
    ),
    Rate(_d(2023, 5), MODEL_PASIENTTILPASSET, Decimal("787.02"), status=STATUS_ESTIMAT),
    Rate(_d(2023, 7), MODEL_PASIENTTILPASSET, Decimal("841.80")),
    Rate(_d(2024, 7), MODEL_PASIENTTILPASSET, Decimal("861.16"), status=STATUS_ESTIMAT),
)

SHIPPED_RATE_SOURCES: dict[date, str] = {
    _d(2020, 1): "Helfo: flat 499 fra 2019-07-01 (no.wikipedia «Percapitatilskudd»); jan.–apr. 2020 antatt",
    _d(2020, 5): "Handlingsplan for allmennlegetjenesten; Helsedirektoratet, årsrapport 2021 kap. 4.3",
    _d(2021, 7): "KS, «Resultat av takstoppgjøret for legene 2021»",
    _d(2022, 1): "KS, «Resultat av takstoppgjøret for legene 2021»",
    _d(2022, 7): "KS, «Resultat av takstoppgjøret for legene 2022»",
    _d(2023, 5): "Anslag: 841,80 / 1,0696 (økningen på 6,96 % fra 2023-07-01 trukket tilbake)",
    _d(2023, 7): "Helsedirektoratet, Allmennlegetjenesten årsrapport 2023 kap. 5.4 (nasjonalt gjennomsnitt)",
    _d(2024, 7): "Anslag: 841,80 × 1,023 (Helfo: generell regulering 2,3 % fra 2024-07-01)",
}


# --- helpers ---------------------------------------------------------------------------------------------


def _first_of_month(month: date) -> date:
    return month.replace(day=1)


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def _check_count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} må være et heltall, ikke {type(value).__name__}: {value!r}")
    if value < 0:
        raise ValueError(f"{what} kan ikke være negativ ({value}).")
    return value


def _patients(n: int) -> str:
    return f"{format_number_nb(n)} {'pasient' if n == 1 else 'pasienter'}"


def _period(rate: Rate, month: date) -> tuple[int, int, str]:
    """(multiplier, divisor, text) that turn an annual amount into this month's, by the row's method."""
    if rate.method == METHOD_DAILY:
        days = days_in_month(month)
        return days, DAYS_PER_YEAR_DAILY, f"× {days} / {DAYS_PER_YEAR_DAILY}"
    return 1, 12, "/ 12"


def _per_patient_amount(rate: Rate, month: date, patients: int, annual: Decimal, weight: Decimal) -> Decimal:
    """round(patients × annual × weight / 12) (or × days / 365), exact until one rounding (docs/payments.md)."""
    multiplier, divisor, _ = _period(rate, month)
    return divide_and_round_kr(exact_product(patients, annual, weight, multiplier), divisor)


def _behovsindeks(behovsindeks: Decimal | None) -> Decimal | None:
    if behovsindeks is None:
        return None
    value = to_decimal(behovsindeks, what="behovsindeks")
    if value <= 0:
        raise ValueError(f"Behovsindeks må være større enn 0 ({value}).")
    return value


# --- rates -----------------------------------------------------------------------------------------------


def rate_for_month(rates: Iterable[Rate], month: date) -> Rate:
    """The row in force on the 1st of `month` (latest `valid_from` <= that day); it applies to the whole
    month (docs/rates.md). A mid-month `month` is read as its month. ValueError when no row is in force."""
    first = _first_of_month(month)
    in_force = [rate for rate in rates if rate.valid_from <= first]
    if not in_force:
        raise ValueError(f"Ingen basistilskuddsats gjelder for {format_month(first)}.")
    return max(in_force, key=lambda rate: rate.valid_from)


# --- basistilskudd ---------------------------------------------------------------------------------------


def basis_lines(*, n: int, rate: Rate, month: date, behovsindeks: Decimal | None = None) -> list[Line]:
    """The list's basistilskudd lines for one month (docs/payments.md).

    n is capped at `paid_up_to` when the row has one. Flat and pasienttilpasset rows give one `basis`
    line, round(n × r × w / 12), w = behovsindeks only for pasienttilpasset (1 when absent). A
    knekkpunkt row gives `basis_under` round(min(n, K) × r_u / 12) and, when n > K, `basis_over`
    round((n − K) × r_o / 12). n = 0 and zero amounts give no line.
    """
    n = _check_count(n, "Antall pasienter")
    w = _behovsindeks(behovsindeks)
    if rate.model != MODEL_PASIENTTILPASSET:
        w = None  # the weight belongs to the pasienttilpasset model only
    paid = min(n, rate.paid_up_to) if rate.paid_up_to is not None else n
    _, _, period_text = _period(rate, month)

    parts = []  # (kind, patients, annual rate, weight, explanation)
    if rate.model == MODEL_KNEKKPUNKT:
        k = rate.knekkpunkt
        under, over = min(paid, k), max(paid - k, 0)
        if under:
            parts.append((KIND_BASIS_UNDER, under, rate.rate_under, Decimal(1),
                          f"{_patients(under)} × kr {format_rate(rate.rate_under)} {period_text} "
                          f"(under knekkpunkt {format_number_nb(k)})"))
        if over:
            parts.append((KIND_BASIS_OVER, over, rate.rate_over, Decimal(1),
                          f"{_patients(over)} over knekkpunkt {format_number_nb(k)} "
                          f"× kr {format_rate(rate.rate_over)} {period_text}"))
    elif paid:
        weight_text = f" × behovsindeks {format_number_nb(w, 4)}" if w is not None else ""
        parts.append((KIND_BASIS, paid, rate.rate_under, w if w is not None else Decimal(1),
                      f"{_patients(paid)} × kr {format_rate(rate.rate_under)}{weight_text} {period_text}"))
    lines = [Line(kind, count, annual, _per_patient_amount(rate, month, count, annual, weight), text)
             for kind, count, annual, weight, text in parts]

    lines = [line for line in lines if line.amount != 0]
    if lines and paid < n:
        # The cap cuts the top patients, who are on the last line (over knekkpunkt, if any).
        note = f" ({_patients(n)}, betalt opp til {format_number_nb(rate.paid_up_to)})"
        lines[-1] = replace(lines[-1], explanation=lines[-1].explanation + note)
    return lines


# --- grunntilskudd ---------------------------------------------------------------------------------------


def grunntilskudd_floor_amount(*, rate: Rate, month: date) -> Decimal:
    """round(floor × r_u / 12), floor 500: what a list with grunntilskudd gets in basis + grunntilskudd together.

    Unweighted also under pasienttilpasset: docs/payments.md has no w here, and Hdir (årsrapport 2023 kap. 5.4)
    names the national average rate as the basis for grunntilskudd (docs/rates.md).
    """
    return _per_patient_amount(rate, month, rate.grunntilskudd_floor, rate.rate_under, Decimal(1))


def kept_by_municipality(driftsform: str | None) -> bool:
    """The basistilskudd of a fastlønnet or ubesatt list stays with the municipality: its lines are written with
    the municipality as payee, «beholdes av kommunen» (docs/payments.md)."""
    return driftsform in ("fastlonnet", "ubesatt")


@dataclass(frozen=True)
class Holding:
    """Who holds a list in a month: the ListHolder row in force (doctor None = ubesatt)."""

    doctor_id: int | None
    driftsform: str
    avtale_fra: date | None
    from_month: date | None = None


@dataclass(frozen=True)
class AgreementGap:
    """Why a granted grunntilskudd pays nothing for a holding. `final`: the grant can never pay again (another
    holder, or a new agreement: a new agreement needs a new application); fastlønnet and ubesatt may pass."""

    code: str  # ubesatt, ny_innehaver, fastlonnet, ny_avtale
    message: str  # lazy: the page's language when shown (core.i18n.source_text to store it)

    @property
    def final(self) -> bool:
        return self.code in ("ny_innehaver", "ny_avtale")

    def __str__(self):
        return str(self.message)


def grunntilskudd_agreement_gap(*, doctor_id: int | None, avtale_fra: date | None,
                                holding: Holding | None) -> AgreementGap | None:
    """Why a granted grunntilskudd pays nothing for this holding, or None when it may pay (docs/grants.md).

    Helfo: "Grunntilskotet er knytt til ein fastlegeavtale": the case's doctor must hold the list under the
    agreement the case was granted for (the same `avtale_fra`; an unknown one on the holder matches) as
    næringsdrivende. The same rule judges the submission, every ledger month and the daily expiry job
    (docs/grants.md, «Grunntilskudd følger fastlegeavtalen»)."""
    since = month_label_lazy(holding.from_month) if holding and holding.from_month else None

    def gap(code, message, message_since):
        return AgreementGap(code, text(message_since, month=since) if since else message)

    if holding is None or holding.doctor_id is None or holding.driftsform == "ubesatt":
        return gap("ubesatt", _("listen er ubesatt"), _("listen er ubesatt fra %(month)s"))
    if holding.doctor_id != doctor_id:
        return gap("ny_innehaver", _("listen har ny innehaver"), _("listen har ny innehaver fra %(month)s"))
    if holding.driftsform != "naeringsdrivende":
        return gap("fastlonnet", _("legen er fastlønnet"), _("legen er fastlønnet fra %(month)s"))
    if holding.avtale_fra is not None and avtale_fra is not None and holding.avtale_fra != avtale_fra:
        return AgreementGap("ny_avtale", text(_("legen har en ny fastlegeavtale fra %(new)s (grunntilskuddet gjelder "
                                                "avtalen fra %(old)s)"), new=format_date(holding.avtale_fra),
                                              old=format_date(avtale_fra)))
    return None


@dataclass(frozen=True)
class Covering:
    """A granted grunntilskudd that covers a month: its reference on the line, and the agreement it is for."""

    ref: str  # "grunntilskudd:ID"
    doctor_id: int
    avtale_fra: date

    def gap(self, holding: Holding | None) -> AgreementGap | None:
        return grunntilskudd_agreement_gap(doctor_id=self.doctor_id, avtale_fra=self.avtale_fra, holding=holding)


def paying_case(cases: Sequence[Covering], holding: Holding | None) -> tuple[Covering | None,
                                                                             AgreementGap | None]:
    """The case that pays for this holding, or (None, why none does: the first case's reason)."""
    reasons = []
    for case in cases:
        reason = case.gap(holding)
        if reason is None:
            return case, None
        reasons.append(reason)
    return None, reasons[0] if reasons else None


def _grunntilskudd_conditions_failed(n: int, listetak: int, floor_patients: int) -> list[str]:
    """Why a month pays no grunntilskudd, in the page's language (shown, never stored)."""
    failed = []
    if n >= floor_patients:
        failed.append(ngettext("listen har %(count)s pasient", "listen har %(count)s pasienter", n)
                      % {"count": format_number_nb(n)})
    if listetak <= floor_patients:
        failed.append(gettext("listetaket er %(listetak)s (må være over %(floor)s)")
                      % {"listetak": format_number_nb(listetak), "floor": format_number_nb(floor_patients)})
    return failed


def _basis_total(basis: Sequence[Line]) -> Decimal:
    return sum((line.amount for line in basis if line.kind in BASIS_KINDS), Decimal("0.00"))


def grunntilskudd_line(
    *,
    n: int,
    listetak: int,
    rate: Rate,
    month: date,
    basis: Sequence[Line],
) -> Line | None:
    """The `grunntilskudd` line of a month a granted grunntilskudd covers (docs/payments.md, docs/grants.md), or None.

    Pays only while n < 500 and that month's listetak > 500: quantity 500 − n, amount
    round(500 × r_u / 12) − (the list's basis lines that month, as computed), if positive. Whether a
    grant covers the month is the caller's question.
    """
    n = _check_count(n, "Antall pasienter")
    listetak = _check_count(listetak, "Listetak")
    if _grunntilskudd_conditions_failed(n, listetak, rate.grunntilskudd_floor):
        return None
    floor = grunntilskudd_floor_amount(rate=rate, month=month)
    basis_total = _basis_total(basis)
    amount = round_kr(floor - basis_total)
    if amount <= 0:
        return None
    return Line(
        KIND_GRUNNTILSKUDD,
        rate.grunntilskudd_floor - n,
        rate.rate_under,
        amount,
        f"Grunntilskudd: listen betales som om den hadde {format_number_nb(rate.grunntilskudd_floor)} pasienter "
        f"({format_number_nb(n)} på listen): kr {format_number_nb(floor, 2)} − basistilskudd "
        f"kr {format_number_nb(basis_total, 2)}",
    )


def grunntilskudd_reason_none(
    *,
    n: int | None,
    listetak: int,
    rate: Rate | None = None,
    month: date | None = None,
    basis: Sequence[Line] = (),
) -> str | None:
    """Why a month a grunntilskudd covers pays nothing (docs/grants.md), e.g. "listen har 512 pasienter" or
    "listetaket er 500 (må være over 500)"; None when it pays.

    Given `rate`, `month` and `basis` it also names the rare case where the conditions hold but the
    basis lines already reach the floor (pasienttilpasset with behovsindeks above 1).
    """
    if n is None:
        return gettext("mangler listetall")
    n = _check_count(n, "Antall pasienter")
    floor_patients = rate.grunntilskudd_floor if rate is not None else GRUNNTILSKUDD_FLOOR
    failed = _grunntilskudd_conditions_failed(n, _check_count(listetak, "Listetak"), floor_patients)
    if failed:
        return gettext(" og ").join(failed)
    if rate is not None and month is not None:
        if grunntilskudd_line(n=n, listetak=listetak, rate=rate, month=month, basis=basis) is None:
            floor = grunntilskudd_floor_amount(rate=rate, month=month)
            return gettext("basistilskuddet (kr %(basis)s) er ikke lavere enn for %(patients)s pasienter "
                           "(kr %(floor)s)") % {"basis": format_number_nb(_basis_total(basis), 2),
                                                "patients": format_number_nb(floor_patients),
                                                "floor": format_number_nb(floor, 2)}
    return None


# --- introduksjon and ALIS -------------------------------------------------------------------------------


def days_covered(*, start: date, end: date | None, month: date) -> int:
    """Days of `month` from `start` to `end`, both inclusive; `end` None = open-ended (docs/payments.md)."""
    first = _first_of_month(month)
    last = first.replace(day=days_in_month(first))
    from_day = max(start, first)
    to_day = last if end is None else min(end, last)
    return max((to_day - from_day).days + 1, 0)


def prorated_line(*, kind: str, annual: Decimal, start: date, end: date | None, month: date) -> Line | None:
    """An `introduksjon` or `alis` line: round(annual × days covered / (12 × days in month)) (docs/payments.md).

    None when the case covers no day of the month or the amount is zero.
    """
    if kind not in PRORATED_KINDS:
        raise ValueError(f"Ukjent linjetype for dagsberegning: {kind!r}.")
    annual = to_decimal(annual, what="årlig beløp")
    if annual < 0:
        raise ValueError(f"Årlig beløp kan ikke være negativt ({annual}).")
    days = days_covered(start=start, end=end, month=month)
    if not days:
        return None
    month_days = days_in_month(month)
    amount = divide_and_round_kr(exact_product(annual, days), 12 * month_days)
    if amount == 0:
        return None
    return Line(
        kind,
        days,
        annual,
        amount,
        f"{days} av {month_days} dager × kr {format_rate(annual)} / 12",
    )


# --- corrections and the month -------------------------------------------------------------------------


def correction_amount(*, new: Decimal, closed: Decimal, booked: Decimal) -> Decimal:
    """The `korreksjon` to book for a closed month: new − (closed + already booked) (docs/payments.md)."""
    return round_kr(to_decimal(new) - (to_decimal(closed) + to_decimal(booked)))


def month_lines(
    *,
    n: int | None,
    listetak: int,
    rate: Rate,
    month: date,
    behovsindeks: Decimal | None = None,
    grunntilskudd_covers: bool,
) -> list[Line]:
    """A list's computed lines for a month: basis lines, then grunntilskudd when a grant covers the
    month (docs/payments.md). [] when the list has no count ("mangler listetall")."""
    if n is None:
        return []
    lines = basis_lines(n=n, rate=rate, month=month, behovsindeks=behovsindeks)
    if grunntilskudd_covers:
        top_up = grunntilskudd_line(n=n, listetak=listetak, rate=rate, month=month, basis=lines)
        if top_up is not None:
            lines.append(top_up)
    return lines


# --- utjamningstilskudd (docs/rates.md, «Utjamningstilskudd») ----------------------------------------------

UTJAMNING_REFERENCE = 1200  # the reference list length (Statsavtalen 2023–24 del II 2.2)
UTJAMNING_POPULATION_LIMIT = 5000  # inhabitants: fewer than this
QUANTITY_PLACES = Decimal("0.0001")  # 1 200 − a is stored and exported with at most 4 decimals
# Why a municipality-month has no utjamning line: the codes of PaymentMonth.utjamning["status"].
UTJAMNING_PAID, UTJAMNING_BEFORE, UTJAMNING_NO_POPULATION = "beregnet", "for_tidlig", "mangler_innbyggertall"
UTJAMNING_TOO_BIG, UTJAMNING_LONG_LISTS, UTJAMNING_NO_DOCTORS = "for_mange_innbyggere", "lange_lister", "ingen_leger"


@dataclass(frozen=True)
class UtjamningParameter:
    """A plain snapshot of one `UtjamningParameter` row: from `valid_from`, a municipality with fewer than
    `population_limit` inhabitants and an average list under `reference` gets utjamning at `annual_rate`."""

    valid_from: date
    annual_rate: Decimal
    reference: int = UTJAMNING_REFERENCE
    population_limit: int = UTJAMNING_POPULATION_LIMIT
    status: str = STATUS_ESTIMAT

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Ukjent status {self.status!r}; gyldige er {', '.join(STATUSES)}.")
        if to_decimal(self.annual_rate, what="sats") < 0:
            raise ValueError("Satsen kan ikke være negativ.")
        if self.reference < 1 or self.population_limit < 1:
            raise ValueError("Referanselisten og innbyggergrensen må være minst 1.")

    @property
    def is_estimate(self) -> bool:
        return self.status != STATUS_BEKREFTET


SHIPPED_UTJAMNING: tuple[UtjamningParameter, ...] = (
    UtjamningParameter(_d(2023, 7), Decimal("841.80")),
    UtjamningParameter(_d(2024, 7), Decimal("861.16")),
)
SHIPPED_UTJAMNING_SOURCES: dict[date, str] = {
    _d(2023, 7): ("Statsavtalen 2023–24 del II pkt. 2.2; Helsedirektoratet, Allmennlegetjenesten årsrapport 2023 "
                  "kap. 5.4 (nasjonal gjennomsnittssats 841,80). Regelen er utledet; Helfo har ikke stadfestet den"),
    _d(2024, 7): "Anslag: 841,80 × 1,023 (Helfo: generell regulering 2,3 % fra 2024-07-01); regelen som over",
}


def utjamning_for_month(parameters: Iterable[UtjamningParameter], month: date) -> UtjamningParameter | None:
    """The parameter row in force on the 1st of `month`, or None before the first row (no utjamning computed)."""
    first = _first_of_month(month)
    in_force = [row for row in parameters if row.valid_from <= first]
    return max(in_force, key=lambda row: row.valid_from) if in_force else None


def format_average(value: Decimal) -> str:
    """An average list length or 1 200 − a in nb: at most 4 decimals, no trailing zeros (762,5; 816,6667)."""
    value = to_decimal(value, what="snitt").quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP).normalize()
    return format_number_nb(value, max(0, -value.as_tuple().exponent))


def plain_quantity(value: int | Decimal | None) -> int | Decimal | None:
    """A line's `antall` for the exports and the API: an integer, or for utjamning 1 200 − a with at most 4 decimals
    and no trailing zeros (437.5); the database keeps every quantity with 4 places."""
    if value is None:
        return None
    value = to_decimal(value, what="antall")
    if value == value.to_integral_value():
        return int(value)
    return value.quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP).normalize()


@dataclass(frozen=True)
class UtjamningHolding:
    """One list of the month that counts for the average: its count and who holds it (ubesatt lists never do)."""

    list_id: int
    listenummer: str
    doctor_id: int
    driftsform: str  # naeringsdrivende or fastlonnet
    n: int


@dataclass(frozen=True)
class UtjamningLine:
    doctor_id: int
    list_id: int
    line: Line


@dataclass(frozen=True)
class UtjamningOutcome:
    """A municipality-month's utjamning: why (a status code), the figures the page shows, and the lines."""

    status: str
    population: int | None = None
    average: Decimal | None = None  # exact
    doctors: int = 0
    parameter: UtjamningParameter | None = None
    lines: tuple[UtjamningLine, ...] = ()

    @property
    def qualifies(self) -> bool:
        return self.status == UTJAMNING_PAID

    def as_dict(self) -> dict:
        """JSON for PaymentMonth.utjamning (the month page, the dashboard and the run report read it)."""
        return {"status": self.status, "innbyggere": self.population,
                "snitt": None if self.average is None else str(self.average.quantize(QUANTITY_PLACES,
                                                                                       rounding=ROUND_HALF_UP)),
                "leger": self.doctors,
                "referanse": self.parameter.reference if self.parameter else None,
                "innbyggergrense": self.parameter.population_limit if self.parameter else None,
                "sats": str(self.parameter.annual_rate) if self.parameter else None,
                "estimat": bool(self.parameter and self.parameter.is_estimate)}


def utjamning_lines(*, parameter: UtjamningParameter | None, population: int | None,
                    holdings: Sequence[UtjamningHolding]) -> UtjamningOutcome:
    """Utjamningstilskudd of one municipality-month (docs/rates.md, «6. Utjamningstilskudd»).

    a = Σ n over the lists with a count and a holder (næringsdrivende or fastlønnet; ubesatt lists are left out by
    the caller) ÷ the number of distinct doctors holding them, exact. With fewer than `population_limit`
    inhabitants and a < `reference`, every næringsdrivende doctor gets one line, on the lowest listenummer they
    hold as næringsdrivende: quantity reference − a, amount round(r × (reference − a) / 12) half-up.
    No parameter row (before 2023-07) or no population: no line, and the status says why."""
    if parameter is None:
        return UtjamningOutcome(UTJAMNING_BEFORE, population=population)
    if population is None:
        return UtjamningOutcome(UTJAMNING_NO_POPULATION, parameter=parameter)
    population = _check_count(population, "Innbyggertall")
    doctors = {holding.doctor_id for holding in holdings}
    if not doctors:
        return UtjamningOutcome(UTJAMNING_NO_DOCTORS, population=population, parameter=parameter)
    total = sum(_check_count(holding.n, "Antall pasienter") for holding in holdings)
    with localcontext() as ctx:
        ctx.prec = 60
        average = Decimal(total) / len(doctors)
    outcome = dict(population=population, average=average, doctors=len(doctors), parameter=parameter)
    if population >= parameter.population_limit:
        return UtjamningOutcome(UTJAMNING_TOO_BIG, **outcome)
    shortfall = parameter.reference * len(doctors) - total  # (reference − a) × doctors, an integer
    if shortfall <= 0:
        return UtjamningOutcome(UTJAMNING_LONG_LISTS, **outcome)
    amount = divide_and_round_kr(exact_product(parameter.annual_rate, shortfall), 12 * len(doctors))
    with localcontext() as ctx:
        ctx.prec = 60
        quantity = (Decimal(shortfall) / len(doctors)).quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)
    explanation = (f"kr {format_number_nb(parameter.annual_rate, 2)} × ({format_number_nb(parameter.reference)} − "
                   f"{format_average(average)}) / 12 (snitt listelengde {format_average(average)}, "
                   f"{format_number_nb(population)} innbyggere)")
    first_list = {}
    for holding in sorted(holdings, key=lambda h: (_listenummer_order(h.listenummer), h.list_id)):
        if holding.driftsform == "naeringsdrivende":
            first_list.setdefault(holding.doctor_id, holding.list_id)
    lines = tuple(UtjamningLine(doctor_id, list_id, Line(KIND_UTJAMNING, quantity, parameter.annual_rate, amount,
                                                         explanation))
                  for doctor_id, list_id in sorted(first_list.items(), key=lambda item: item[1]) if amount)
    return UtjamningOutcome(UTJAMNING_PAID, lines=lines, **outcome)


def _listenummer_order(listenummer: str) -> tuple:
    """Listenummer are text: numbers compare as numbers (9 before 10), others after them as text."""
    return (0, int(listenummer), "") if listenummer.isdigit() else (1, 0, listenummer)


# --- eligibility of grant applications (docs/grants.md) ---------------------------------------------------
# Every check with its outcome and a Norwegian explanation, so the caseworker sees why; a failing check blocks
# approval unless the caseworker records an override reason.

GRUNNTILSKUDD_FROM = date(2020, 5, 1)  # the action plan's first measures
GRUNNTILSKUDD_MONTHS = 24
# "listetak over 500" (the plan; Helfo writes "500 eller høyere", docs/grants.md) and fewer than 500 patients:
# the grunntilskudd floor of the rates, one constant
LISTETAK_OVER = PATIENTS_UNDER = GRUNNTILSKUDD_FLOOR
INTRODUKSJON_FROM = date(2022, 1, 1)
STALE_COUNT_MONTHS = 3  # a list count older than this is named in the check's message (a warning, never a fail)


def format_date(value: date) -> str:
    """31.05.2020 (docs/architecture.md), for messages."""
    return value.strftime("%d.%m.%Y")


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def grunntilskudd_coverage(avtale_fra: date, months: int = GRUNNTILSKUDD_MONTHS) -> tuple[date, date]:
    """First and last month covered: the agreement's start month (not before 2020-05) and the 23 after it
    (`months` other than 24 only in a scenario)."""
    start = avtale_fra.replace(day=1)
    return max(start, GRUNNTILSKUDD_FROM), add_months(start, months - 1)


def grunntilskudd_end(avtale_fra: date) -> date:
    """The last day the grant covers: the end of its 24th month."""
    _, last = grunntilskudd_coverage(avtale_fra)
    return add_months(last, 1) - timedelta(days=1)


def grunntilskudd_period(avtale_fra: date) -> tuple[date, date]:
    """The days the grant covers: from the 1st of its first covered month to the end of its 24th month. A
    termination date must lie inside it (docs/grants.md)."""
    first, _ = grunntilskudd_coverage(avtale_fra)
    return first, grunntilskudd_end(avtale_fra)


def grunntilskudd_covers(*, avtale_fra: date, terminated_on: date | None, month: date,
                         months: int = GRUNNTILSKUDD_MONTHS) -> bool:
    first, last = grunntilskudd_coverage(avtale_fra, months)
    return first <= month <= last and (terminated_on is None or month <= terminated_on)


def grunntilskudd_checks(*, on: date, applicant_id: int | None, holder_id: int | None, holder_name: str,
                         driftsform: str | None, listetak: int | None, patients: int | None,
                         patients_month: date | None, avtale_fra: date | None,
                         agreement_gap=None) -> list[Check]:
    """Judged on the day `on` (the day of submission; today for a draft). `agreement_gap` is
    rules.grunntilskudd_agreement_gap for the holder that day: the rule the ledger and the expiry job use."""
    checks = []
    if holder_id is not None and holder_id == applicant_id:
        checks.append(Check("listeinnehaver", True, _("Søkeren er listeinnehaver.")))
    else:
        checks.append(Check("listeinnehaver", False, text(
            _("Søkeren er ikke listeinnehaver for listen (innehaver nå: %(holder)s)."),
            holder=holder_name or _("ingen – ubesatt"))))
    if driftsform == "naeringsdrivende":
        checks.append(Check("driftsform", True, _("Listeinnehaveren er næringsdrivende.")))
    else:
        label = {"fastlonnet": _("fastlønnet"), "ubesatt": _("ubesatt")}.get(driftsform or "", _("ukjent"))
        checks.append(Check("driftsform", False, text(
            _("Listen er %(driftsform)s. Bare næringsdrivende fastleger kan få grunntilskudd."), driftsform=label)))
    if listetak is None:
        checks.append(Check("listetak", False, _("Listen har ikke noe listetak registrert.")))
    else:
        ok = listetak > LISTETAK_OVER
        checks.append(Check("listetak", ok, text(_("Listetak %(listetak)s – over 500.") if ok
                                                 else _("Listetak %(listetak)s – må være over 500."),
                                                 listetak=listetak)))
    if patients is None:
        checks.append(Check("pasienter", False, _("Listen har ingen listetall ennå. Importer listetall først.")))
    else:
        ok = patients < PATIENTS_UNDER
        message = text(_("Listen har %(patients)s pasienter per %(month)s – under 500.") if ok
                       else _("Listen har %(patients)s pasienter per %(month)s – må være under 500."),
                       patients=patients, month=month_label_lazy(patients_month))
        # an old count is named, never failed on: a warning does not block the decision (docs/grants.md)
        if months_between(patients_month, on) > STALE_COUNT_MONTHS:
            message = text(_("%(check)s Tallet er fra %(month)s, mer enn %(stale)s måneder før søknadsdagen; "
                             "kontroller at det fortsatt gjelder."), check=message,
                           month=month_label_lazy(patients_month), stale=STALE_COUNT_MONTHS)
        checks.append(Check("pasienter", ok, message))
    if agreement_gap and all(check.ok for check in checks[:2]):  # the holder and driftsform are right: the date
        checks.append(Check("samme_avtale", False, text(
            _("Grunntilskuddet kan ikke betales: %(gap)s. Søk for avtalen listen har nå."), gap=agreement_gap.message)))
    if avtale_fra is None:
        checks.append(Check("avtale", False, _("Oppgi når fastlegeavtalen startet.")))
    else:
        month_number = months_between(avtale_fra, on) + 1
        if avtale_fra > on:
            checks.append(Check("avtale", False, text(_("Fastlegeavtalen starter %(date)s, etter søknadsdagen."),
                                                      date=format_date(avtale_fra))))
        else:
            ok = month_number <= GRUNNTILSKUDD_MONTHS
            checks.append(Check("avtale", ok, text(
                _("Fastlegeavtalen startet %(date)s: søknaden gjelder måned %(number)s av avtalen (innenfor 24 "
                  "måneder).") if ok else
                _("Fastlegeavtalen startet %(date)s: søknaden gjelder måned %(number)s av avtalen; må være "
                  "innenfor de første 24 månedene."), date=format_date(avtale_fra), number=month_number)))
        first, last = grunntilskudd_coverage(avtale_fra)
        if first <= last:
            checks.append(Check("periode", True, text(_("Dekker %(first)s til %(last)s."),
                                                      first=month_label_lazy(first), last=month_label_lazy(last))))
        else:
            checks.append(Check("periode", False,
                                _("Perioden på 24 måneder endte før ordningen startet 1. mai 2020.")))
    return checks


def introduksjon_latest_end(start: date, position_percent: int) -> date:
    """start + floor(24 × 100 / position) months − 1 day (50 % → 4 years), docs/grants.md."""
    return start + relativedelta(months=(24 * 100) // position_percent) - timedelta(days=1)


def introduksjon_checks(*, start: date, end: date, position_percent: int, is_specialist: bool,
                        doctor_id: int, practice_id: int, host_lists: list[tuple[str, int | None, int]],
                        granted: int, allotted: int, specialist_since: date | None = None) -> list[Check]:
    """`host_lists`: (listenummer, holder doctor id at start, practice id); `granted`: the municipality's other
    agreements ever granted (also those ended early or expired: the allotment is a total, docs/grants.md);
    `allotted`: the municipality's allotment in total. The doctor is a specialist from `specialist_since` (None:
    always); "not a specialist" is judged on the start date, as for ALIS (docs/alis.md)."""
    checks = [Check("ikrafttredelse", start >= INTRODUKSJON_FROM,
                    _("Start fra 1. januar 2022.") if start >= INTRODUKSJON_FROM
                    else text(_("Start %(date)s: ordningen gjelder fra 1. januar 2022."), date=format_date(start)))]
    if not is_specialist:
        checks.append(Check("spesialist", True, _("Legen er ikke spesialist i allmennmedisin.")))
    elif specialist_since is not None and specialist_since > start:
        checks.append(Check("spesialist", True, text(
            _("Legen er ikke spesialist i allmennmedisin ved start %(start)s (spesialist fra %(since)s)."),
            start=format_date(start), since=format_date(specialist_since))))
    elif specialist_since:
        checks.append(Check("spesialist", False, text(
            _("Legen er spesialist i allmennmedisin (fra %(since)s) ved start %(start)s og kan ikke få "
              "introduksjonsavtale."), since=format_date(specialist_since), start=format_date(start))))
    else:
        checks.append(Check("spesialist", False, text(
            _("Legen er spesialist i allmennmedisin ved start %(start)s og kan ikke få introduksjonsavtale."),
            start=format_date(start))))
    if not host_lists:
        checks.append(Check("vertslister", False, _("Velg minst én vertsliste.")))
    else:
        wrong = [nr for nr, holder, practice in host_lists if holder is None or holder == doctor_id
                 or practice != practice_id]
        checks.append(Check("vertslister", not wrong,
                            _("Vertslistene har andre listeinnehavere ved samme legekontor.") if not wrong else
                            text(_("Liste %(lists)s må ha en annen listeinnehaver ved samme legekontor."),
                                 lists=", ".join(wrong))))
    position_ok = 50 <= position_percent <= 100
    checks.append(Check("stilling", position_ok, text(_("Stilling %(percent)s %% – innenfor 50–100 %%.") if position_ok
                                                      else _("Stilling %(percent)s %% – må være 50–100 %%."),
                                                      percent=position_percent)))
    if position_ok:
        latest = introduksjon_latest_end(start, position_percent)
        ok = start < end <= latest
        checks.append(Check("varighet", ok, text(
            _("Slutt %(end)s; senest %(latest)s ved %(percent)s %% stilling.") if ok else
            _("Slutt %(end)s; senest %(latest)s ved %(percent)s %% stilling – forkort avtalen."),
            end=format_date(end), latest=format_date(latest), percent=position_percent)))
    if allotted == 0:
        checks.append(Check("tildeling", False, _("Kommunen har ikke registrert noen tildeling fra "
                                                  "Helsedirektoratet.")))
    else:
        checks.append(Check("tildeling", granted < allotted, text(
            _("%(granted)s av %(allotted)s tildelte avtaler er allerede innvilget.") if granted < allotted else
            _("%(granted)s av %(allotted)s tildelte avtaler er allerede innvilget – kommunen kan ikke starte "
              "flere."), granted=granted, allotted=allotted)))
    return checks
