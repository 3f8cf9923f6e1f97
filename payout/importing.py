"""Parsing and validation of payee files (docs/payments.md, «Utbetalingsmottakere»): the file rules of the list
import (practices.importing: delimiter, encodings, blank lines, whole-file refusals, `Rad N, kolonne K: …`) with the
payee columns. Pure: no ORM; the service (payout.services.payees) supplies the context, looks up the doctors and
writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from payout import rules
from practices import importing
from practices.importing import Context, RowError

COLUMNS = ("kommunenummer", "hpr_nummer", "mottaker_navn", "organisasjonsnummer", "kontonummer", "gyldig_fra")
REQUIRED_COLUMNS = ("kommunenummer", "hpr_nummer", "mottaker_navn", "kontonummer")  # the others may be left out
NAME_MAX_LENGTH = 200  # Payee.name
YEARS = (2000, 2099)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class PayeeRow:
    row: int
    kommunenummer: str
    hpr_nummer: str
    name: str
    organisasjonsnummer: str  # "" = the doctor personally
    kontonummer: str  # 11 digits
    valid_from: date | None  # None = from the start


@dataclass
class PayeeParse:
    rows: list[PayeeRow]
    errors: list[RowError]
    warnings: list[str]


def _check(column: str, raw: str, context: Context) -> tuple[object, str | None, tuple[str, ...]]:
    text = raw.strip()
    if column == "kommunenummer":
        number, error, warnings = importing.resolve_kommunenummer(raw, context)
        if error is None and context.allowed is not None and number not in context.allowed:
            name = context.names.get(number)
            error = (f"Du har ikke tilgang til å registrere utbetalingsmottakere for kommune {number}"
                     f"{' ' + name if name else ''}. Fjern raden, eller be om tilgang som kommuneadministrator.")
        return number, error, warnings
    if column == "hpr_nummer":
        if not text:
            return None, "HPR-nummer mangler verdi. Fyll inn legens HPR-nummer.", ()
        if not (text.isascii() and text.isdigit()) or len(text) > 9:
            return None, f"HPR-nummer må være 1–9 sifre, ikke «{text}».", ()
        return text, None, ()
    if column == "mottaker_navn":
        if not text:
            return None, ("Mottakerens navn mangler verdi. Fyll inn legens navn, eller navnet på legens selskap "
                          "når utbetalingen går dit."), ()
        if _CONTROL.search(text):
            return None, "Mottakerens navn inneholder kontrolltegn (for eksempel linjeskift). Fjern dem.", ()
        if len(text) > NAME_MAX_LENGTH:
            return None, (f"Mottakerens navn er for langt ({len(text)} tegn). Største lengde er "
                          f"{NAME_MAX_LENGTH} tegn."), ()
        return text, None, ()
    if column == "organisasjonsnummer":
        return importing.check_organisasjonsnummer(raw) if text else ("", None, ())
    if column == "kontonummer":
        if not text:
            return None, "Kontonummer mangler verdi. Fyll inn mottakerens kontonummer (11 sifre).", ()
        error = rules.kontonummer_error(text)
        return (None, error, ()) if error else (rules.clean_kontonummer(text), None, ())
    # gyldig_fra
    if not text:
        return None, None, ()
    value = importing.parse_date(text)
    if value is None or not YEARS[0] <= value.year <= YEARS[1]:
        return None, (f"Gyldig fra «{text}» er ikke en gyldig dato. Bruk formatet 2024-01-01, eller la feltet stå "
                      "tomt når mottakeren gjelder fra starten."), ()
    return value, None, ()


def parse_payee_file(data: bytes, context: Context) -> PayeeParse:
    """Validate a payee file (docs/payments.md «Utbetalingsmottakere»): every row checked, all errors at once, in
    Norwegian, with row number (header = row 1) and column. Raises practices.importing.FileRejected for a file that is
    not usable as a whole."""
    checked, errors, warnings = importing.checked_rows(
        data, COLUMNS, REQUIRED_COLUMNS, lambda column, raw: _check(column, raw, context),
        key=lambda values: (values["kommunenummer"], values["hpr_nummer"], values["gyldig_fra"]),
        duplicate=lambda values, earlier: (
            f"Lege {values['hpr_nummer']} i kommune {values['kommunenummer']} med samme gyldig fra står allerede "
            f"i rad {earlier}. Fjern en av radene."))
    rows = [PayeeRow(number, values["kommunenummer"], values["hpr_nummer"], values["mottaker_navn"],
                     values["organisasjonsnummer"], values["kontonummer"], values["gyldig_fra"])
            for number, values in checked]
    return PayeeParse(rows=rows, errors=errors, warnings=warnings)
