"""The one case: what grunntilskudd, introduksjonsavtaler and ALIS agreements share (docs/architecture.md).

Abstract models (no table of their own): who created, submitted and decided a case and when, its archive
reference, the checks stored at submission or decision, the reasons, the termination; and the event row that
records each transition (who, when, why). CaseEngine is the one machine that moves a case: the apps give it
their transition table (core.workflow), their checks and their hooks."""

from datetime import date

from django.conf import settings
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.i18n import source_text
from core.workflow import (
    SYSTEM,
    Check,
    ChecksFailed,
    Forbidden,
    ServiceError,
    Transition,
    Workflow,
    check_dict_localized,
    step_permission,
)

# Sent in the decision's transaction (approve, reject) with case=, action=, user= and url= (the case page): the
# accounts app writes the notice to whoever submitted the case (docs/operations.md, «E-postvarsler»).
case_decided = Signal()


class Case(models.Model):
    saksnummer = models.CharField(_("saksnummer (arkiv)"), max_length=50, blank=True)
    checks = models.JSONField(_("vilkår"), default=list, blank=True)  # [{"code", "ok", "message"}]
    decision_reason = models.TextField(_("begrunnelse for vedtaket"), blank=True)
    terminated_on = models.DateField(_("avsluttet fra"), null=True, blank=True)
    termination_reason = models.TextField(_("begrunnelse for avslutning"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class CaseEventBase(models.Model):
    """One transition of a case: the timeline. `user` is empty for the daily job."""

    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    LABELS: dict[str, str] = {}

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.action}: {self.from_status} → {self.to_status}"

    @property
    def label(self) -> str:
        """What the timeline says happened, in the page's language (LABELS are lazy)."""
        return self.LABELS.get(self.action, self.action)

    STATUS_LABELS: dict = {}  # status → its name on the page (the app's status choices)

    @property
    def from_label(self) -> str:
        return str(self.STATUS_LABELS.get(self.from_status, self.from_status))

    @property
    def to_label(self) -> str:
        return str(self.STATUS_LABELS.get(self.to_status, self.to_status))


class CaseEngine:
    """Runs a case along its transition table (docs/architecture.md, «Én saksmotor»): the table and the role,
    four-eyes, the reason, the checks at submission and approval, who and when, the history and the event.
    An app subclasses it with its table, its checks and the hooks below; everything else is the same for a
    grunntilskudd, an introduksjonsavtale and an ALIS agreement. Refusals are core.workflow errors."""

    workflow: Workflow
    event_model: type[CaseEventBase]
    role_checks: dict  # role → the app's permission function (user, municipality) → (bool, reason)
    system_reason = _("Dette gjøres av den daglige kjøringen.")
    action_labels: dict = {}  # action → what its button says (lazy: the page's language)
    history_labels: dict = {}  # action → the short text of the history's change reason (stored in bokmål)
    approve_verb = _("godkjenne")  # "Skriv en begrunnelse for å … likevel."

    # --- what an app gives ------------------------------------------------------------------------------

    def lock(self, case):
        return type(case).objects.select_for_update().select_related("municipality").get(pk=case.pk)

    def event_link(self, case) -> dict:
        """The event's foreign key to the case, as keyword arguments."""
        raise NotImplementedError

    def checks(self, case, *, action: str) -> list[dict]:
        """The eligibility checks at submission and approval, as dicts (Check.as_dict)."""
        raise NotImplementedError

    def refusals(self, case, step: Transition, *, reason: str, on: date | None) -> dict[str, str]:
        """The app's own reasons to refuse the step (field → message); none by default."""
        return {}

    def apply(self, case, step: Transition, *, reason: str, on: date | None) -> str | None:
        """Write the app's own fields of the step; return the event's reason when it differs from `reason`."""
        return None

    def after(self, case, step: Transition, *, user, on: date | None) -> None:
        """What follows a step once it is saved (payments to recompute, a date to write elsewhere)."""

    def case_url(self, case) -> str:
        """The case's page, for notices."""
        return ""

    letter_actions: tuple[str, ...] = ()  # the decisions that get a PDF letter (core.letters)

    def issue_letter(self, case, event):
        """Render and store the decision's letter (core.letters.issue); None when it could not be made."""
        raise NotImplementedError

    # --- the machine -----------------------------------------------------------------------------------

    def permission(self, user, case, step: Transition) -> tuple[bool, str]:
        """Role and four-eyes for one step — the same answer for the button, the view and the API."""
        return step_permission(user, case, step, role_checks=self.role_checks, system_reason=str(self.system_reason))

    def actions(self, user, case) -> list[dict]:
        """Every step a person may take from the case's status, with whether `user` may and why not (the buttons
        and the API's `actions`)."""
        rows = []
        for step in self.workflow.allowed(case.status):
            if step.role != SYSTEM:
                allowed, reason = self.permission(user, case, step)
                rows.append({"action": step.action, "label": self.action_labels.get(step.action, step.action),
                             "allowed": allowed, "reason": reason, "reason_required": step.reason_required})
        return rows

    def record(self, case, *, action: str, from_status: str, user, reason: str = ""):
        return self.event_model.objects.create(**self.event_link(case), action=action, from_status=from_status,
                                               to_status=case.status, user=user, reason=reason)

    def create(self, case, *, user, initial: str, host_lists=None):
        """Save a new draft the caller has validated, with its `create` event."""
        case.created_by, case.status = user, initial
        case._change_reason = source_text(_("Opprettet"))
        case.save()
        if host_lists is not None:
            case.host_lists.set(host_lists)
        self.record(case, action="create", from_status="", user=user)
        return case

    @transaction.atomic
    def transition(self, case, *, action: str, user=None, reason: str = "", override_reason: str = "",
                   on: date | None = None):
        """Move `case` by `action`; `user` None is the daily job, allowed only system steps. `on` is the day a
        termination takes effect. Raises TransitionNotAllowed (409), Forbidden (403), ChecksFailed or
        ServiceError (400)."""
        case = self.lock(case)
        step = self.workflow.transition_for(case.status, action)
        if user is None:
            if step.role != SYSTEM:
                raise Forbidden(gettext("Bare en innlogget bruker kan gjøre dette."))
        else:
            allowed, why = self.permission(user, case, step)
            if not allowed:
                raise Forbidden(why)
        reason, override_reason = (reason or "").strip(), (override_reason or "").strip()
        errors = {"reason": gettext("Skriv en begrunnelse.")} if step.reason_required and not reason else {}
        errors = {**self.refusals(case, step, reason=reason, on=on), **errors}
        if errors:
            raise ServiceError(errors=errors)
        from_status, now, event_reason = case.status, timezone.now(), reason
        if action == "submit":
            case.checks = self.checks(case, action=action)
            case.submitted_by, case.submitted_at = user, now
        elif action == "approve":
            case.checks = self.checks(case, action=action)
            failing = [c for c in case.checks if not c["ok"]]
            if failing and not override_reason:
                messages = " ".join(check_dict_localized(c)["message"] for c in failing)
                raise ChecksFailed(gettext("Vilkår er ikke oppfylt: %(checks)s Skriv en begrunnelse for å %(verb)s "
                                           "likevel.") % {"checks": messages, "verb": self.approve_verb},
                                   checks=case.checks)
            case.override_reason = override_reason if failing else ""
            if failing:
                # stored in bokmål, as the history is (the override reason is the caseworker's own words)
                label = source_text(self.event_model.LABELS.get("approve", ""))
                event_reason = f"{label} tross vilkår: {override_reason}" + (f" {reason}" if reason else "")
        if action in ("approve", "reject"):
            case.decided_by, case.decided_at, case.decision_reason = user, now, reason
        elif action == "terminate":
            case.terminated_on, case.termination_reason = on, reason
        event_reason = self.apply(case, step, reason=reason, on=on) or event_reason
        case.status = step.target
        # the history keeps a short reason (its column holds 100 characters); the event keeps all of it
        label = source_text(self.history_labels.get(action, action))  # the history is kept in bokmål
        case._change_reason = f"{label}{': ' + reason if reason else ''}"[:100]
        case.save()
        event = self.record(case, action=action, from_status=from_status, user=user, reason=event_reason)
        self.after(case, step, user=user, on=on)
        if action in ("approve", "reject"):
            case_decided.send(sender=type(case), case=case, action=action, user=user, url=self.case_url(case))
        # in the decision's transaction, from the locked row: the letter says what was decided, nothing later;
        # a letter that fails is logged and left out, the decision stands (core.letters.issue)
        if action in self.letter_actions:
            self.issue_letter(case, event)
        return case


def checks_as_dicts(checks: list[Check]) -> list[dict]:
    return [c.as_dict() for c in checks]
