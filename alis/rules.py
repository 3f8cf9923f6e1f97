"""Pure rules of ALIS agreements (docs/alis.md): the transition table, validation of agreements, supervisor
changes and supervision sessions, and compliance (hours logged vs required). No ORM, no I/O: services and the
CSV parser pass plain values in and get Norwegian messages back. docs/alis.md explains every rule in prose.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.i18n import text
from core.money import divide_and_round_kr, exact_product, format_number_nb
from core.workflow import ADMINISTRATOR, CASEWORKER, SYSTEM, Check, Transition, Workflow

# --- statuses and the transition table (docs/alis.md, docs/grants.md) -------------------------------------

UTKAST, INNSENDT, GODKJENT, AVSLATT, FULLFORT, AVSLUTTET = (
    "utkast", "innsendt", "godkjent", "avslatt", "fullfort", "avsluttet",
)  # fmt: skip
# An agreement that was ever approved pays and takes supervision for the days it covered (docs/payments.md).
EVER_APPROVED = (GODKJENT, FULLFORT, AVSLUTTET)

WORKFLOW = Workflow(
    Transition(UTKAST, "submit", INNSENDT, ADMINISTRATOR),
    Transition(INNSENDT, "approve", GODKJENT, CASEWORKER, four_eyes=True),
    Transition(INNSENDT, "reject", AVSLATT, CASEWORKER, reason_required=True, four_eyes=True),
    Transition(GODKJENT, "complete", FULLFORT, SYSTEM),
    # ending an agreement is a decision like approval: four-eyes (docs/architecture.md)
    Transition(GODKJENT, "terminate", AVSLUTTET, CASEWORKER, reason_required=True, four_eyes=True),
)
ACTION_LABELS = {"create": _("Opprett"), "submit": _("Send inn"), "approve": _("Godkjenn"), "reject": _("Avslå"),
                 "complete": _("Fullfør"), "terminate": _("Avslutt")}  # what a button does
EVENT_LABELS = {"create": _("Opprettet"), "submit": _("Sendt inn"), "approve": _("Godkjent"),
                "reject": _("Avslått"), "complete": _("Fullført"),
                "terminate": _("Avsluttet")}  # what the timeline says happened

NAERINGSDRIVENDE, ANSATT = "naeringsdrivende", "ansatt"
INDIVIDUELL, GRUPPE = "individuell", "gruppe"
PER_MAANED, PER_TOTALT = "maaned", "totalt"
BEKREFTET, ESTIMAT = "bekreftet", "estimat"

AGREEMENT_YEARS = 5  # docs/alis.md: default planned end = start + 5 years − 1 day
HOURS_MIN, HOURS_MAX, HOURS_STEP = Decimal("0.25"), Decimal("8"), Decimal("0.25")
HOURS_PER_DAY_MAX = Decimal("8")  # per agreement and day, both kinds together
NON_FIELD = "__all__"
_CENT = Decimal("0.01")


def d(value: date) -> str:
    """31.05.2020 (docs/architecture.md)."""
    return value.strftime("%d.%m.%Y")


def h(value: Decimal) -> str:
    """Hours in Bokmål without needless decimals: 8 → "8", 5.5 → "5,5", 0.25 → "0,25"."""
    value = Decimal(value)
    decimals = 0 if value == value.to_integral_value() else (1 if (value * 10) == (value * 10).to_integral_value()
                                                               else 2)
    return format_number_nb(value, decimals)


def default_end(start: date) -> date:
    """Planned end when none is given: start + 5 years − 1 day (the length of the specialist training)."""
    return start + relativedelta(years=AGREEMENT_YEARS) - timedelta(days=1)


# --- agreements -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoctorFacts:
    id: int | None
    name: str
    specialist: bool = False
    specialist_since: date | None = None

    def specialist_on(self, day: date) -> bool:
        return self.specialist and (self.specialist_since is None or self.specialist_since <= day)


def doctor_checks(*, doctor: DoctorFacts, supervisor: DoctorFacts, start: date) -> list[Check]:
    """The people of an agreement (docs/alis.md): the ALIS is not a specialist in general practice on the start
    date; the supervisor is one, and is someone else."""
    if doctor.specialist_on(start) and doctor.specialist_since:
        alis = Check("alis_ikke_spesialist", False, text(
            _("%(name)s er spesialist i allmennmedisin fra %(since)s. En ALIS-avtale er for leger som er under "
              "spesialisering."), name=doctor.name, since=d(doctor.specialist_since)))
    elif doctor.specialist_on(start):
        alis = Check("alis_ikke_spesialist", False, text(
            _("%(name)s er spesialist i allmennmedisin. En ALIS-avtale er for leger som er under spesialisering."),
            name=doctor.name))
    else:
        alis = Check("alis_ikke_spesialist", True, text(_("%(name)s er ikke spesialist i allmennmedisin."),
                                                        name=doctor.name))
    if supervisor.id is not None and supervisor.id == doctor.id:
        return [alis, Check("veileder_annen_lege", False,
                            _("Veilederen kan ikke være ALIS-legen selv. Velg en annen lege som veileder."))]
    if supervisor.specialist_on(start):
        own = Check("veileder_spesialist", True, text(_("Veilederen %(name)s er spesialist i allmennmedisin."),
                                                      name=supervisor.name))
    elif supervisor.specialist and supervisor.specialist_since:
        own = Check("veileder_spesialist", False, text(
            _("Veilederen %(name)s er spesialist i allmennmedisin først fra %(since)s, etter avtalens start "
              "%(start)s."), name=supervisor.name, since=d(supervisor.specialist_since), start=d(start)))
    else:
        own = Check("veileder_spesialist", False, text(
            _("Veilederen %(name)s er ikke registrert som spesialist i allmennmedisin. Velg en spesialist, eller "
              "oppdater legen hvis spesialistgodkjenningen mangler."), name=supervisor.name))
    return [alis, own, Check("veileder_annen_lege", True, _("Veilederen er en annen lege enn ALIS-legen."))]


def agreement_errors(*, start: date, end: date, position_percent: int, employment_form: str,
                     annual_payment: Decimal, doctor: DoctorFacts | None = None,
                     supervisor: DoctorFacts | None = None, state_grant_per_year: Decimal = Decimal(0),
                     state_grant_from: date | None = None, state_grant_to: date | None = None) -> dict[str, str]:
    """{field: Norwegian message} for an agreement as registered (docs/alis.md); {} when it is valid."""
    errors: dict[str, str] = {}
    if end <= start:
        errors["end_date"] = gettext("Planlagt slutt (%(end)s) må være etter start (%(start)s).") % {
            "end": d(end), "start": d(start)}
    if not 1 <= position_percent <= 100:
        errors["position_percent"] = gettext("Stillingsprosent må være fra 1 til 100, ikke %(percent)s.") % {
            "percent": position_percent}
    if annual_payment < 0:
        errors["annual_payment"] = gettext("Årlig utbetaling kan ikke være negativ.")
    elif employment_form == ANSATT and annual_payment != 0:
        errors["annual_payment"] = gettext("En ansatt ALIS får lønn fra kommunen utenfor dette systemet. Årlig "
                                           "utbetaling skal være 0 kr; velg næringsdrivende hvis kommunen betaler "
                                           "ALIS.")
    if state_grant_per_year < 0:
        errors["state_grant_per_year"] = gettext("Statstilskuddet kan ikke være negativt.")
    if state_grant_from and state_grant_to and state_grant_to < state_grant_from:
        errors["state_grant_period_to"] = gettext("Tilskuddsperioden kan ikke slutte før den begynner.")
    elif state_grant_per_year > 0 and not (state_grant_from and state_grant_to):
        # the per-year overview places the grant by its period; without one it would count nowhere
        field = "state_grant_period_to" if state_grant_from else "state_grant_period_from"
        errors[field] = gettext("Fyll inn tilskuddsperioden (fra og til) fra tilskuddsbrevet når statstilskudd er "
                                "oppgitt.")
    if doctor is not None and supervisor is not None:
        fields = {"alis_ikke_spesialist": "doctor", "veileder_spesialist": "supervisor",
                  "veileder_annen_lege": "supervisor"}
        for check in doctor_checks(doctor=doctor, supervisor=supervisor, start=start):
            if not check.ok:
                errors.setdefault(fields[check.code], str(check.message))
    return errors


def termination_errors(*, on: date | None, reason: str, start: date, end_date: date,
                       last_session: date | None) -> dict[str, str]:
    """A termination needs a reason and a date within the agreement, and no supervision logged after it."""
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = gettext("Skriv en begrunnelse for at avtalen avsluttes.")
    if on is None:
        errors["date"] = gettext("Oppgi datoen avtalen avsluttes fra (siste dag avtalen gjelder).")
    elif on < start:
        errors["date"] = gettext("Avtalen kan ikke avsluttes før den startet (%(start)s).") % {"start": d(start)}
    elif on > end_date:
        errors["date"] = gettext("Avslutningsdatoen %(date)s er etter planlagt slutt %(end)s. Avtalen blir fullført "
                                 "av seg selv etter planlagt slutt.") % {"date": d(on), "end": d(end_date)}
    elif last_session is not None and last_session > on:
        errors["date"] = gettext("Det er registrert veiledning %(session)s, etter %(date)s. Slett eller flytt den "
                                 "først, eller velg en senere dato.") % {"session": d(last_session), "date": d(on)}
    return errors


# --- the state grant (income) -----------------------------------------------------------------------------


def state_grant_by_year(*, per_year: Decimal, period_from: date | None, period_to: date | None) -> dict[int, Decimal]:
    """The state grant (*Nasjonal ALIS og veiledning*) as income per calendar year (docs/alis.md, docs/alis.md):
    per year × the grant period's days in the year ÷ the year's days (365 or 366), rounded half-up to øre once
    per year. {} without an amount or a whole period. kr 100 000 from 2021-07-01 to 2026-06-30: 2021
    50 410,96 (184/365), 2022–2025 100 000,00, 2026 49 589,04 (181/365)."""
    if not per_year or period_from is None or period_to is None or period_to < period_from:
        return {}
    income = {}
    for year in range(period_from.year, period_to.year + 1):
        first, last = max(period_from, date(year, 1, 1)), min(period_to, date(year, 12, 31))
        days_in_year = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        income[year] = divide_and_round_kr(exact_product(per_year, (last - first).days + 1), days_in_year)
    return income


# --- supervisors ------------------------------------------------------------------------------------------


def supervisor_on(day: date, *, original_id: int, changes: Sequence[tuple[date, int]]) -> int:
    """The supervisor of record on `day`: the latest change from that day or before, else the original one."""
    current = original_id
    for from_date, supervisor_id in sorted(changes):
        if from_date <= day:
            current = supervisor_id
    return current


def supervisor_change_errors(*, from_date: date, supervisor: DoctorFacts, doctor: DoctorFacts, status: str,
                             start: date, end: date, current_id: int, last_change: date | None,
                             sessions_after: int) -> dict[str, str]:
    """A change of supervisor (docs/alis.md): on a submitted or approved agreement, inside its period, after the
    last recorded change, to another specialist, and not behind individual sessions already logged."""
    errors: dict[str, str] = {}
    if status not in (INNSENDT, GODKJENT):
        errors[NON_FIELD] = gettext("Bytte av veileder registreres på en innsendt eller godkjent avtale. I et "
                                    "utkast endrer du veilederen i avtalen.")
        return errors
    if from_date <= start:
        errors["from_date"] = gettext("Et bytte må gjelde fra en dag etter avtalens start (%(start)s). Endre heller "
                                      "avtalens veileder hvis den var feil fra starten.") % {"start": d(start)}
    elif from_date > end:
        errors["from_date"] = gettext("Datoen %(date)s er etter avtalens slutt %(end)s.") % {
            "date": d(from_date), "end": d(end)}
    elif last_change is not None and from_date <= last_change:
        errors["from_date"] = gettext("Det er allerede registrert et bytte fra %(date)s. Velg en senere dato.") % {
            "date": d(last_change)}
    elif sessions_after:
        errors["from_date"] = gettext("Det er registrert %(count)s individuelle veiledninger fra %(date)s eller "
                                      "senere med nåværende veileder. Velg en dato etter dem, eller rett dem "
                                      "først.") % {"count": sessions_after, "date": d(from_date)}
    for check in doctor_checks(doctor=doctor, supervisor=supervisor, start=from_date)[1:]:
        if not check.ok:
            errors.setdefault("supervisor", str(check.message))
    if "supervisor" not in errors and supervisor.id == current_id:
        errors["supervisor"] = gettext("%(name)s er allerede veileder på denne datoen.") % {"name": supervisor.name}
    return errors


# --- supervision sessions ---------------------------------------------------------------------------------


def hours_error(hours: Decimal) -> str | None:
    """0.25–8 hours in quarter-hour steps (docs/alis.md)."""
    if hours < HOURS_MIN or hours > HOURS_MAX:
        return gettext("Timer må være fra 0,25 til 8, ikke %(hours)s.") % {"hours": h(hours)}
    if hours % HOURS_STEP:
        return gettext("Timer må oppgis i hele kvarter (0,25, 0,5, 0,75 …), ikke %(hours)s.") % {"hours": h(hours)}
    return None


@dataclass(frozen=True)
class AgreementFacts:
    """What session validation needs to know about an agreement, as plain values."""

    status: str
    start: date
    end: date  # the effective end
    original_supervisor_id: int
    changes: tuple[tuple[date, int], ...] = ()  # (from_date, supervisor_id)
    names: tuple[tuple[int, str], ...] = ()  # supervisor id → name, for messages

    def supervisor_on(self, day: date) -> int:
        return supervisor_on(day, original_id=self.original_supervisor_id, changes=self.changes)

    def name(self, supervisor_id: int | None) -> str:
        return dict(self.names).get(supervisor_id) or gettext("ukjent lege")


STATUS_LABELS = {UTKAST: _("utkast"), INNSENDT: _("innsendt"), GODKJENT: _("godkjent"), AVSLATT: _("avslått"),
                 FULLFORT: _("fullført"), AVSLUTTET: _("avsluttet")}


def session_errors(*, agreement: AgreementFacts, day: date, kind: str, hours: Decimal,
                   supervisor_id: int | None, group_leader: str, today: date,
                   hours_same_day: Decimal = Decimal(0)) -> dict[str, str]:
    """{field: Norwegian message} for one supervision session (docs/alis.md); {} when it may be logged.

    `hours_same_day` is what the agreement already has on `day` (other sessions, and earlier rows of a file).
    Sessions are allowed on an agreement that was approved (godkjent, and later fullført or avsluttet) for
    days inside its period: late registration of supervision that was given is normal.
    """
    errors: dict[str, str] = {}
    if agreement.status not in EVER_APPROVED:
        errors[NON_FIELD] = gettext("Veiledning kan bare registreres på en godkjent avtale. Avtalen er "
                                    "%(status)s.") % {"status": STATUS_LABELS.get(agreement.status, agreement.status)}
    if day < agreement.start:
        errors["date"] = gettext("Datoen %(date)s er før avtalens start %(start)s.") % {
            "date": d(day), "start": d(agreement.start)}
    elif day > agreement.end:
        errors["date"] = gettext("Datoen %(date)s er etter avtalens slutt %(end)s.") % {
            "date": d(day), "end": d(agreement.end)}
    elif day > today:
        errors["date"] = gettext("Datoen %(date)s er fram i tid. Registrer veiledning når den er gitt.") % {
            "date": d(day)}
    problem = hours_error(hours)
    if problem:
        errors["hours"] = problem
    elif hours_same_day + hours > HOURS_PER_DAY_MAX:
        errors["hours"] = gettext("Avtalen har allerede %(hours)s timer veiledning %(date)s; med %(more)s til blir "
                                  "det %(total)s. Høyst 8 timer per avtale og dag.") % {
            "hours": h(hours_same_day), "date": d(day), "more": h(hours), "total": h(hours_same_day + hours)}
    if kind == INDIVIDUELL:
        if group_leader.strip():
            errors["group_leader"] = gettext("Gruppeleder gjelder bare gruppeveiledning. La feltet stå tomt.")
        if supervisor_id is None:
            errors["supervisor"] = gettext("Individuell veiledning må ha veileder.")
        elif "date" not in errors:
            of_record = agreement.supervisor_on(day)
            if supervisor_id != of_record:
                errors["supervisor"] = gettext("Individuell veiledning %(date)s må gis av avtalens veileder den dagen, "
                                               "%(supervisor)s, ikke %(other)s.") % {
                    "date": d(day), "supervisor": agreement.name(of_record), "other": agreement.name(supervisor_id)}
    elif kind == GRUPPE:
        if not group_leader.strip():
            errors["group_leader"] = gettext("Gruppeveiledning må ha navnet på gruppelederen.")
    else:
        errors["kind"] = gettext("Type må være individuell eller gruppe, ikke «%(kind)s».") % {"kind": kind}
    return errors


# --- requirements and compliance --------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One dated row of the requirement table (SupervisionRequirement)."""

    valid_from: date
    kind: str
    hours: Decimal
    per: str  # maaned (individual) or totalt (group, over span_years)
    status: str = BEKREFTET
    span_years: int | None = None

    @property
    def is_estimate(self) -> bool:
        return self.status == ESTIMAT


