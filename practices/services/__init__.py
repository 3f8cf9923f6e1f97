"""Writes for users, practices, lists and doctors (docs/architecture.md); list data imports live in list_import."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from practices.models import Doctor, Membership, Municipality, PatientList, Practice
from practices.permissions import can_administer, can_edit_doctor, can_register_doctor, require


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


def _stored(instance):
    """The row as the database has it (locked), or None for a new object: permissions and the municipality
    are judged on what is stored, never on what the request says (docs/import.md, «Hvem kan endre hva»)."""
    if instance.pk is None:
        return None
    return type(instance).objects.select_for_update().get(pk=instance.pk)


def _keep(stored, instance, attname: str, message: str) -> None:
    """Refuse a change of a field that identifies where the object belongs (or who it is)."""
    if stored is not None and getattr(stored, attname) != getattr(instance, attname):
        raise ValidationError({attname.removesuffix("_id"): message})


@transaction.atomic
def practice_save(*, practice: Practice, user) -> Practice:
    """Create or edit a practice: an administrator of its own municipality; a practice is never moved."""
    stored = _stored(practice)
    require(can_administer(user, stored.municipality if stored else practice.municipality))
    _keep(stored, practice, "municipality_id", _("Et legekontor kan ikke flyttes til en annen kommune."))
    practice.full_clean()
    practice.save()
    return practice


@transaction.atomic
def list_save(*, patient_list: PatientList, user) -> PatientList:
    """Create or edit a list: an administrator of its own municipality; its practice lies in the same one."""
    stored = _stored(patient_list)
    require(can_administer(user, stored.municipality if stored else patient_list.municipality))
    _keep(stored, patient_list, "municipality_id", _("En liste kan ikke flyttes til en annen kommune."))
    if patient_list.practice_id and patient_list.practice.municipality_id != patient_list.municipality_id:
        raise ValidationError({"practice": _("Legekontoret ligger ikke i listens kommune.")})
    patient_list.full_clean()
    patient_list.save()
    return patient_list


@transaction.atomic
def doctor_save(*, doctor: Doctor, user) -> Doctor:
    """Register a doctor (any administrator: doctors are national) or change one (an administrator in every
    municipality where the doctor appears, practices.permissions.can_edit_doctor); the HPR number stays."""
    stored = _stored(doctor)
    require(can_edit_doctor(user, stored) if stored else can_register_doctor(user))
    _keep(stored, doctor, "hpr_nummer", _("HPR-nummeret til en registrert lege kan ikke endres."))
    doctor.full_clean()
    doctor.save()
    return doctor
