"""factory_boy factories for ALIS tests (tests/factories.py has the shared ones)."""

import datetime as dt
from decimal import Decimal

import factory

from alis import rules
from alis.models import AlisAgreement, AlisEvent, SupervisionSession
from tests.factories import DoctorFactory, PracticeFactory, UserFactory


class SpecialistFactory(DoctorFactory):
    hpr_nummer = factory.Sequence(lambda n: str(7000000 + n))
    name = factory.Sequence(lambda n: f"Veileder {n}")
    specialist_general_practice = True
    specialist_since = dt.date(2010, 1, 1)


class AgreementFactory(factory.django.DjangoModelFactory):
    """A draft written straight to the database (tests of services start from here)."""

    class Meta:
        model = AlisAgreement

    practice = factory.SubFactory(PracticeFactory)
    municipality = factory.SelfAttribute("practice.municipality")
    avtalenummer = factory.Sequence(lambda n: f"ALIS-{n:04d}")
    doctor = factory.SubFactory(DoctorFactory)
    supervisor = factory.SubFactory(SpecialistFactory)
    start_date = dt.date(2021, 3, 15)
    end_date = factory.LazyAttribute(lambda o: rules.default_end(o.start_date))
    position_percent = 100
    employment_form = rules.NAERINGSDRIVENDE
    annual_payment = Decimal("120000.00")
    status = rules.UTKAST
    created_by = factory.SubFactory(UserFactory)


def approved(**kwargs) -> AlisAgreement:
    """An agreement in `godkjent` (or the given status of an approved one) as if created, submitted and approved
    by others."""
    agreement = AgreementFactory(**{"status": rules.GODKJENT, **kwargs})
    agreement.submitted_by = agreement.created_by
    agreement.decided_by = UserFactory()
    agreement.save()
    AlisEvent.objects.create(agreement=agreement, action="approve", from_status=rules.INNSENDT,
                             to_status=rules.GODKJENT, user=agreement.decided_by)
    return agreement


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionSession

    agreement = factory.SubFactory(AgreementFactory)
    date = dt.date(2021, 4, 1)
    kind = rules.INDIVIDUELL
    hours = Decimal("2")
    supervisor = factory.LazyAttribute(lambda o: o.agreement.supervisor if o.kind == rules.INDIVIDUELL else None)
    group_leader = factory.LazyAttribute(lambda o: "" if o.kind == rules.INDIVIDUELL else "Gruppeleder Hansen")
    created_by = factory.SelfAttribute("agreement.created_by")