def requirement_on(requirements: Iterable[Requirement], kind: str, day: date) -> Requirement | None:
    """The row of `kind` in force on `day` (latest valid_from <= day), or None before the first row."""
    in_force = [r for r in requirements if r.kind == kind and r.valid_from <= day]
    return max(in_force, key=lambda r: r.valid_from) if in_force else None


def _hours(value: Decimal) -> Decimal:
    return Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def agreement_month(start: date, index: int) -> tuple[date, date]:
    """The index-th (0-based) agreement month: from start + index months to the day before the next one.
    Day-of-month is kept and clamped (31 January → 28/29 February)."""
    return start + relativedelta(months=index), start + relativedelta(months=index + 1) - timedelta(days=1)


def agreement_year(start: date, day: date) -> int:
    """1 for start … start + 1 year − 1 day, 2 for the next year, … (29 February: the year ends 27/28 February)."""
    year = max(1, day.year - start.year)
    while year > 1 and start + relativedelta(years=year - 1) > day:
        year -= 1
    while start + relativedelta(years=year) <= day:
        year += 1
    return year


class _Progress:
    """Hours logged against what is due by now and the whole target (the compliance bars)."""

    logged: Decimal
    target: Decimal
    due: Decimal

    @property
    def behind(self) -> bool:
        return self.logged < self.due

    @property
    def percent(self) -> int:
        return _percent(self.logged, self.target)

    @property
    def due_percent(self) -> int:
        return _percent(self.due, self.target)


