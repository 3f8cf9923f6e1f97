"""Who may do what with payees and the municipality's account (docs/payments.md, «Utbetalingsmottakere»): plain
functions returning (allowed, reason), used by the button, the view, the API and the commands."""

from django.utils.translation import gettext as _

from practices.permissions import Result, can_administer, can_casework


def can_enter_payees(user, municipality) -> Result:
    """Enter and change payees, the municipality's account and its account strings: its administrators."""
    return can_administer(user, municipality)


def four_eyes_reason(user, payee) -> str:
    """Empty when `user` is not the one who entered (or last changed) the payee's account; else why not."""
    if payee.entered_by_id is not None and user.pk == payee.entered_by_id:
        return _("Du registrerte eller endret kontonummeret. En annen saksbehandler må bekrefte det "
                 "(fireøyneprinsippet).")
    return ""


def can_confirm_payee(user, payee) -> Result:
    """Confirm a pending kontonummer: a caseworker of the payee's own municipality who did not enter it."""
    allowed, reason = can_casework(user, payee.municipality)
    if not allowed:
        return allowed, reason
    if not payee.is_pending:
        return False, _("Kontonummeret er allerede bekreftet.")
    reason = four_eyes_reason(user, payee)
    return (False, reason) if reason else (True, "")
