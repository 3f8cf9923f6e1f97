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


def can_import(user) -> Result:
    """Importing needs the administrator role somewhere; rows of other municipalities are row errors (§9)."""
    from .selectors import municipalities_for

    if user.is_superuser or municipalities_for(user, roles=[Role.ADMINISTRATOR]).exists():
        return True, ""
    return False, _("Bare kommuneadministratorer kan importere listetall.")


def can_register_doctor(user) -> Result:
    """Doctors are national: an administrator of any municipality may register one (a new list's holder)."""
    from .selectors import municipalities_for

    if municipalities_for(user, roles=[Role.ADMINISTRATOR]).exists():
        return True, ""
    return False, _("Bare kommuneadministratorer kan registrere leger.")


def can_edit_doctor(user, doctor) -> Result:
    """An administrator of a municipality where the doctor holds (or held) a list."""
    from .selectors import municipalities_for

    municipalities = municipalities_for(user, roles=[Role.ADMINISTRATOR])
    if doctor.holdings.filter(patient_list__municipality__in=municipalities).exists():
        return True, ""
    return False, _("Bare administratorer i en kommune der legen har liste kan endre legen.")
