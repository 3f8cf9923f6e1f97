"""Who may do what, as plain functions returning (allowed, reason) (SPEC.md §10, STYLE.md).

The same function guards the view, the API and the button (which shows the reason when disabled)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import Role
from .selectors import has_role

Result = tuple[bool, str]


def require(result: Result) -> None:
    """Raise 403 with the reason when a permission function says no."""
    allowed, reason = result
    if not allowed:
        raise PermissionDenied(reason)


def can_view(user, municipality) -> Result:
    if user.is_superuser or any(has_role(user, municipality, role) for role in Role.values):
        return True, ""
    return False, _("Du har ikke tilgang til denne kommunen.")


def can_administer(user, municipality) -> Result:
    """Edit practices, doctors and lists; import; create, submit and appeal cases; log supervision."""
    if has_role(user, municipality, Role.ADMINISTRATOR):
        return True, ""
    return False, _("Bare kommuneadministratorer i %(kommune)s kan gjøre dette.") % {"kommune": municipality}


def can_casework(user, municipality) -> Result:
    """Decide cases, approve ALIS, recompute payments and close months (four-eyes is checked separately)."""
    if has_role(user, municipality, Role.CASEWORKER):
        return True, ""
    return False, _("Bare saksbehandlere i %(kommune)s kan gjøre dette.") % {"kommune": municipality}
