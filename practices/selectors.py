"""Reads. Every queryset a view, export, API or task shows starts from `municipalities_for` (SPEC.md §10)."""

from django.db.models import QuerySet

from .models import Doctor, Membership, Municipality, PatientList, Practice, Role

ALL_ROLES = (Role.ADMINISTRATOR, Role.CASEWORKER, Role.AUDITOR)


def municipalities_for(user, *, roles=ALL_ROLES) -> QuerySet[Municipality]:
    """The municipalities where `user` has one of `roles`; every municipality for a superuser."""
    if not user.is_authenticated or not user.is_active:
        return Municipality.objects.none()
    if user.is_superuser:
        return Municipality.objects.all()
    return Municipality.objects.filter(memberships__user=user, memberships__role__in=roles).distinct()


def roles_by_municipality(user) -> dict[int, set[str]]:
    """{municipality_id: {role, …}} in one query; cached on the user object for the request."""
    cached = getattr(user, "_roles_by_municipality", None)
    if cached is None:
        cached = {}
        if user.is_authenticated:
            for municipality_id, role in Membership.objects.filter(user=user).values_list("municipality_id", "role"):
                cached.setdefault(municipality_id, set()).add(role)
        user._roles_by_municipality = cached
    return cached


def has_role(user, municipality, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return role == Role.AUDITOR  # superusers see everything; municipal work needs a membership
    municipality_id = getattr(municipality, "pk", municipality)
    return role in roles_by_municipality(user).get(municipality_id, set())


def practices_for(user) -> QuerySet[Practice]:
    return Practice.objects.filter(municipality__in=municipalities_for(user))


def lists_for(user) -> QuerySet[PatientList]:
    return PatientList.objects.filter(municipality__in=municipalities_for(user))


def doctors_for(user) -> QuerySet[Doctor]:
    """Doctors are national; a user sees those who hold (or held) a list in their municipalities."""
    if user.is_superuser:
        return Doctor.objects.all()
    return Doctor.objects.filter(holdings__patient_list__municipality__in=municipalities_for(user)).distinct()
