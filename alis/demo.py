"""Demo ALIS agreements for `make run` (idempotent): every status, in Oslo (0301) and Bergen (4601), with a
realistic supervision history — made through the services, so events, checks and history are real.

Needs the demo users and lists (practices.demo). New doctors get HPR numbers from 8 000 001."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from alis import rules, services
from alis.models import AlisAgreement
from practices.models import Doctor, Municipality, Practice

D = Decimal
GROUP_HOURS = D(120)  # a group stops meeting when its 120 hours are done

# hpr → (name, specialist since or None)
DOCTORS = {
    "8000001": ("Ingrid Solberg", None), "8000002": ("Jonas Berg", None), "8000003": ("Maria Lunde", None),
    "8000004": ("Emil Haugen", None), "8000005": ("Sara Nilsen", None), "8000006": ("Amir Rahimi", None),
    "8000007": ("Hanne Vik", None), "8000008": ("Kristian Moe", None), "8000009": ("Lea Strand", None),
    "8000101": ("Per Kristoffersen", date(2008, 5, 1)), "8000102": ("Randi Bakke", date(2012, 9, 1)),
    "8000103": ("Tor Eriksen", date(2005, 3, 1)), "8000104": ("Guro Dahl", date(2015, 1, 1)),
    "8000105": ("Bjørn Aas", date(2010, 6, 1)), "8000106": ("Ane Holm", date(2017, 2, 1)),
}


@dataclass
class DemoAgreement:
    kommunenummer: str
    avtalenummer: str
    practice: int  # index among the municipality's practices, by name
    doctor: str
    supervisor: str
    start: date
    status: str  # the status to end up in
    employment_form: str = rules.NAERINGSDRIVENDE
    annual_payment: Decimal = D("0")
    end: date | None = None
    position: int = 100
    grant: tuple = ()  # (per year, from, to, reference)
    saksnummer: str = ""
    individual: tuple[Decimal, Decimal] = (D("2.5"), D("3"))  # hours of the two sessions a month (from 2021)
    group: Decimal = D("6")  # hours every fourth week in the two group years (0: none)
    change: tuple = ()  # (supervisor hpr, from date, reason)
    reason: str = ""  # rejection or termination reason
    terminated_on: date | None = None
    notes: list = field(default_factory=lambda: [
        "Gjennomgang av konsultasjoner", "Læringsmål: kronisk sykdom", "Journalgjennomgang",
        "Supervisjon på legekontoret", "Drøfting av henvisninger", "Faglig veiledning: multimorbiditet"])


AGREEMENTS = (
    DemoAgreement("0301", "ALIS-0301-2022-01", 0, "8000001", "8000101", date(2022, 9, 1), rules.GODKJENT,
                  annual_payment=D("180000"), saksnummer="22/11873",
                  grant=(D("220000"), date(2022, 9, 1), date(2026, 12, 31), "Helsedirektoratet 22/04512"),
                  change=("8000102", date(2024, 8, 1), "Veileder gikk av med pensjon")),
    DemoAgreement("0301", "ALIS-0301-2023-02", 1, "8000002", "8000103", date(2023, 3, 1), rules.GODKJENT,
                  employment_form=rules.ANSATT, saksnummer="23/2207", individual=(D("1.5"), D("0")), group=D("3"),
                  grant=(D("250000"), date(2023, 3, 1), date(2025, 12, 31), "Helsedirektoratet 23/01190")),
    DemoAgreement("0301", "ALIS-0301-2020-03", 0, "8000003", "8000101", date(2020, 1, 6), rules.FULLFORT,
                  annual_payment=D("150000"), end=date(2024, 12, 31), saksnummer="19/9981"),
    DemoAgreement("0301", "ALIS-0301-2021-04", 1, "8000004", "8000104", date(2021, 2, 1), rules.AVSLUTTET,
                  annual_payment=D("160000"), terminated_on=date(2022, 6, 30), saksnummer="21/0334",
                  reason="ALIS har flyttet til en annen kommune."),
    DemoAgreement("0301", "ALIS-0301-2025-05", 0, "8000005", "8000102", date(2025, 4, 1), rules.AVSLATT,
                  annual_payment=D("200000"), reason="Kommunen har ikke budsjettdekning for utbetalingen i 2025. "
                                                     "Vedtaket kan påklages innen tre uker."),
    DemoAgreement("0301", "ALIS-0301-2027-06", 1, "8000006", "8000104", date(2027, 1, 4), rules.INNSENDT,
                  annual_payment=D("190000"), saksnummer="26/3310"),
    DemoAgreement("0301", "ALIS-0301-2027-07", 0, "8000007", "8000103", date(2027, 3, 1), rules.UTKAST,
                  position=80),
    DemoAgreement("4601", "ALIS-4601-2024-01", 0, "8000008", "8000105", date(2024, 1, 15), rules.GODKJENT,
                  annual_payment=D("175000"), individual=(D("2"), D("2.5")),
                  grant=(D("240000"), date(2024, 1, 1), date(2026, 12, 31), "Helsedirektoratet 24/00871")),
    DemoAgreement("4601", "ALIS-4601-2027-02", 1, "8000009", "8000106", date(2027, 2, 1), rules.INNSENDT,
                  employment_form=rules.ANSATT),
)


def _weekday(day: date) -> date:
    """The next Monday–Friday."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _doctors() -> dict[str, Doctor]:
    doctors = {}
    for hpr, (name, since) in DOCTORS.items():
        doctors[hpr], _ = Doctor.objects.get_or_create(hpr_nummer=hpr, defaults={
            "name": name, "specialist_general_practice": since is not None, "specialist_since": since})
    return doctors


