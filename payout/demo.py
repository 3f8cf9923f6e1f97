"""Demo payees and Oslo's account (docs/payments.md, «Utbetalingsmottakere»), made through the services: entered by
kari.admin, confirmed by ola.saksbehandler; one doctor's new account from 2021 still waits for confirmation, so the
authorised 2020 months can still make their payment file. Idempotent."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Q
from stdnum.no import kontonr, orgnr

from payout.models import Payee
from payout.services import payees
from practices.models import Doctor, Municipality


def _with_check_digit(body: str, valid) -> str:
    return next(body + digit for digit in "0123456789" if valid(body + digit))


def demo_kontonummer(n: int) -> str:
    """A valid kontonummer from `n` (a body whose mod-11 remainder leaves no check digit is skipped)."""
    for bump in range(10):
        body = f"1503{(40 + n) % 100:02d}{(n * 7919 + bump) % 10000:04d}"
        if any(kontonr.is_valid(body + digit) for digit in "0123456789"):
            return _with_check_digit(body, kontonr.is_valid)
    raise ValueError(n)


def demo_orgnr(n: int) -> str:
    for body in range(91_500_000 + n * 10, 91_500_000 + n * 10 + 10):
        for digit in "0123456789":
            if orgnr.is_valid(f"{body}{digit}"):
                return f"{body}{digit}"
    raise ValueError(n)


def load_payees() -> str:
    oslo = Municipality.objects.get(kommunenummer="0301")
    payees.set_municipality_account(user=None, municipality=oslo, kontonummer=_with_check_digit("6011050000",
                                                                                                kontonr.is_valid),
                                    organisasjonsnummer="974770482", bic="DNBANOKKXXX")
    if Payee.objects.filter(municipality=oslo).exists():
        return ""
    users = get_user_model().objects
    admin, ola = users.get(username="kari.admin"), users.get(username="ola.saksbehandler")
    doctors = Doctor.objects.filter(  # list holders, and the doctors of agreements whose lines Oslo pays
        Q(holdings__patient_list__municipality=oslo)
        | Q(payment_lines__municipality=oslo, payment_lines__kept_by_municipality=False)).distinct().order_by(
        "hpr_nummer")
    made = []
    for n, doctor in enumerate(doctors):
        company = n % 3 == 1
        payee = payees.save_payee(
            user=admin, municipality=oslo, doctor=doctor, kontonummer=demo_kontonummer(n),
            name=f"{doctor.name} Legetjenester AS" if company else doctor.name,
            organisasjonsnummer=demo_orgnr(n) if company else "")
        made.append(payees.confirm_payee(user=ola, payee=payee))
    if made:  # a new account from 2021 for the first doctor, still pending
        payees.save_payee(user=admin, municipality=oslo, doctor=made[0].doctor, name=made[0].name,
                          kontonummer=demo_kontonummer(90), valid_from=date(2021, 1, 1))
    return f"Utbetalingsmottakere i 0301: {len(made) + bool(made)} (1 venter på bekreftelse)"
