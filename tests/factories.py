"""factory_boy factories for the test suite (STYLE.md)."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from stdnum.no import orgnr

from practices.models import (
    Doctor,
    ListCount,
    ListHolder,
    Membership,
    Municipality,
    PatientList,
    Practice,
)

PASSWORD = "test-passord-123"


def valid_orgnr(n: int) -> str:
    """A valid organisasjonsnummer built from a sequence number (mod-11 check digit)."""
    for base in range(n, n + 1000):
        body = f"9{base:07d}"[:8]
        for digit in "0123456789":
            if orgnr.is_valid(body + digit):
                return body + digit
    raise ValueError(n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"bruker{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Bruker {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(municipality, role, *, username=None):
    """A user with `role` in `municipality`."""
    user = UserFactory(**({"username": username} if username else {}))
    Membership.objects.get_or_create(user=user, municipality=municipality, role=role)
    return user


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    organisasjonsnummer = factory.Sequence(lambda n: valid_orgnr(100 + n * 7))
    name = factory.Sequence(lambda n: f"Testlegekontor {n}")
    municipality = factory.LazyFunction(lambda: Municipality.objects.get(kommunenummer="0301"))
    address = "Storgata 1"


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor

    hpr_nummer = factory.Sequence(lambda n: str(9000000 + n))
    name = factory.Sequence(lambda n: f"Lege {n}")


class PatientListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientList

    practice = factory.SubFactory(PracticeFactory)
    municipality = factory.SelfAttribute("practice.municipality")
    listenummer = factory.Sequence(lambda n: str(1000 + n))
    listetak = 1500


class ListHolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListHolder

    patient_list = factory.SubFactory(PatientListFactory)
    from_month = dt.date(2020, 1, 1)
    doctor = factory.SubFactory(DoctorFactory)
    driftsform = "naeringsdrivende"


class ListCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListCount

    patient_list = factory.SubFactory(PatientListFactory)
    month = dt.date(2020, 6, 1)
    antall_pasienter = 1000
    listetak = factory.SelfAttribute("patient_list.listetak")
