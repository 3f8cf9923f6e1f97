"""Eligibility of grant applications (docs/grants.md) as pure functions: every check with its outcome and a
Norwegian explanation, so the caseworker sees why — and a failing check blocks approval unless overridden."""

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from core.months import add_months, format_month
from grants.rules import GRUNNTILSKUDD_FLOOR

GRUNNTILSKUDD_FROM = date(2020, 5, 1)  # the action plan's first measures
GRUNNTILSKUDD_MONTHS = 24
# "listetak over 500" (the plan; Helfo writes "500 eller høyere", docs/grants.md) and fewer than 500 patients:
# the grunntilskudd floor of the rates, one constant
LISTETAK_OVER = PATIENTS_UNDER = GRUNNTILSKUDD_FLOOR
INTRODUKSJON_FROM = date(2022, 1, 1)


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def format_date(value: date) -> str:
    """31.05.2020 (docs/architecture.md), for messages."""
    return value.strftime("%d.%m.%Y")


_d = format_date


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
        checks.append(Check("listeinnehaver", True, "Søkeren er listeinnehaver."))
    else:
        checks.append(Check("listeinnehaver", False, f"Søkeren er ikke listeinnehaver for listen "
                                                     f"(innehaver nå: {holder_name or 'ingen – ubesatt'})."))
    if driftsform == "naeringsdrivende":
        checks.append(Check("driftsform", True, "Listeinnehaveren er næringsdrivende."))
    else:
        label = {"fastlonnet": "fastlønnet", "ubesatt": "ubesatt"}.get(driftsform or "", "ukjent")
        checks.append(Check("driftsform", False, f"Listen er {label}. Bare næringsdrivende fastleger kan få "
                                                 "grunntilskudd."))
    if listetak is None:
        checks.append(Check("listetak", False, "Listen har ikke noe listetak registrert."))
    else:
        checks.append(Check("listetak", listetak > LISTETAK_OVER,
                            f"Listetak {listetak} – {'over 500' if listetak > LISTETAK_OVER else 'må være over 500'}."))
    if patients is None:
        checks.append(Check("pasienter", False, "Listen har ingen listetall ennå. Importer listetall først."))
    else:
        ok = patients < PATIENTS_UNDER
        checks.append(Check("pasienter", ok, f"Listen har {patients} pasienter ({format_month(patients_month)}) – "
                                             f"{'under 500' if ok else 'må være under 500'}."))
    if agreement_gap and all(check.ok for check in checks[:2]):  # the holder and driftsform are right: the date
        checks.append(Check("samme_avtale", False, f"Grunntilskuddet kan ikke betales: {agreement_gap}. Søk for "
                                                   "avtalen listen har nå."))
    if avtale_fra is None:
        checks.append(Check("avtale", False, "Oppgi når fastlegeavtalen startet."))
    else:
        month_number = months_between(avtale_fra, on) + 1
        if avtale_fra > on:
            checks.append(Check("avtale", False, f"Fastlegeavtalen starter {_d(avtale_fra)}, etter søknadsdagen."))
        else:
            ok = month_number <= GRUNNTILSKUDD_MONTHS
            checks.append(Check("avtale", ok, f"Fastlegeavtalen startet {_d(avtale_fra)}: søknaden gjelder måned "
                                              f"{month_number} av avtalen"
                                              + (" (innenfor 24 måneder)." if ok else "; må være innenfor de "
                                                 "første 24 månedene.")))
        first, last = grunntilskudd_coverage(avtale_fra)
        if first <= last:
            checks.append(Check("periode", True, f"Dekker {format_month(first)} til {format_month(last)}."))
        else:
            checks.append(Check("periode", False, "Perioden på 24 måneder endte før ordningen startet 1. mai 2020."))
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
                    "Start fra 1. januar 2022." if start >= INTRODUKSJON_FROM
                    else f"Start {_d(start)}: ordningen gjelder fra 1. januar 2022.")]
    if not is_specialist:
        checks.append(Check("spesialist", True, "Legen er ikke spesialist i allmennmedisin."))
    elif specialist_since is not None and specialist_since > start:
        checks.append(Check("spesialist", True, f"Legen er ikke spesialist i allmennmedisin ved start {_d(start)} "
                                                f"(spesialist fra {_d(specialist_since)})."))
    else:
        since = f" (fra {_d(specialist_since)})" if specialist_since else ""
        checks.append(Check("spesialist", False, f"Legen er spesialist i allmennmedisin{since} ved start "
                                                 f"{_d(start)} og kan ikke få introduksjonsavtale."))
    if not host_lists:
        checks.append(Check("vertslister", False, "Velg minst én vertsliste."))
    else:
        wrong = [nr for nr, holder, practice in host_lists if holder is None or holder == doctor_id
                 or practice != practice_id]
        checks.append(Check("vertslister", not wrong,
                            "Vertslistene har andre listeinnehavere ved samme legekontor." if not wrong else
                            f"Liste {', '.join(wrong)} må ha en annen listeinnehaver ved samme legekontor."))
    position_ok = 50 <= position_percent <= 100
    checks.append(Check("stilling", position_ok, f"Stilling {position_percent} % – "
                                                 + ("innenfor 50–100 %." if position_ok else "må være 50–100 %.")))
    if position_ok:
        latest = introduksjon_latest_end(start, position_percent)
        ok = start < end <= latest
        checks.append(Check("varighet", ok, f"Slutt {_d(end)}; senest {_d(latest)} ved {position_percent} % stilling"
                                            + ("." if ok else " – forkort avtalen.")))
    if allotted == 0:
        checks.append(Check("tildeling", False, "Kommunen har ikke registrert noen tildeling fra "
                                                "Helsedirektoratet."))
    else:
        checks.append(Check("tildeling", granted < allotted, f"{granted} av {allotted} tildelte avtaler er allerede "
                                                             "innvilget"
                            + ("." if granted < allotted else " – kommunen kan ikke starte flere.")))
    return checks
