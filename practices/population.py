"""Parsing and validation of population files (`import_population`, docs/import.md «Innbyggertall»): the file rules of
the list import (practices.importing: delimiter, encodings, whole-file refusals, `Rad N, kolonne K: …`) with the
columns `kommunenummer;aar;innbyggere` (SSB table 07459, inhabitants on 1 January). Pure: no ORM."""

from __future__ import annotations

from dataclasses import dataclass

from practices import importing
from practices.importing import Context, RowError

COLUMNS = ("kommunenummer", "aar", "innbyggere")
YEARS = (2000, 2099)
MAX_INHABITANTS = 2_000_000  # Oslo has 720 000; more is a typo
_SPACES = str.maketrans("", "", " \u00a0\u202f")  # SSB and Excel write 1 412 with (no-break) spaces


@dataclass(frozen=True)
class PopulationRow:
    row: int
    kommunenummer: str
    year: int
    inhabitants: int


@dataclass
class PopulationParse:
    rows: list[PopulationRow]
    errors: list[RowError]
    warnings: list[str]


def _check(column: str, raw: str, context: Context) -> tuple[object, str | None, tuple[str, ...]]:
    text = raw.strip()
    if column == "kommunenummer":
        return importing.resolve_kommunenummer(raw, context)
    if column == "aar":
        if not text:
            return None, "År mangler verdi. Fyll inn året tallet gjelder (1. januar), for eksempel 2024.", ()
        if not (text.isascii() and text.isdigit()) or not YEARS[0] <= int(text) <= YEARS[1]:
            return None, f"År må være et årstall fra {YEARS[0]} til {YEARS[1]}, ikke «{text}».", ()
        return int(text), None, ()
    number = text.translate(_SPACES)
    if not number:
        return None, "Innbyggere mangler verdi. Fyll inn folkemengden 1. januar (SSB tabell 07459).", ()
    if not (number.isascii() and number.isdigit()):
        return None, f"Innbyggere må være et helt tall uten desimaler, ikke «{text}».", ()
    if int(number) > MAX_INHABITANTS:
        return None, (f"Innbyggere er {number}, mer enn {MAX_INHABITANTS:,} – kontroller tallet."
                      .replace(",", " ")), ()
    return int(number), None, ()


def parse_population_file(data: bytes, context: Context) -> PopulationParse:
    """Validate a population file: every row checked, all errors at once, in Norwegian, with row number (header = row
    1) and column. Raises practices.importing.FileRejected for a file that is not usable as a whole."""
    checked, errors, warnings = importing.checked_rows(
        data, COLUMNS, COLUMNS, lambda column, raw: _check(column, raw, context),
        key=lambda values: (values["kommunenummer"], values["aar"]),
        duplicate=lambda values, earlier: (f"Kommune {values['kommunenummer']} og år {values['aar']} står allerede "
                                           f"i rad {earlier}. Fjern en av radene."))
    rows = [PopulationRow(number, values["kommunenummer"], values["aar"], values["innbyggere"])
            for number, values in checked]
    return PopulationParse(rows=rows, errors=errors, warnings=warnings)
