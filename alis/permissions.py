"""Who may do what with an ALIS agreement, as (allowed, reason) (docs/architecture.md, STYLE.md "Hypha").

The same function guards the service, the view and the button, which shows the reason when disabled."""

from django.utils.translation import gettext as _

from alis import rules
from core.workflow import ADMINISTRATOR, CASEWORKER, TransitionNotAllowed, step_permission
from practices.permissions import Result, can_administer, can_casework, can_view


def can_see(user, agreement) -> Result:
    return can_view(user, agreement.municipality)


def can_create(user, municipality) -> Result:
    return can_administer(user, municipality)


def can_edit(user, agreement) -> Result:
    allowed, reason = can_administer(user, agreement.municipality)
    if not allowed:
        return allowed, reason
    if agreement.status != rules.UTKAST:
        return False, _("Avtalen er sendt inn og kan ikke endres. Bare utkast kan endres.")
    return True, ""


def can_act(user, agreement, action: str) -> Result:
    """Role and four-eyes for one transition of the table (alis.rules.WORKFLOW)."""
    try:
        step = rules.WORKFLOW.transition_for(agreement.status, action)
    except TransitionNotAllowed:
        label = rules.ACTION_LABELS.get(action, action)
        status = rules.STATUS_LABELS.get(agreement.status, agreement.status)
        return False, _("«%(action)s» er ikke mulig når avtalen er %(status)s.") % {"action": label, "status": status}
    return step_permission(user, agreement, step, role_checks={ADMINISTRATOR: can_administer,
                                                               CASEWORKER: can_casework},
                           system_reason=_("Dette gjøres av den daglige kjøringen etter avtalens slutt."))


def can_log_supervision(user, agreement) -> Result:
    allowed, reason = can_administer(user, agreement.municipality)
    if not allowed:
        return allowed, reason
    if agreement.status not in rules.EVER_APPROVED:
        return False, _("Veiledning kan registreres når avtalen er godkjent.")
    return True, ""


def can_change_supervisor(user, agreement) -> Result:
    allowed, reason = can_administer(user, agreement.municipality)
    if not allowed:
        return allowed, reason
    if agreement.status not in (rules.INNSENDT, rules.GODKJENT):
        return False, _("Bytte av veileder registreres på en innsendt eller godkjent avtale.")
    return True, ""
