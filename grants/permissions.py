"""Who may recompute and close payment months (docs/architecture.md): functions returning (allowed, reason)."""

from django.utils.translation import gettext as _

from practices.permissions import can_casework


def can_recompute(user, municipality):
    return can_casework(user, municipality)


def _caseworker_when(user, payment_month, status, not_now: str):
    """A caseworker of the month's municipality, and the month in `status` (else `not_now`)."""
    allowed, reason = can_casework(user, payment_month.municipality)
    if allowed and payment_month.status != status:
        return False, not_now
    return allowed, reason


def can_attest(user, payment_month):
    allowed, reason = _caseworker_when(user, payment_month, payment_month.Status.OPEN,
                                       _("Måneden er allerede attestert eller lukket."))
    if allowed and payment_month.computed_at is None:
        return False, _("Måneden er ikke beregnet ennå. Beregn den før du attesterer.")
    return allowed, reason


def can_authorise(user, payment_month):
    allowed, reason = _caseworker_when(user, payment_month, payment_month.Status.ATTESTED,
                                       _("Måneden må attesteres før den kan anvises."))
    if allowed and payment_month.attested_by_id == user.pk:
        return False, _("Du attesterte denne måneden. En annen saksbehandler må anvise den (to personer kreves).")
    return allowed, reason
