"""Grant cases (docs/grants.md): create, check, and move through the one transition table; every change records
who, when and why (a CaseEvent and the model's history). Decisions that change payments recompute the months
they touch once the transaction commits."""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.cases import CaseEngine, checks_as_dicts
from core.months import first_of_month
from core.workflow import ADMINISTRATOR, CASEWORKER, SYSTEM, Forbidden, ServiceError, Transition, Workflow
from grants import rules, selectors
from grants.models import (
    EVER_GRANTED,
    CaseEvent,
    CaseStatus,
    GrunntilskuddApplication,
    IntroductionAllotment,
    IntroduksjonsAvtale,
)
from grants.services import ledger, letters
from practices.models import Doctor, ListCount, ListHolder
from practices.permissions import can_administer, can_casework
from practices.services import doctor_save

S = CaseStatus
WORKFLOW = Workflow(
    Transition(S.UTKAST, "submit", S.INNSENDT, ADMINISTRATOR),
    Transition(S.INNSENDT, "approve", S.INNVILGET, CASEWORKER, four_eyes=True),
    Transition(S.INNSENDT, "reject", S.AVSLATT, CASEWORKER, reason_required=True, four_eyes=True),
    Transition(S.AVSLATT, "appeal", S.PAAKLAGET, ADMINISTRATOR, reason_required=True),
    Transition(S.PAAKLAGET, "approve", S.INNVILGET, CASEWORKER, four_eyes=True),
    Transition(S.PAAKLAGET, "reject", S.AVSLATT, CASEWORKER, reason_required=True, four_eyes=True),
    Transition(S.INNVILGET, "expire", S.UTLOPT, SYSTEM),
    # terminating is a decision the doctor is told of: four-eyes like the others (docs/grants.md, docs/architecture.md)
    Transition(S.INNVILGET, "terminate", S.AVSLUTTET, CASEWORKER, reason_required=True, four_eyes=True),
)
ACTION_LABELS = {"submit": _("Send inn"), "approve": _("Innvilg"), "reject": _("Avslå"),
                 "appeal": _("Registrer klage"), "expire": _("Utløpt"), "terminate": _("Avslutt")}


def today() -> date:
    """The day cases are judged on (Europe/Oslo); one place, so tests can set it."""
    return timezone.localdate()


# --- eligibility inputs -----------------------------------------------------------------------------------


def holder_on(patient_list, day: date):
    return ListHolder.objects.filter(patient_list=patient_list, from_month__lte=first_of_month(day)).select_related(
        "doctor").order_by("-from_month").first()


def grunntilskudd_applicant(patient_list) -> ListHolder:
    """The applicant is whoever holds the list now (docs/grants.md); a vacant list cannot apply."""
    holder = holder_on(patient_list, today())
    if holder is None or holder.doctor is None:
        raise ServiceError(gettext("Listen har ingen fastlege nå (ubesatt) og kan ikke få grunntilskudd."),
                           field="patient_list")
    return holder


def holding_of(holder) -> rules.Holding | None:
    return holder and rules.Holding(holder.doctor_id, holder.driftsform, holder.avtale_fra, holder.from_month)


def grunntilskudd_checks(*, patient_list, doctor, avtale_fra, on: date) -> list[rules.Check]:
    holder = holder_on(patient_list, on)
    latest = ListCount.objects.filter(patient_list=patient_list, month__lte=first_of_month(on)).order_by(
        "-month").first()
    return rules.grunntilskudd_checks(
        on=on, applicant_id=doctor.pk if doctor else None, holder_id=holder.doctor_id if holder else None,
        holder_name=holder.doctor.name if holder and holder.doctor else "",
        driftsform=holder.driftsform if holder else None,
        listetak=latest.listetak if latest else patient_list.listetak,
        patients=latest.antall_pasienter if latest else None, patients_month=latest.month if latest else None,
        avtale_fra=avtale_fra,
        agreement_gap=rules.grunntilskudd_agreement_gap(doctor_id=doctor.pk if doctor else None,
                                                        avtale_fra=avtale_fra, holding=holding_of(holder)))


def allotted(municipality) -> int:
    return sum(IntroductionAllotment.objects.filter(municipality=municipality).values_list("number_granted",
                                                                                             flat=True))


def granted_introduksjon(municipality, *, exclude_pk=None) -> int:
    """Agreements ever granted in the municipality, running or not: each uses a place of the allotment for good,
    also one that ended early ("cannot start more agreements than it was granted", docs/grants.md)."""
    return IntroduksjonsAvtale.objects.filter(municipality=municipality, status__in=EVER_GRANTED).exclude(
        pk=exclude_pk).count()


def introduksjon_checks(*, municipality, practice, doctor, host_lists, start, end, position_percent,
                        exclude_pk=None) -> list[rules.Check]:
    hosts = []
    for patient_list in host_lists:
        holder = holder_on(patient_list, start)
        hosts.append((patient_list.listenummer, holder.doctor_id if holder else None, patient_list.practice_id))
    return rules.introduksjon_checks(
        start=start, end=end, position_percent=position_percent, is_specialist=doctor.specialist_general_practice,
        specialist_since=doctor.specialist_since, doctor_id=doctor.pk, practice_id=practice.pk, host_lists=hosts,
        granted=granted_introduksjon(municipality, exclude_pk=exclude_pk), allotted=allotted(municipality))


