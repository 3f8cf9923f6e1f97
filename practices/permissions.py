"""Who may do what, as plain functions returning (allowed, reason) (docs/architecture.md, STYLE.md).

The same function guards the view, the API and the button (which shows the reason when disabled)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import Municipality, Role
from .selectors import doctor_municipalities, has_role, municipalities_for, roles_by_municipality

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


def is_member(user, municipality) -> bool:
    """Whether the user holds a role in the municipality. A superuser without one sees everything but is shown
    no case forms: the steps need a municipal role (issue 18)."""
    return bool(roles_by_municipality(user).get(municipality.pk))


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
    if user.is_superuser or municipalities_for(user, roles=[Role.ADMINISTRATOR]).exists():
        return True, ""
    return False, _("Bare kommuneadministratorer kan importere listetall.")


def can_register_doctor(user) -> Result:
    """Doctors are national: an administrator of any municipality may register one (a new list's holder)."""
    if municipalities_for(user, roles=[Role.ADMINISTRATOR]).exists():
        return True, ""
    return False, _("Bare kommuneadministratorer kan registrere leger.")


def can_edit_doctor(user, doctor) -> Result:
    """Doctors are national: a doctor's name and specialist fields are changed only by a user who is
    administrator in every municipality where the doctor has a list, a case or an agreement (docs/import.md)."""
    administered = set(municipalities_for(user, roles=[Role.ADMINISTRATOR]).values_list("pk", flat=True))
    if user.is_superuser or not administered:
        return False, _("Bare kommuneadministratorer kan endre leger.")
    elsewhere = doctor_municipalities([doctor.pk])[doctor.pk] - administered
    if elsewhere:
        names = ", ".join(str(m) for m in Municipality.objects.filter(pk__in=elsewhere).order_by("kommunenummer"))
        return False, _("Legen har liste, sak eller avtale også i %(kommuner)s, der du ikke er administrator. "
                        "Be en administrator i alle kommunene om å endre legen.") % {"kommuner": names}
    return True, ""
