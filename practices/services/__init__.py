"""Writes for municipalities, users and memberships (SPEC.md §10). List data writes live in import_service."""

from django.contrib.auth import get_user_model
from django.db import transaction

from practices.models import Membership, Municipality


@transaction.atomic
def user_upsert(*, username: str, password: str, superuser: bool = False,
                municipality: Municipality | None = None, role: str | None = None):
    """Create the user or set its password, and add the membership (idempotent). Returns (user, created)."""
    user, created = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    if superuser:
        user.is_superuser = user.is_staff = True
    user.full_clean(exclude=["password"])
    user.save()
    if municipality is not None and role:
        Membership.objects.get_or_create(user=user, municipality=municipality, role=role)
    return user, created


@transaction.atomic
def record_save(*, instance, user, municipality=None):
    """Save a practice, list or doctor edited in a form, after the permission check; history records who."""
    from practices.permissions import can_administer, require

    if municipality is not None:
        require(can_administer(user, municipality))
    instance.full_clean()
    instance.save()
    return instance