def checks_for(case, *, on: date) -> list[rules.Check]:
    if isinstance(case, GrunntilskuddApplication):
        return grunntilskudd_checks(patient_list=case.patient_list, doctor=case.doctor, avtale_fra=case.avtale_fra,
                                    on=on)
    return introduksjon_checks(municipality=case.municipality, practice=case.practice, doctor=case.doctor,
                               host_lists=list(case.host_lists.all()), start=case.start_date, end=case.end_date,
                               position_percent=case.position_percent, exclude_pk=case.pk)


# --- writes -----------------------------------------------------------------------------------------------


def case_period(case) -> tuple[date, date] | None:
    """The first and last day a case covers: grunntilskudd from the 1st of its first covered month to the end
    of its 24th month, an introduksjonsavtale from start to planned end. None before avtale_fra is known."""
    if isinstance(case, GrunntilskuddApplication):
        return rules.grunntilskudd_period(case.avtale_fra) if case.avtale_fra else None
    return case.start_date, case.end_date


def _outside_period(case, on: date) -> dict[str, str]:
    """A termination date lies inside the case's period (docs/grants.md), as for ALIS."""
    period = case_period(case)
    if period and not period[0] <= on <= period[1]:
        first, last = (rules.format_date(day) for day in period)
        return {"date": gettext("Avslutningsdatoen %(date)s er utenfor sakens periode. Velg en dato fra %(first)s "
                                "til %(last)s (siste dag saken skal gjelde).")
                % {"date": rules.format_date(on), "first": first, "last": last}}
    return {}


@transaction.atomic
def record_allotment(*, allotment: IntroductionAllotment, user) -> IntroductionAllotment:
    """Record Helsedirektoratet's allotment of introduksjonsavtaler: an administrator of its municipality."""
    allowed, reason = can_administer(user, allotment.municipality)
    if not allowed:
        raise Forbidden(reason)
    allotment.created_by = user
    allotment.full_clean()
    allotment._change_reason = "Registrert"
    allotment.save()
    return allotment


def _check_belongs(case, host_lists) -> None:
    """Every object a case refers to lies in the case's own municipality (docs/grants.md, «Kommunen»)."""
    if isinstance(case, GrunntilskuddApplication):
        referred = [(case.patient_list, "patient_list", "Listen")]
    else:
        referred = [(case.practice, "practice", "Legekontoret"),
                    *((pl, "host_lists", f"Liste {pl.listenummer}") for pl in host_lists or ())]
    for obj, field, label in referred:
        if obj.municipality_id != case.municipality_id:
            raise ServiceError(f"{label} hører til en annen kommune enn saken.", field=field)


@transaction.atomic
def save_grunntilskudd_draft(*, user, patient_list, avtale_fra=None, saksnummer: str = "", case=None,
                             applicant_hpr: str | None = None) -> GrunntilskuddApplication:
    """Create (or, given `case`, edit) a grunntilskudd draft: the applicant is whoever holds the list now, and the
    agreement's date is the one given or the holder's (docs/grants.md). The browser and the API both come here;
    the API names the applicant by HPR number, which must be that holder's."""
    holder = grunntilskudd_applicant(patient_list)
    if applicant_hpr is not None and holder.doctor.hpr_nummer != applicant_hpr:
        raise ServiceError(f"Søkeren må være listens innehaver nå: {holder.doctor.name} "
                           f"(HPR {holder.doctor.hpr_nummer}).", field="doctor")
    case = case or GrunntilskuddApplication(municipality=patient_list.municipality)
    case.patient_list, case.doctor = patient_list, holder.doctor
    case.avtale_fra, case.saksnummer = avtale_fra or holder.avtale_fra, saksnummer
    return update_case(case=case, user=user) if case.pk else create_case(case=case, user=user)


@transaction.atomic
def save_introduksjon_draft(*, user, practice, hpr_nummer: str, doctor_name: str, host_lists, start_date, end_date,
                            position_percent, annual_contribution, saksnummer: str = "",
                            case=None) -> IntroduksjonsAvtale:
    """Create (or, given `case`, edit) an introduksjonsavtale draft. The introduksjonslege is found by HPR number,
    or registered with `doctor_name` (doctors are national, practices.services.doctor_save); the browser and the
    API both come here."""
    doctor = Doctor.objects.filter(hpr_nummer=hpr_nummer).first()
    if doctor is None:
        if not (doctor_name or "").strip():
            raise ServiceError(f"Ingen lege med HPR-nummer {hpr_nummer} er registrert. Oppgi legens navn "
                               "(doctor_name), så registreres legen.", field="doctor_name")
        doctor = doctor_save(doctor=Doctor(hpr_nummer=hpr_nummer, name=doctor_name.strip()), user=user)
    case = case or IntroduksjonsAvtale(municipality=practice.municipality)
    case.practice, case.doctor, case.start_date, case.end_date = practice, doctor, start_date, end_date
    case.position_percent, case.annual_contribution, case.saksnummer = position_percent, annual_contribution, saksnummer
    host_lists = list(host_lists)
    if case.pk:
        return update_case(case=case, user=user, host_lists=host_lists)
    return create_case(case=case, user=user, host_lists=host_lists)


