"""Payees and the municipality's account for the payout tests (docs/payments.md, «Betaling og bilag»)."""

import factory
from django.utils import timezone
from stdnum.no import kontonr

from payout.models import MunicipalityAccount, Payee
from tests.factories import DoctorFactory


def valid_kontonummer(n: int) -> str:
    """An 11-digit kontonummer with a right mod-11 check digit: 1503 + six digits from `n` + the check digit."""
    for bump in range(100):
        body = f"1503{(n + bump) % 1_000_000:06d}"
        for digit in "0123456789":
            if kontonr.is_valid(body + digit):
                return body + digit
    raise ValueError(n)


class PayeeFactory(factory.django.DjangoModelFactory):
    """A confirmed payee paid personally; pass confirmed_at=None for a pending account."""

    class Meta:
        model = Payee

    doctor = factory.SubFactory(DoctorFactory)
    name = factory.LazyAttribute(lambda payee: payee.doctor.name)
    kontonummer = factory.Sequence(valid_kontonummer)
    confirmed_at = factory.LazyFunction(timezone.now)


class MunicipalityAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MunicipalityAccount

    kontonummer = factory.Sequence(lambda n: valid_kontonummer(500_000 + n))
