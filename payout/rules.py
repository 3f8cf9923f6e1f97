"""Pure rules of the payout (docs/payments.md, «Betaling og bilag»): kontonummer, account strings. No database."""

import re

from django.utils.translation import gettext as _
from stdnum.no import kontonr

DEFAULT_ACCOUNT_STRING = {"art": "370", "ansvar": "", "funksjon": "241", "prosjekt": ""}  # KOSTRA: fastleger


def clean_kontonummer(value: str) -> str:
    """Spaces and dots removed: "8601.11.17947" → "86011117947"."""
    return re.sub(r"[\s.]", "", value or "")


def kontonummer_error(value: str) -> str:
    """A Norwegian message when `value` is no kontonummer (after removing spaces and dots exactly 11 digits with
    the mod-11 check digit, stdnum.no.kontonr), else ""."""
    digits = clean_kontonummer(value)
    if not re.fullmatch(r"\d{11}", digits):
        return _("Kontonummeret må ha 11 sifre (mellomrom og punktum kan tas med), fikk «%(value)s».") % {
            "value": value}
    if not kontonr.is_valid(digits):
        return _("Kontonummeret %(value)s har feil kontrollsiffer (det siste sifferet). Kontroller nummeret.") % {
            "value": format_kontonummer(digits)}
    return ""


def format_kontonummer(digits: str) -> str:
    """"86011117947" → "8601.11.17947" (how Norwegians write it)."""
    return f"{digits[:4]}.{digits[4:6]}.{digits[6:]}" if re.fullmatch(r"\d{11}", digits or "") else digits