@transaction.atomic
def create_case(*, case, user, host_lists=None):
    """Save a new draft (administrators of the case's municipality)."""
    allowed, reason = can_administer(user, case.municipality)
    if not allowed:
        raise Forbidden(reason)
    _check_belongs(case, host_lists)
    case.full_clean(exclude=["created_by", "status"])
    return ENGINE.create(case, user=user, initial=S.UTKAST, host_lists=host_lists)


@transaction.atomic
def update_case(*, case, user, host_lists=None):
    """Edit a draft: an administrator of the municipality the case belongs to, which it keeps."""
    stored = type(case).objects.select_for_update().select_related("municipality").get(pk=case.pk)
    allowed, reason = can_administer(user, stored.municipality)
    if not allowed:
        raise Forbidden(reason)
    if case.municipality_id != stored.municipality_id:
        raise ServiceError("En sak kan ikke flyttes til en annen kommune.")
    if stored.status != S.UTKAST:
        raise ServiceError("Bare utkast kan endres.")
    _check_belongs(case, host_lists)
    case.full_clean(exclude=["created_by"])
    case._change_reason = "Endret"
    case.save()
    if host_lists is not None:
        case.host_lists.set(host_lists)
    return case


class GrantEngine(CaseEngine):
    """Grunntilskudd and introduksjonsavtaler on the one case engine (core.cases): their table, their checks and
    what a decision changes (docs/grants.md)."""

    workflow = WORKFLOW
    event_model = CaseEvent
    role_checks = {ADMINISTRATOR: can_administer, CASEWORKER: can_casework}
    action_labels = history_labels = ACTION_LABELS
    approve_verb = _("innvilge")
    letter_actions = letters.LETTER_ACTIONS

    def event_link(self, case) -> dict:
        return {"grunntilskudd" if isinstance(case, GrunntilskuddApplication) else "introduksjon": case}

    def checks(self, case, *, action: str) -> list[dict]:
        if action == "submit":
            return checks_as_dicts(checks_for(case, on=today()))
        if isinstance(case, GrunntilskuddApplication):  # judged at submission
            return case.checks
        # the allotment is counted when the decision is made
        return checks_as_dicts(checks_for(case, on=case.checked_on or today()))

    def refusals(self, case, step, *, reason, on) -> dict[str, str]:
        if step.action == "submit" and isinstance(case, GrunntilskuddApplication) and case.avtale_fra is None:
            return {"avtale_fra": gettext("Oppgi når fastlegeavtalen startet (avtale_fra) før saken sendes inn.")}
        if step.action == "terminate":
            return {"date": gettext("Oppgi datoen saken avsluttes fra.")} if on is None else _outside_period(case, on)
        return {}

    def apply(self, case, step, *, reason, on):
        if step.action == "submit":
            case.checked_on = today()
        elif step.action == "appeal":
            case.appeal_reason = reason

    def after(self, case, step, *, user, on):
        if step.action == "approve" and isinstance(case, GrunntilskuddApplication):
            _date_the_agreement(case, today())
        if step.action in ("approve", "terminate"):
            _recompute_affected(case, user=user, since=on)

    def issue_letter(self, case, event):
        return letters.issue(case, event)

    def case_url(self, case) -> str:
        kind = "grunntilskudd" if isinstance(case, GrunntilskuddApplication) else "introduksjon"
        return reverse(f"grants:{kind}_detail", args=[case.pk])


ENGINE = GrantEngine()
transition = ENGINE.transition


def _date_the_agreement(case, day: date) -> None:
    """Granting writes the case's avtale_fra onto the holder row in force when its date is unknown, so a later
    import with another date is a new agreement (docs/grants.md, «Grunntilskudd følger fastlegeavtalen»)."""
    holder = holder_on(case.patient_list, day)
    if holder and holder.doctor_id == case.doctor_id and holder.avtale_fra is None:
        holder.avtale_fra = case.avtale_fra
        holder._change_reason = f"Avtale fra satt ved innvilget grunntilskudd {case.pk}"
        holder.save(update_fields=["avtale_fra"])


def _recompute_affected(case, *, user, since: date | None):
    """Recompute, in the background, every month the decision changes that the ledger has or will have now:
    up to this month or the municipality's latest computed month, whichever is later (months computed ahead
    of a decision dated earlier were left stale before, docs/payments.md). Closed months get `korreksjon`."""
    start = first_of_month(since) if since else None
    months = [month for month in selectors.covered_months(case, until=selectors.ledger_horizon(case.municipality,
                                                                                               today()))
              if start is None or month >= start]
    ledger.start_recompute_months(municipality=case.municipality, months=months, user=user)