@dataclass(frozen=True)
class YearCompliance(_Progress):
    number: int  # agreement year 1, 2, …
    start: date
    end: date
    logged: Decimal
    target: Decimal  # the whole year's requirement
    due: Decimal  # required by today: agreement months ended before today
    estimate: bool  # the requirement used is an estimate ("basert på anslag")
    current: bool
    started: bool


@dataclass(frozen=True)
class GroupCompliance(_Progress):
    start: date
    end: date  # the end of the group years (agreement year 2)
    logged: Decimal  # all group hours logged, cumulative
    target: Decimal
    due: Decimal
    estimate: bool


@dataclass(frozen=True)
class Compliance:
    years: tuple[YearCompliance, ...]
    group: GroupCompliance | None
    running: bool  # approved and today inside the period: only then can it be behind
    current_year: YearCompliance | None

    @property
    def started_years(self) -> tuple[YearCompliance, ...]:
        return tuple(year for year in self.years if year.started)

    @property
    def behind_individual(self) -> bool:
        return self.running and self.current_year is not None and self.current_year.behind

    @property
    def behind_group(self) -> bool:
        return self.running and self.group is not None and self.group.behind

    @property
    def behind(self) -> bool:
        return self.behind_individual or self.behind_group

    @property
    def estimate(self) -> bool:
        """The behind flag rests only on estimated requirements: say "basert på anslag"."""
        confirmed = ((self.behind_individual and not self.current_year.estimate)
                     or (self.behind_group and not self.group.estimate))
        return self.behind and not confirmed

    def summary(self) -> str:
        """One Norwegian line for lists and notices."""
        parts = []
        if self.current_year is not None:
            y = self.current_year
            parts.append(f"individuell {h(y.logged)} av {h(y.due)} timer hittil i avtaleår {y.number}")
        if self.group is not None:
            parts.append(f"gruppe {h(self.group.logged)} av {h(self.group.due)} timer hittil")
        text = "; ".join(parts)
        return f"{text} (basert på anslag)" if self.estimate else text


