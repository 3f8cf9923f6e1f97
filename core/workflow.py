"""Case workflows as explicit transition tables (STYLE.md: Amsterdam Signals), shared by grants and ALIS.

A table lists every allowed (from, action) → to with who may do it; core.cases.CaseEngine runs a case
along it and records an event with who, when and why. Nothing here touches the database. ServiceError is the
one error type of every service (its subclasses only fix the status)."""

from dataclasses import dataclass

from django.utils.translation import gettext

from core.i18n import localized, source_text, translations

ADMINISTRATOR, CASEWORKER, SYSTEM, SUPERUSER = "administrator", "caseworker", "system", "superuser"


class ServiceError(Exception):
    """A refused action with a Norwegian message: `status` is the HTTP status the caller answers with (400, 403),
    `field` or `errors` name the form fields, `checks` the eligibility checks that failed. The one error type
    the views, the API (core.api.exception_handler) and the commands translate; the apps' errors subclass it."""

    status = 400

    def __init__(self, message: str = "", *, field: str | None = None, errors: dict[str, str] | None = None,
                 checks=None):
        self.field, self.errors, self.checks = field, dict(errors or {}), checks
        super().__init__(message or " ".join(self.errors.values()))
        if field and not self.errors:
            self.errors = {field: str(self)}
        elif field is None and len(self.errors) == 1:
            self.field = next(iter(self.errors))


class Forbidden(ServiceError):
    """The user's role (or the four-eyes rule) does not allow it: a 403 with the reason."""

    status = 403


class ChecksFailed(ServiceError):
    """A failing eligibility check at a decision without an override reason; `checks` are all of them."""


class TransitionNotAllowed(ServiceError):
    """The action is not allowed from the current status (409); `allowed` names the actions that are.
    `case_status` is the status the case has."""

    status = 409

    def __init__(self, status: str, action: str, allowed: list[str]):
        self.case_status, self.action, self.allowed = status, action, allowed
        names = ", ".join(allowed) or gettext("ingen")
        super().__init__(gettext("«%(action)s» er ikke tillatt når saken har status «%(status)s». Tillatt nå: "
                                 "%(names)s.") % {"action": action, "status": status, "names": names})


@dataclass(frozen=True)
class Check:
    """One eligibility check of a case, stored with it and shown at the decision; a failing one blocks approval
    unless the caseworker records an override reason. `message` is a lazy text (core.i18n.text): stored in bokmål
    as `message` (what the archive and the API have always had), with its nynorsk and English beside it under
    `translations`, so a page shows the stored check in its own language (check_dict_localized)."""

    code: str
    ok: bool
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "ok": self.ok, "message": source_text(self.message),
                "translations": translations(self.message)}


def check_dict_localized(check: dict) -> dict:
    """A stored check as {"code", "ok", "message"} with the message in the active language (pages and API)."""
    return {"code": check["code"], "ok": check["ok"], "message": localized(check)}


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    role: str  # who may do it: administrator, caseworker, system (the daily job) or superuser
    reason_required: bool = False
    four_eyes: bool = False  # not by the one who created or submitted the case


class Workflow:
    def __init__(self, *transitions: Transition):
        self.transitions = transitions
        self._index = {(t.source, t.action): t for t in transitions}

    def allowed(self, status: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == status]

    def transition_for(self, status: str, action: str) -> Transition:
        try:
            return self._index[(status, action)]
        except KeyError:
            raise TransitionNotAllowed(status, action, [t.action for t in self.allowed(status)]) from None

    def statuses(self) -> set[str]:
        return {t.source for t in self.transitions} | {t.target for t in self.transitions}


def step_permission(user, case, step: Transition, *, role_checks: dict, system_reason: str) -> tuple[bool, str]:
    """Who may take one step of a case: the step's role in the case's own municipality (`role_checks` maps a
    role to the app's permission function) and, for a four-eyes step, not the one who created or submitted
    it. The same answer for the button, the view and the API."""
    if step.role == SYSTEM:
        return False, system_reason
    allowed, reason = role_checks[step.role](user, case.municipality)
    if not allowed:
        return allowed, reason
    if step.four_eyes:
        reason = four_eyes_reason(user, created_by_id=case.created_by_id, submitted_by_id=case.submitted_by_id)
        if reason:
            return False, reason
    return True, ""


def four_eyes_reason(user, *, created_by_id, submitted_by_id) -> str:
    """Empty when `user` may decide; otherwise why not (docs/grants.md: neither created nor submitted it)."""
    if user.pk == created_by_id:
        return gettext("Du opprettet saken. En annen saksbehandler må avgjøre den (fireøyneprinsippet).")
    if user.pk == submitted_by_id:
        return gettext("Du sendte inn saken. En annen saksbehandler må avgjøre den (fireøyneprinsippet).")
    return ""
