"""Who may recompute and close payment months (docs/architecture.md): functions returning (allowed, reason)."""

from django.utils.translation import gettext as _

from practices.permissions import can_casework


def can_recompute(user, municipality):
    return can_casework(user, municipality)


def can_attest(user, payment_month):
    allowed, reason = can_casework(user, payment_month.municipality)
    if not allowed:
        return allowed, reason
    if payment_month.status != payment_month.Status.OPEN:
        return False, _("Måneden er allerede attestert eller lukket.")
    if payment_month.computed_at is None:
        return False, _("Måneden er ikke beregnet ennå. Beregn den før du attesterer.")
    return True, ""


def can_authorise(user, payment_month):
    allowed, reason = can_casework(user, payment_month.municipality)
    if not allowed:
        return allowed, reason
    if payment_month.status != payment_month.Status.ATTESTED:
        return False, _("Måneden må attesteres før den kan anvises.")
    if payment_month.attested_by_id == user.pk:
        return False, _("Du attesterte denne måneden. En annen saksbehandler må anvise den (to personer kreves).")
    return True, ""
