"""Every write of ALIS agreements (docs/alis.md): create and edit drafts, the transitions of the one table in
alis.rules.WORKFLOW, supervisor changes and supervision sessions. Each checks permission with the functions in
alis.permissions, validates with the pure rules, writes inside a transaction and records what happened (an
AlisEvent for transitions, the model history for everything). The CSV import is in session_import.py.

Errors are core.workflow's: Forbidden (role, four-eyes: a 403 with the reason), TransitionNotAllowed (409 in
the API, a message in the browser), ChecksFailed and ServiceError (400, with `errors` per field)."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from alis import permissions, rules
from alis.models import AlisAgreement, AlisEvent, SupervisionSession, SupervisorChange
from alis.selectors import agreement_facts, compliance_for, hours_on, requirements
from alis.services import letters
from alis.signals import agreement_payments_changed
from core.cases import CaseEngine, checks_as_dicts
from core.months import add_months, first_of_month
from core.workflow import Forbidden, ServiceError, TransitionNotAllowed

NOTICE_DAYS = 60


def _require(result) -> None:
    allowed, reason = result
    if not allowed:
        raise Forbidden(reason)


def _doctor(doctor) -> rules.DoctorFacts:
    return rules.DoctorFacts(id=doctor.pk, name=doctor.name, specialist=doctor.specialist_general_practice,
                             specialist_since=doctor.specialist_since)


def checks_for(agreement) -> list[rules.Check]:
    return rules.doctor_checks(doctor=_doctor(agreement.doctor), supervisor=_doctor(agreement.supervisor),
                               start=agreement.start_date)


def _validate(agreement) -> None:
    if agreement.practice_id and agreement.practice.municipality_id != agreement.municipality_id:
        raise ServiceError(errors={"practice": gettext("Legekontoret ligger ikke i avtalens kommune.")})
    errors = rules.agreement_errors(
        start=agreement.start_date, end=agreement.end_date, position_percent=agreement.position_percent,
        employment_form=agreement.employment_form, annual_payment=agreement.annual_payment,
        doctor=_doctor(agreement.doctor), supervisor=_doctor(agreement.supervisor),
        state_grant_per_year=agreement.state_grant_per_year, state_grant_from=agreement.state_grant_period_from,
        state_grant_to=agreement.state_grant_period_to)
    if errors:
        raise ServiceError(errors=errors)
    duplicate = AlisAgreement.objects.filter(municipality_id=agreement.municipality_id,
                                             avtalenummer=agreement.avtalenummer).exclude(pk=agreement.pk)
    if duplicate.exists():
        message = gettext("Avtalenummer %(number)s er allerede brukt i kommunen. Velg et annet nummer.")
        raise ServiceError(errors={"avtalenummer": message % {"number": agreement.avtalenummer}})


def _full_clean(instance, **kwargs) -> None:
    """Model validation as an AlisError (field → message), like every other refusal of a service."""
    try:
        instance.full_clean(validate_constraints=False, **kwargs)
    except ValidationError as error:
        raise ServiceError(errors={field: " ".join(messages) for field, messages in error.message_dict.items()})


class AlisEngine(CaseEngine):
    """ALIS agreements on the one case engine (core.cases): the table in alis.rules, the doctors' checks at
    submission and again at approval (their data may have changed), and the payments a decision changes."""

    workflow = rules.WORKFLOW
    event_model = AlisEvent
    action_labels = rules.ACTION_LABELS
    history_labels = rules.EVENT_LABELS

    def lock(self, case):
        return AlisAgreement.objects.select_for_update().select_related(
            "municipality", "doctor", "supervisor").get(pk=case.pk)

    def permission(self, user, case, step):
        return permissions.can_act(user, case, step.action)

    def event_link(self, case) -> dict:
        return {"agreement": case}

    def checks(self, case, *, action: str) -> list[dict]:
        return checks_as_dicts(checks_for(case))

    def refusals(self, case, step, *, reason, on) -> dict[str, str]:
        if step.action != "terminate":
            return {}
        last = case.sessions.order_by("-date").values_list("date", flat=True).first()
        return rules.termination_errors(on=on, reason=reason, start=case.start_date, end_date=case.end_date,
                                        last_session=last)

    def apply(self, case, step, *, reason, on):
        if step.action == "terminate":
            return f"Siste dag {rules.d(on)}: {reason}"
        if step.action == "complete":
            return reason or f"Avtalen endte {rules.d(case.effective_end)}."
        return None

    def after(self, case, step, *, user, on):
        if step.action in ("approve", "terminate") and case.annual_payment > 0:
            _payments_changed(case, since=case.start_date if step.action == "approve" else on)

    letter_actions = letters.LETTER_ACTIONS

    def issue_letter(self, case, event):
        return letters.issue(case, event)

    def case_url(self, case) -> str:
        return reverse("alis:agreement_detail", args=[case.pk])


ENGINE = AlisEngine()
agreement_transition = ENGINE.transition


# --- agreements -------------------------------------------------------------------------------------------


@transaction.atomic
def agreement_create(*, agreement: AlisAgreement, user) -> AlisAgreement:
    """Save a new draft (administrators of the agreement's municipality). A missing planned end becomes
    start + 5 years − 1 day (docs/alis.md)."""
    _require(permissions.can_create(user, agreement.municipality))
    if agreement.start_date and not agreement.end_date:
        agreement.end_date = rules.default_end(agreement.start_date)
    agreement.status = rules.UTKAST
    _validate(agreement)
    _full_clean(agreement, exclude=["created_by"])
    return ENGINE.create(agreement, user=user, initial=rules.UTKAST)


@transaction.atomic
def agreement_update(*, agreement: AlisAgreement, user) -> AlisAgreement:
    """Edit a draft; once submitted an agreement is changed only by its transitions and supervisor changes."""
    stored = AlisAgreement.objects.select_for_update().get(pk=agreement.pk)
    agreement.status = stored.status
    _require(permissions.can_edit(user, agreement))
    if stored.municipality_id != agreement.municipality_id:
        raise ServiceError(errors={"municipality": gettext("En avtale kan ikke flyttes til en annen kommune.")})
    if agreement.start_date and not agreement.end_date:
        agreement.end_date = rules.default_end(agreement.start_date)
    _validate(agreement)
    _full_clean(agreement, exclude=["created_by"])
    agreement._change_reason = "Endret"
    agreement.save()
    return agreement


def _payments_changed(agreement, *, since: date):
    """Tell the payments app which months to recompute once this commits (the months up to now)."""
    last = min(first_of_month(timezone.localdate()), first_of_month(agreement.end_date))
    months, month = [], first_of_month(since)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    if months:
        municipality_id = agreement.municipality_id
        transaction.on_commit(lambda: agreement_payments_changed.send(
            sender=AlisAgreement, municipality_id=municipality_id, months=months))


# --- supervisors ------------------------------------------------------------------------------------------


@transaction.atomic
def supervisor_change(*, agreement: AlisAgreement, user, supervisor, from_date: date,
                      reason: str = "") -> SupervisorChange:
    """Record a new supervisor from a date (docs/alis.md); individual sessions from that day must be theirs."""
    agreement = AlisAgreement.objects.select_for_update().select_related(
        "municipality", "doctor", "supervisor").get(pk=agreement.pk)
    _require(permissions.can_change_supervisor(user, agreement))
    changes = list(agreement.supervisor_changes.select_related("supervisor"))
    facts = agreement_facts(agreement, changes=changes)
    current = facts.supervisor_on(from_date)
    sessions_after = agreement.sessions.filter(kind=rules.INDIVIDUELL, date__gte=from_date).exclude(
        supervisor=supervisor).count()
    errors = rules.supervisor_change_errors(
        from_date=from_date, supervisor=_doctor(supervisor), doctor=_doctor(agreement.doctor),
        status=agreement.status, start=agreement.start_date, end=agreement.effective_end, current_id=current,
        last_change=max((c.from_date for c in changes), default=None), sessions_after=sessions_after)
    if errors:
        raise ServiceError(errors=errors)
    change = SupervisorChange(agreement=agreement, supervisor=supervisor, from_date=from_date,
                              reason=(reason or "").strip(), recorded_by=user)
    change._change_reason = f"Ny veileder fra {rules.d(from_date)}"
    change.save()
    return change


# --- supervision sessions ---------------------------------------------------------------------------------


def _check_session(agreement, *, day, kind, hours, supervisor, group_leader, exclude_pk=None):
    if day is None or hours is None or not kind:
        raise ServiceError(errors={k: gettext("Feltet må fylles ut.") for k, v in
                                (("date", day), ("hours", hours), ("kind", kind)) if v in (None, "")})
    errors = rules.session_errors(
        agreement=agreement_facts(agreement), day=day, kind=kind, hours=Decimal(hours),
        supervisor_id=supervisor.pk if supervisor else None, group_leader=group_leader or "",
        today=timezone.localdate(), hours_same_day=hours_on(agreement.pk, day, exclude_pk=exclude_pk))
    if errors:
        raise ServiceError(errors=errors)


def _locked(agreement) -> AlisAgreement:
    """The agreement row locked, so two sessions for the same day cannot pass the 8-hour check together."""
    return AlisAgreement.objects.select_for_update().select_related("municipality", "supervisor").get(
        pk=agreement.pk)


@transaction.atomic
def session_add(*, agreement: AlisAgreement, user, date: date, kind: str, hours: Decimal, supervisor=None,
                group_leader: str = "", note: str = "") -> SupervisionSession:
    """Log one supervision session (docs/alis.md; the rules are alis.rules.session_errors)."""
    agreement = _locked(agreement)
    _require(permissions.can_log_supervision(user, agreement))
    group_leader = (group_leader or "").strip()
    if kind == rules.GRUPPE:
        supervisor = None
    _check_session(agreement, day=date, kind=kind, hours=hours, supervisor=supervisor, group_leader=group_leader)
    session = SupervisionSession(agreement=agreement, date=date, kind=kind, hours=hours, supervisor=supervisor,
                                 group_leader=group_leader, note=(note or "").strip(), created_by=user)
    _full_clean(session)
    session._change_reason = "Registrert"
    session.save()
    return session


@transaction.atomic
def session_update(*, session: SupervisionSession, user, date: date, kind: str, hours: Decimal, supervisor=None,
                   group_leader: str = "", note: str = "") -> SupervisionSession:
    agreement = _locked(session.agreement)
    _require(permissions.can_log_supervision(user, agreement))
    group_leader = (group_leader or "").strip()
    if kind == rules.GRUPPE:
        supervisor = None
    _check_session(agreement, day=date, kind=kind, hours=hours, supervisor=supervisor, group_leader=group_leader,
                   exclude_pk=session.pk)
    session.date, session.kind, session.hours, session.supervisor = date, kind, hours, supervisor
    session.group_leader, session.note = group_leader, (note or "").strip()
    _full_clean(session)
    session._change_reason = "Endret"
    session.save()
    return session


@transaction.atomic
def session_delete(*, session: SupervisionSession, user) -> None:
    """Delete a session logged by mistake; the history keeps it."""
    agreement = _locked(session.agreement)
    _require(permissions.can_log_supervision(user, agreement))
    session._change_reason = "Slettet"
    session.delete()


# --- the daily job (docs/operations.md) ---------------------------------------------------------------------------


def complete_ended_agreements(*, today: date) -> int:
    """Mark approved agreements whose effective end is before `today` as fullført (a system transition with an
    AlisEvent without user). Idempotent: only agreements still `godkjent` move. Returns how many moved."""
    moved = 0
    for agreement in AlisAgreement.objects.filter(status=rules.GODKJENT, end_date__lt=today).order_by("pk"):
        try:
            agreement_transition(agreement, action="complete")
        except TransitionNotAllowed:  # completed by a parallel run
            continue
        moved += 1
    return moved


def agreement_notices(*, today: date) -> list[dict]:
    """Notices for the municipality's administrators (docs/operations.md): approved agreements that end within 60 days,
    and running ones behind on supervision (once a month). [{municipality_id, key, text, url}]; the key is
    stable, so writing the same notice twice is a no-op."""
    notices = []
    horizon = today + timedelta(days=NOTICE_DAYS)
    for agreement in AlisAgreement.objects.filter(status=rules.GODKJENT, end_date__gte=today,
                                                  end_date__lte=horizon).select_related("doctor"):
        end = agreement.effective_end
        notices.append({
            "municipality_id": agreement.municipality_id, "key": f"alis-slutt-{agreement.pk}-{end}",
            "text": f"ALIS-avtale {agreement.avtalenummer} ({agreement.doctor.name}) slutter {rules.d(end)}.",
            "url": reverse("alis:agreement_detail", args=[agreement.pk])})
    running = list(AlisAgreement.objects.filter(status=rules.GODKJENT, start_date__lte=today,
                                                end_date__gte=today).select_related("doctor"))
    results = compliance_for(running, today=today, table=requirements())
    for agreement in running:
        result = results[agreement.pk]
        if result.behind:
            notices.append({
                "municipality_id": agreement.municipality_id, "key": f"alis-bak-{agreement.pk}-{today:%Y-%m}",
                "text": f"ALIS-avtale {agreement.avtalenummer} ({agreement.doctor.name}) ligger etter med "
                        f"veiledning: {result.summary()}.",
                "url": reverse("alis:agreement_detail", args=[agreement.pk])})
    return notices