def _sessions(spec: DemoAgreement, agreement, last: date, doctors, admin) -> None:
    """Two individual sessions per agreement month (4 hours a month before 2021), a group meeting every fourth
    week in the first two agreement years; never in the future, never more than 8 hours a day."""
    changes = [(spec.change[1], doctors[spec.change[0]])] if spec.change else []
    used: set[date] = set()
    month = 0
    while True:
        first = agreement.start_date + relativedelta(months=month)
        if first > last:
            break
        hours = spec.individual if first >= date(2021, 1, 1) else (D("2"), D("2"))
        for offset, amount in zip((4, 18), hours, strict=True):
            day = _weekday(first + timedelta(days=offset))
            if amount and day <= last:
                supervisor = agreement.supervisor
                for from_date, changed in changes:
                    if day >= from_date:
                        supervisor = changed
                services.session_add(agreement=agreement, user=admin, date=day, kind=rules.INDIVIDUELL,
                                     hours=amount, supervisor=supervisor,
                                     note=spec.notes[(month + offset) % len(spec.notes)])
                used.add(day)
        month += 1
    if spec.group:
        group_end = agreement.start_date + relativedelta(years=2)
        day, logged = _weekday(agreement.start_date + timedelta(days=10)), D(0)
        while day < group_end and day <= last and logged < GROUP_HOURS:
            while day in used:
                day = _weekday(day + timedelta(days=1))
            if day <= last:
                services.session_add(agreement=agreement, user=admin, date=day, kind=rules.GRUPPE, hours=spec.group,
                                     group_leader="Veiledningsgruppe ALIS " + spec.kommunenummer,
                                     note="Samling i veiledningsgruppen")
                logged += spec.group
            day = _weekday(day + timedelta(weeks=4))


@transaction.atomic
def _load(spec: DemoAgreement, *, municipality, practices, doctors, admin, caseworker, today) -> AlisAgreement:
    agreement = AlisAgreement(
        municipality=municipality, avtalenummer=spec.avtalenummer, practice=practices[spec.practice % len(practices)],
        doctor=doctors[spec.doctor], supervisor=doctors[spec.supervisor], start_date=spec.start, end_date=spec.end,
        position_percent=spec.position, employment_form=spec.employment_form, annual_payment=spec.annual_payment,
        saksnummer=spec.saksnummer)
    if spec.grant:
        (agreement.state_grant_per_year, agreement.state_grant_period_from, agreement.state_grant_period_to,
         agreement.state_grant_reference) = spec.grant
    agreement = services.agreement_create(agreement=agreement, user=admin)
    if spec.status == rules.UTKAST:
        return agreement
    agreement = services.agreement_transition(agreement, action="submit", user=admin)
    if spec.status == rules.INNSENDT:
        return agreement
    if spec.status == rules.AVSLATT:
        return services.agreement_transition(agreement, action="reject", user=caseworker, reason=spec.reason)
    agreement = services.agreement_transition(agreement, action="approve", user=caseworker,
                                              reason="Vilkårene er oppfylt.")
    if spec.change and spec.change[1] <= agreement.effective_end:
        services.supervisor_change(agreement=agreement, user=admin, supervisor=doctors[spec.change[0]],
                                   from_date=spec.change[1], reason=spec.change[2])
    last = min(today, spec.terminated_on or agreement.effective_end)
    _sessions(spec, agreement, last, doctors, admin)
    if spec.status == rules.AVSLUTTET:
        agreement = services.agreement_transition(agreement, action="terminate", user=caseworker, reason=spec.reason,
                                                  on=spec.terminated_on)
    return agreement


def load_agreements(*, today: date | None = None) -> list[AlisAgreement]:
    """Create the demo agreements that are missing (an existing avtalenummer is left alone), then let the daily
    job complete the ones that have ended. Returns the agreements created."""
    today = today or timezone.localdate()
    users = get_user_model().objects
    admin, caseworker = users.get(username="kari.admin"), users.get(username="ola.saksbehandler")
    doctors = _doctors()
    municipalities = {m.kommunenummer: m for m in Municipality.objects.filter(kommunenummer__in=("0301", "4601"))}
    existing = set(AlisAgreement.objects.filter(municipality__in=municipalities.values()).values_list(
        "municipality__kommunenummer", "avtalenummer"))
    created = []
    for spec in AGREEMENTS:
        if (spec.kommunenummer, spec.avtalenummer) in existing:
            continue
        municipality = municipalities[spec.kommunenummer]
        practices = list(Practice.objects.filter(municipality=municipality).order_by("name"))
        if not practices:
            continue  # the demo lists are not loaded
        created.append(_load(spec, municipality=municipality, practices=practices, doctors=doctors, admin=admin,
                             caseworker=caseworker, today=today))
    services.complete_ended_agreements(today=today)
    return created