def _percent(part: Decimal, whole: Decimal) -> int:
    if whole <= 0:
        return 100 if part > 0 else 0
    return min(100, int(part * 100 / whole))


def compliance(*, start: date, end: date, today: date, requirements: Sequence[Requirement],
               sessions: Iterable[tuple[date, str, Decimal]], approved: bool = True) -> Compliance:
    """Supervision logged vs required for one agreement (docs/alis.md, docs/alis.md).

    Individual: per agreement year (year 1 = start … start + 1 year − 1 day). Each agreement month (the 15th
    to the 14th for a start on the 15th) requires the monthly hours in force on its first day; the year's
    target is the sum of its months, what is *due* is the sum of the months that ended before today. A month
    cut short by the end of the agreement counts in proportion to its days.
    Group: the row in force on the start date (120 hours over two years); the group years are agreement
    years 1 and 2; due grows evenly with the months of those two years that ended before today; every group
    hour logged counts, whenever it was given.
    `end` is the effective end. Only an approved (`approved`) agreement running today can be behind.
    """
    individual: dict[int, Decimal] = {}
    group_logged = Decimal(0)
    months_total = 0
    while agreement_month(start, months_total)[0] <= end:
        months_total += 1
    year_count = (months_total + 11) // 12
    for day, kind, hours in sessions:
        if kind == GRUPPE:
            group_logged += hours
        elif start <= day <= end:
            year = agreement_year(start, day)
            individual[year] = individual.get(year, Decimal(0)) + hours

    years = []
    current = None
    for number in range(1, year_count + 1):
        target = due = Decimal(0)
        estimate = False
        for index in range((number - 1) * 12, min(number * 12, months_total)):
            first, last = agreement_month(start, index)
            row = requirement_on(requirements, INDIVIDUELL, first)
            if row is None:
                continue
            hours = row.hours
            if last > end:  # cut short by the (early) end: pro rata by days
                hours = hours * ((end - first).days + 1) / ((last - first).days + 1)
                last = end
            target += hours
            if last < today:
                due += hours
            estimate = estimate or row.is_estimate
        year_start = start + relativedelta(years=number - 1)
        year_end = min(end, start + relativedelta(years=number) - timedelta(days=1))
        year = YearCompliance(number=number, start=year_start, end=year_end,
                              logged=_hours(individual.get(number, 0)), target=_hours(target), due=_hours(due),
                              estimate=estimate, current=year_start <= today <= year_end,
                              started=year_start <= today)
        years.append(year)
        if year.current:
            current = year

    group = None
    row = requirement_on(requirements, GRUPPE, start)
    if row is not None:
        span_months = 12 * (row.span_years or 2)
        group_end = start + relativedelta(months=span_months) - timedelta(days=1)
        ended = sum(1 for index in range(min(span_months, months_total))
                    if agreement_month(start, index)[1] < today and agreement_month(start, index)[1] <= end)
        group = GroupCompliance(start=start, end=min(group_end, end), logged=_hours(group_logged),
                                target=_hours(row.hours), due=_hours(row.hours * ended / span_months),
                                estimate=row.is_estimate)
    running = approved and start <= today <= end
    return Compliance(years=tuple(years), group=group, running=running, current_year=current)
