"""Parsing and validation of list-data imports (docs/import.md): CSV files and API records in, validated rows,
row errors and warnings out. Pure: no ORM, no Django settings; the service layer supplies a `Context`
(today's municipalities, old numbers, the user's scope) and does the writing.

Every message a user sees is a Norwegian sentence naming what is wrong and how to fix it. Values are
validated once per distinct cell text (per-column caches), so a 60,000-row file costs little more than
the CSV parsing itself.
"""

from __future__ import annotations

import csv
import difflib
import gc
import io
import re
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import compress, islice
from pathlib import Path
from typing import NamedTuple

from stdnum.no import orgnr as stdnum_orgnr

from core.months import format_month

REQUIRED_COLUMNS = (
    "kommunenummer",
    "organisasjonsnummer",
    "legekontor",
    "hpr_nummer",
    "lege_navn",
    "listenummer",
    "listetak",
    "antall_pasienter",
    "maaned",
)
OPTIONAL_COLUMNS = ("behovsindeks", "driftsform", "avtale_fra")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# A list-month as the files we write carry it (generated data, the export): avtale_fra belongs to the holder.
COUNT_COLUMNS = REQUIRED_COLUMNS + ("behovsindeks", "driftsform")

MAX_DATA_ROWS = 100_000
READ_CHUNK = 10_000  # CSV records per step of _read
MAX_COLUMNS = 100  # per header and per API row: twelve are read; the rest would only be warnings
LISTETAK_MAX = 2500
ANTALL_PASIENTER_MAX = 9999
NAME_MAX_LENGTH = 200  # Practice.name and Doctor.name
LISTENUMMER_MAX_LENGTH = 20  # PatientList.listenummer
MONTH_YEARS = (2000, 2099)  # a year outside this is a typo, not a month anyone pays for

DATA_DIR = Path(__file__).resolve().parent / "data"

DRIFTSFORMER = {
    "naeringsdrivende": "naeringsdrivende",
    "næringsdrivende": "naeringsdrivende",
    "fastlonnet": "fastlonnet",
    "fastlønnet": "fastlonnet",
    "ubesatt": "ubesatt",
}

LABELS = {
    "kommunenummer": "Kommunenummer",
    "organisasjonsnummer": "Organisasjonsnummer",
    "legekontor": "Legekontor",
    "hpr_nummer": "HPR-nummer",
    "lege_navn": "Legens navn",
    "listenummer": "Listenummer",
    "listetak": "Listetak",
    "antall_pasienter": "Antall pasienter",
    "maaned": "Måned",
    "behovsindeks": "Behovsindeks",
    "driftsform": "Driftsform",
    "avtale_fra": "Avtale fra",
}
EMPTY_HINTS = {
    "kommunenummer": "kommunens firesifrede nummer, for eksempel 0301",
    "organisasjonsnummer": "legekontorets organisasjonsnummer (9 sifre)",
    "legekontor": "legekontorets navn",
    "hpr_nummer": "legens HPR-nummer, eller sett driftsform til ubesatt hvis listen ikke har fastlege",
    "lege_navn": "legens navn, eller sett driftsform til ubesatt hvis listen ikke har fastlege",
    "listenummer": "listens nummer i kommunen",
    "listetak": "et helt tall fra 0 til 2 500",
    "antall_pasienter": "antall pasienter på listen den 1. i måneden (0–9 999)",
    "maaned": "måneden, for eksempel 2020-05",
}
DELIMITER_NAMES = {";": "semikolon", ",": "komma", "\t": "tabulator"}

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")  # every control character except tab
_MONTH = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?|(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)
_DECIMAL = re.compile(r"\d+(?:\.\d+)?|\.\d+", re.ASCII)
_EXCEL_EXPONENT = re.compile(r"\d+(?:[.,]\d+)?[eE]\+?\d+")
_NUMBER_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")  # nb thousands separators (Excel, «1 050»)
_HEADER_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", " ": "_", "-": "_"})
_QUANT = Decimal("0.0001")
_BINARY_SAMPLE = 65536


@dataclass(frozen=True)
class RowError:
    row: int  # as in the file, header = 1 (API records: index + 2)
    column: str | None  # None for a problem with the whole row
    message: str
    # the row's municipality where it is known: a user sees only the errors of her own (docs/import.md)
    kommunenummer: str | None = field(default=None, compare=False)

    def __str__(self):
        return (
            f"Rad {self.row}, kolonne {self.column}: {self.message}"
            if self.column
            else f"Rad {self.row}: {self.message}"
        )


class FileRejected(Exception):
    """The whole file (or API body) is unusable; str(exc) is one Norwegian sentence for the user."""


@dataclass
class FileImport:
    """What a small CSV import (population, payees) did or would do: counts per data row, and the errors that refused
    it (nothing written). `summary` is the command's last line (docs/import.md, «Command line»)."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    message: str = ""  # a whole-file refusal

    @property
    def ok(self) -> bool:
        return not self.errors and not self.message

    @property
    def summary(self) -> str:
        return f"opprettet {self.created}, endret {self.changed}, uendret {self.unchanged}"


class ListRow(NamedTuple):
    """One valid data row. A named tuple: a national file makes 60,000 of them, and a frozen dataclass's
    `__init__` (one `object.__setattr__` per field) was a fifth of the parse (docs/performance.md)."""

    row: int
    kommunenummer: str
    organisasjonsnummer: str
    legekontor: str
    hpr_nummer: str  # "" for ubesatt
    lege_navn: str  # "" for ubesatt
    listenummer: str
    listetak: int
    antall_pasienter: int
    maaned: date
    behovsindeks: Decimal | None
    driftsform: str | None  # None when not given: the service keeps the holder's, or næringsdrivende if new
    avtale_fra: date | None


@dataclass
class ParseResult:
    rows: list[ListRow]
    errors: list[RowError]
    warnings: list[str]
    data_rows: int
    # row → kommunenummer of the rows refused only because the user may not import there (docs/import.md)
    outside: dict[int, str] = field(default_factory=dict, kw_only=True)
    skipped: dict[str, int] = field(default_factory=dict, kw_only=True)  # kommunenummer → rows left out

    @property
    def ok(self) -> bool:
        return not self.errors


def outside_scope(result: ParseResult) -> dict[str, int]:
    """{kommunenummer: rows} of the rows refused only because the user may not import for their municipality, when
    those are the file's only errors and some rows are the user's; else {} (docs/import.md, «Bare mine kommuner»)."""
    if not result.errors or not result.rows:
        return {}
    if any(error.row not in result.outside or error.column != "kommunenummer" for error in result.errors):
        return {}
    return dict(sorted(Counter(result.outside.values()).items()))


def only_mine(result: ParseResult) -> ParseResult:
    """The result without the rows of municipalities where the user may not import, when they are its only errors
    (their counts in `skipped`); otherwise unchanged, so any other error still refuses the whole file."""
    skipped = outside_scope(result)
    if not skipped:
        return result
    return replace(result, errors=[], skipped=skipped, data_rows=result.data_rows - sum(skipped.values()))


@dataclass(frozen=True)
class Context:
    municipalities: frozenset[str]
    renumbering: dict[str, tuple[tuple[str, str], ...]]
    allowed: frozenset[str] | None = None  # None: every municipality (the system, superusers)
    names: dict[str, str] = field(default_factory=dict)  # kommunenummer -> name, for messages only


# ---------------------------------------------------------------------------------------------------------
# Reference data


@lru_cache(maxsize=4)
def _read_renumbering(path: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    successors: dict[str, list[tuple[str, str]]] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for line in csv.DictReader(handle, delimiter=";"):
            successors.setdefault(line["gammelt_nummer"], []).append((line["nytt_nummer"], line["nytt_navn"]))
    return tuple((old, tuple(new)) for old, new in successors.items())


def load_renumbering(path: str | Path | None = None) -> dict[str, tuple[tuple[str, str], ...]]:
    """Old kommunenummer -> ((today's number, name), ...) from `kommuner_endringer.csv`; several = a split."""
    return dict(_read_renumbering(str(path or DATA_DIR / "kommuner_endringer.csv")))


# ---------------------------------------------------------------------------------------------------------
# Reading the file


_NOT_TEXT = "Filen er ikke en tekstfil (den inneholder binære data). Lagre listedataene som CSV og last opp på nytt."


def _reject_binary(data: bytes) -> None:
    if data.startswith(b"PK\x03\x04"):
        raise FileRejected(
            "Filen er en Excel-arbeidsbok (XLSX) eller et annet ZIP-arkiv, ikke en CSV-fil. "
            "Åpne den i Excel, velg Lagre som → CSV (semikolondelt) og last opp den nye filen."
        )
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise FileRejected(
            "Filen er en eldre Excel-fil (XLS), ikke en CSV-fil. "
            "Åpne den i Excel, velg Lagre som → CSV (semikolondelt) og last opp den nye filen."
        )
    if data.startswith(b"%PDF"):
        raise FileRejected("Filen er en PDF, ikke en CSV-fil. Last opp listedataene som CSV (semikolondelt).")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            "Filen er lagret som UTF-16 («Unicode-tekst»). Lagre den som CSV UTF-8 (semikolondelt) og last opp på nytt."
        )
    if b"\x00" in data:
        raise FileRejected(_NOT_TEXT)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileRejected(
                "Filen kan ikke leses som tekst (verken UTF-8 eller Windows-1252). "
                "Lagre den som CSV UTF-8 (semikolondelt) og last opp på nytt."
            ) from None
    # Text without NUL bytes can still be binary: many control characters give it away.
    sample = text[:_BINARY_SAMPLE]
    controls = len(_CONTROL.findall(sample)) - sample.count("\n") - sample.count("\r")
    if controls >= 8 and controls > len(sample) * 0.02:
        raise FileRejected(_NOT_TEXT)
    return text


def _detect_delimiter(text: str) -> str:
    """`;`, `,` or tab, whichever occurs most in the header line; `;` on a tie or when none occurs."""
    start = len(text) - len(text.lstrip())
    end = len(text)
    for newline in ("\n", "\r"):
        found = text.find(newline, start)
        if found != -1:
            end = min(end, found)
    line = text[start:end]
    return max((";", "\t", ","), key=lambda candidate: line.count(candidate))  # max keeps the first on a tie


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _csv_error(exc: csv.Error, row: int, line: str) -> FileRejected:
    detail = str(exc)
    if "field larger than field limit" in detail and line.count('"') % 2 == 0:
        return FileRejected(
            f"Filen kan ikke leses som CSV: en verdi i rad {row} er lengre enn {_thousands(csv.field_size_limit())} "
            "tegn. Ingen kolonne i listedata er så lang; kontroller raden og last opp på nytt."
        )
    if "unexpected end of data" in detail or "field larger than field limit" in detail:
        return FileRejected(
            f'Filen kan ikke leses som CSV: et anførselstegn (") i rad {row} blir aldri avsluttet. '
            "Rett anførselstegnene og last opp på nytt."
        )
    if "expected after" in detail:
        return FileRejected(
            f"Filen kan ikke leses som CSV: i rad {row} står det tegn rett etter et avsluttende "
            'anførselstegn ("). '
            'Sett hele verdien i anførselstegn og skriv anførselstegn inne i verdien dobbelt ("").'
        )
    return FileRejected(f"Filen kan ikke leses som CSV: feil i rad {row}. Rett raden og last opp på nytt.")


def _locate_csv_error(exc: csv.Error, text: str, delimiter: str) -> FileRejected:
    """The message for a CSV syntax error, naming its row: the file is read again record by record (the fast
    read in `_read` goes by chunks and does not know where it stopped)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    row, record_line = 0, 1  # the physical line where the next record starts (for the error message)
    try:
        for _cells in reader:
            row += 1
            record_line = reader.line_num + 1
    except csv.Error as error:
        exc = error
    lines = text.splitlines()
    return _csv_error(exc, row + 1, lines[record_line - 1] if record_line <= len(lines) else "")


def _read(data: bytes) -> tuple[int, list[str], list[tuple[int, list[str]]], str]:
    """(header row number, header cells, [(row number, cells)], delimiter); raises FileRejected."""
    if not data:
        raise FileRejected("Filen er tom. Velg en CSV-fil med overskriftsrad og minst én datarad.")
    _reject_binary(data)
    text = _decode(data)
    if not text.strip():
        raise FileRejected(
            "Filen inneholder bare tomme linjer. Velg en CSV-fil med overskriftsrad og minst én datarad."
        )
    delimiter = _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[str]]] = []
    read = 0  # records read so far, blank ones included: the file's row numbers
    try:
        # in chunks, so a file far over the row limit is refused without reading all of it, and with no Python
        # statement per row (a national file has 60,000)
        for chunk in iter(lambda: list(islice(reader, READ_CHUNK)), []):
            numbered = [(number, cells) for number, cells in enumerate(chunk, read + 1) if "".join(cells).strip()]
            read += len(chunk)
            if header is None and numbered:
                (header_row, header), numbered = numbered[0], numbered[1:]
                if len(header) > MAX_COLUMNS:
                    raise FileRejected(
                        f"Overskriftsraden har {_thousands(len(header))} kolonner; høyst {MAX_COLUMNS} er tillatt. "
                        "Fjern kolonnene som ikke er listedata, og last opp på nytt."
                    )
            rows += numbered
            if len(rows) > MAX_DATA_ROWS:
                raise FileRejected(
                    "Filen har mer enn 100 000 datarader. Del den opp i flere filer med høyst 100 000 rader hver."
                )
    except csv.Error as exc:
        raise _locate_csv_error(exc, text, delimiter) from None
    if header is None:  # only whitespace cells
        raise FileRejected(
            "Filen inneholder bare tomme linjer. Velg en CSV-fil med overskriftsrad og minst én datarad."
        )
    if not rows:
        raise FileRejected("Filen har overskriftsrad, men ingen datarader. Legg til minst én rad med listedata.")
    if header[0].startswith(("\ufeff", "ï»¿")):  # a BOM the decoder kept (double BOM, or UTF-8 read as 1252)
        header[0] = header[0].removeprefix("\ufeff").removeprefix("ï»¿")
    return header_row, header, rows, delimiter


def read_table(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Decode, detect the delimiter and parse: header cells and (file row number, cells) of the data rows.

    Blank lines are skipped (their row numbers are still counted). Raises FileRejected for an empty, binary,
    undecodable or unparsable file, one without data rows, or one with more than 100,000 data rows.
    """
    _, header, rows, _ = _read(data)
    return header, rows


def read_csv(data: bytes) -> tuple[int, list[str], list[tuple[int, list[str]]], str]:
    """(header row number, header cells, [(row number, cells)], delimiter) under the file rules of §9 — the other
    CSV imports (payees, docs/payments.md) read their files with this too. Raises FileRejected like read_table."""
    return _read(data)


def normalize_column(name: str) -> str:
    return "_".join(part for part in name.strip().lower().translate(_HEADER_LETTERS).split("_") if part)


def map_columns(header: list[str], header_row: int, known: tuple[str, ...], required: tuple[str, ...]
                ) -> tuple[dict[str, int], list[RowError], list[str]]:
    """({column: index}, errors, warnings) of a header line, for the other CSV imports (payees, populations): unknown
    columns are a warning, a column twice or a required one missing an error on the header row."""
    columns: dict[str, int] = {}
    errors: list[RowError] = []
    warnings: list[str] = []
    for index, original in enumerate(header):
        name = normalize_column(original)
        if not name:
            continue
        if name not in known:
            warnings.append(f"Kolonnen «{original.strip()}» er ukjent og blir ikke lest.")
        elif name in columns:
            errors.append(RowError(header_row, name, "Kolonnen står flere ganger i overskriftsraden. Fjern den ene."))
        else:
            columns[name] = index
    errors += [RowError(header_row, name, "Kolonnen mangler i overskriftsraden. Legg den til.")
               for name in required if name not in columns]
    return columns, errors, list(dict.fromkeys(warnings))


def field_count_error(number: int, cells: list[str], header: list[str], delimiter: str) -> RowError | None:
    """The row error of a row whose number of fields differs from the header's, for the other CSV imports."""
    if len(cells) == len(header):
        return None
    return RowError(number, None, (
        f"Raden har {len(cells)} felt, overskriften har {len(header)}. Kontroller at skilletegnet "
        f"({DELIMITER_NAMES.get(delimiter, delimiter)}) ikke står inne i en verdi uten anførselstegn."))



def checked_rows(data: bytes, known: tuple[str, ...], required: tuple[str, ...], check, key, duplicate):
    """The small CSV imports' one pass (population, payees): read the file, map the header, check each cell with
    `check(column, raw)` -> (value, error or None, warnings), and refuse a second row with the same `key(values)`
    with the message `duplicate(values, earlier row)`. Returns ([(row number, values)], errors, warnings); a file
    not usable as a whole raises FileRejected from read_csv."""
    header_row, header, lines, delimiter = read_csv(data)
    columns, errors, warnings = map_columns(header, header_row, known, required)
    if errors:
        return [], errors, warnings
    rows, seen = [], {}
    for number, cells in lines:
        if wrong := field_count_error(number, cells, header, delimiter):
            errors.append(wrong)
            continue
        values, bad = {}, False
        for column in known:
            value, error, row_warnings = check(column, cells[columns[column]] if column in columns else "")
            warnings += [f"Rad {number}: {warning}" for warning in row_warnings]
            if error:
                errors.append(RowError(number, column, error, kommunenummer=values.get("kommunenummer")))
                bad = True
            values[column] = value
        if bad:
            continue
        earlier = seen.setdefault(key(values), number)
        if earlier != number:
            errors.append(RowError(number, None, duplicate(values, earlier)))
            continue
        rows.append((number, values))
    return rows, errors, list(dict.fromkeys(warnings))

# ---------------------------------------------------------------------------------------------------------
# One validator per column: raw cell text -> (value, error message or None, warnings). Each is called once
# per distinct cell text (the caches in _validate).


Checked = tuple[object, str | None, tuple[str, ...]]
NO_WARNINGS: tuple[str, ...] = ()


def _ok(value: object, warnings: tuple[str, ...] = NO_WARNINGS) -> Checked:
    return value, None, warnings


def _bad(message: str) -> Checked:
    return None, message, NO_WARNINGS


def _empty(column: str) -> Checked:
    return _bad(f"{LABELS[column]} mangler verdi. Fyll inn {EMPTY_HINTS[column]}.")


def _check_kommunenummer(raw: str, context: Context) -> Checked:
    number, error, warnings = _resolve_kommunenummer(raw, context)
    if error is None and context.allowed is not None and number not in context.allowed:
        name = context.names.get(number)
        return _bad(
            f"Du har ikke tilgang til å importere for kommune {number}{' ' + name if name else ''}. "
            "Fjern raden, eller be om tilgang som kommuneadministrator."
        )
    return number, error, warnings


def _resolve_kommunenummer(raw: str, context: Context) -> Checked:
    """Today's four-digit number of a cell (padded, renumbered), whoever imports it."""
    text = raw.strip()
    if not text:
        return _empty("kommunenummer")
    if not (text.isascii() and text.isdigit()) or len(text) not in (3, 4):
        return _bad(f"Kommunenummer må være fire sifre, for eksempel 0301, ikke «{text}».")
    warnings: list[str] = []
    number = text
    if len(text) == 3:
        number = "0" + text
        warnings.append(f"kommunenummer {text} er utvidet til {number} (ledende null manglet).")
    if number not in context.municipalities:
        successors = context.renumbering.get(number)
        if not successors:
            written = f" (skrevet {text})" if number != text else ""
            return _bad(
                f"Kommunenummer {number}{written} finnes ikke. Bruk dagens firesifrede kommunenummer, "
                "for eksempel 0301 for Oslo."
            )
        if len(successors) > 1:
            choices = [f"{new} {name}" for new, name in successors]
            choice = ", ".join(choices[:-1]) + " eller " + choices[-1]
            return _bad(
                f"Kommunenummer {number} gjelder ikke lenger, og kommunen er delt. Bruk et av dagens numre: {choice}."
            )
        new, name = successors[0]
        warnings.append(f"kommunenummer {number} er et tidligere nummer og er endret til {new} {name}.")
        number = new
    return _ok(number, tuple(warnings))


def _check_organisasjonsnummer(raw: str) -> Checked:
    text = raw.strip()
    if not text:
        return _empty("organisasjonsnummer")
    number = text.translate(_NUMBER_SPACES)
    if not (number.isascii() and number.isdigit()):
        hint = ""
        if _EXCEL_EXPONENT.fullmatch(number):
            hint = " Excel har vist tallet i eksponentform; formater kolonnen som tekst."
        return _bad(f"Organisasjonsnummer må være 9 sifre, ikke «{text}».{hint}")
    if len(number) != 9:
        return _bad(f"Organisasjonsnummer må ha 9 sifre, «{text}» har {len(number)}.")
    if stdnum_orgnr.checksum(number) != 0:  # mod 11; is_valid would clean the nine digits again (slow)
        return _bad(
            f"Organisasjonsnummer {number} har feil kontrollsiffer (siste siffer). "
            "Kontroller nummeret i Enhetsregisteret."
        )
    return _ok(number)


def resolve_kommunenummer(raw: str, context: Context) -> Checked:
    """(today's four-digit number or None, error or None, warnings) of a cell, for the other CSV imports."""
    return _resolve_kommunenummer(raw, context)


def check_organisasjonsnummer(raw: str) -> Checked:
    """(nine digits or None, error or None, warnings) of a non-empty cell (spaces ignored), for the other imports."""
    return _check_organisasjonsnummer(raw)


def _check_text(column: str, max_length: int, required: bool) -> Callable[[str], Checked]:
    label = LABELS[column]

    def check(raw: str) -> Checked:
        text = raw.strip()
        if not text:
            return _empty(column) if required else _ok("")
        if _CONTROL.search(text):
            return _bad(f"{label} inneholder kontrolltegn (for eksempel linjeskift). Fjern dem.")
        if len(text) > max_length:
            return _bad(f"{label} er for langt ({len(text)} tegn). Største lengde er {max_length} tegn.")
        return _ok(text)

    return check


def _check_hpr_nummer(raw: str) -> Checked:
    text = raw.strip()
    if not text:
        return _ok("")  # required unless ubesatt: decided per row
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return _bad(f"HPR-nummer må være 1–9 sifre, ikke «{text}».")
    return _ok(text)


def _check_integer(column: str, maximum: int) -> Callable[[str], Checked]:
    label = LABELS[column]
    allowed = f"0–{maximum:,}".replace(",", " ")
    between = f"fra 0 til {maximum:,}".replace(",", " ")

    def check(raw: str) -> Checked:
        text = raw.strip()
        if not text:
            return _empty(column)
        digits = text.translate(_NUMBER_SPACES)
        if digits.startswith("-") and digits[1:].isascii() and digits[1:].isdigit():
            return _bad(f"{label} kan ikke være negativt ({text}). Tillatt er {allowed}.")
        if not (digits.isascii() and digits.isdigit()):
            return _bad(f"{label} må være et helt tall {between}, ikke «{text}».")
        value = int(digits)
        if value > maximum:
            return _bad(f"{label} {value} er for høyt. Tillatt er {allowed}.")
        return _ok(value)

    return check


_MONTH_FORMATS = "Bruk 2020-05, 2020-05-01 eller 01.05.2020"


def _check_maaned(raw: str) -> Checked:
    text = raw.strip()
    if not text:
        return _empty("maaned")
    match = _MONTH.fullmatch(text)
    if not match:
        return _bad(f"Måned «{text}» har ukjent format. {_MONTH_FORMATS}.")
    if match[1]:
        year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
    else:
        year, month, day = int(match[6]), int(match[5]), int(match[4])
    try:
        date(year, month, day)
    except ValueError:
        return _bad(f"Måned «{text}» er ikke en gyldig dato. {_MONTH_FORMATS}.")
    if day != 1:
        return _bad(f"Måned må være den 1. i måneden, ikke «{text}». Bruk for eksempel 01.05.2020 eller 2020-05.")
    if not MONTH_YEARS[0] <= year <= MONTH_YEARS[1]:
        return _bad(f"Måned «{text}» har et urimelig årstall. Bruk et år fra {MONTH_YEARS[0]} til {MONTH_YEARS[1]}.")
    return _ok(date(year, month, 1))


def parse_date(raw: str) -> date | None:
    """2019-08-15 or 15.08.2019 (leading zeros optional); None for other text and for days that do not exist."""
    match = _DATE.fullmatch(raw.strip())
    if not match:
        return None
    if match[1]:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        year, month, day = int(match[6]), int(match[5]), int(match[4])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _check_avtale_fra(raw: str) -> Checked:
    text = raw.strip()
    if not text:
        return _ok(None)
    value = parse_date(text)
    if value is not None and value.year >= 1900:
        return _ok(value)
    return _bad(f"Avtale fra «{text}» er ikke en gyldig dato. Bruk formatet 2019-08-15 eller 15.08.2019.")


def _check_behovsindeks(raw: str) -> Checked:
    text = raw.strip()
    if not text:
        return _ok(None)
    number = text.replace(",", ".")
    if number.startswith("-") and _DECIMAL.fullmatch(number[1:]):
        return _bad(f"Behovsindeks må være større enn 0, ikke {text}.")
    if not _DECIMAL.fullmatch(number):
        return _bad(f"Behovsindeks må være et desimaltall større enn 0, for eksempel 1,0500, ikke «{text}».")
    decimals = len(number.partition(".")[2].rstrip("0"))
    if decimals > 4:
        return _bad(f"Behovsindeks kan ha høyst 4 desimaler, «{text}» har {decimals}. Rund av til 4 desimaler.")
    value = Decimal(number)
    if value <= 0:
        return _bad(f"Behovsindeks må være større enn 0, ikke {text}.")
    if value >= 10000:
        return _bad(f"Behovsindeks {text} er for stor. Største verdi er 9999,9999.")
    return _ok(value.quantize(_QUANT))


def _check_driftsform(raw: str) -> Checked:
    text = raw.strip()
    if not text:
        return _ok(None)
    value = DRIFTSFORMER.get(text.lower())
    if value is None:
        return _bad(f"Driftsform «{text}» er ukjent. Bruk næringsdrivende, fastlønnet eller ubesatt.")
    return _ok(value)


# ---------------------------------------------------------------------------------------------------------
# Validation of rows


UBESATT_WITH_HPR = "En ubesatt liste skal ikke ha HPR-nummer. La feltet stå tomt, eller endre driftsform."
UBESATT_WITH_NAVN = "En ubesatt liste skal ikke ha legenavn. La feltet stå tomt, eller endre driftsform."
UBESATT_WITH_AVTALE = (
    "En ubesatt liste har ingen fastlegeavtale. La avtale_fra stå tom, eller fyll inn lege og driftsform."
)


def _rows_label(rows: list[int]) -> str:
    """[2, 3, 4, 9] -> "Rader 2–4 og 9"; long lists are cut after eight ranges."""
    ranges: list[list[int]] = []
    for row in rows:
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1][1] = row
        else:
            ranges.append([row, row])
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in ranges[:8]]
    if len(ranges) > 8:
        shown = sum(b - a + 1 for a, b in ranges[:8])
        parts.append(f"{len(rows) - shown} rader til")
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]
    return ("Rad " if len(rows) == 1 else "Rader ") + text


def _validate(
    columns: dict[str, int],
    rows: list[tuple[int, list[str]]],
    width: int,
    context: Context,
    delimiter: str,
) -> tuple[list[ListRow], list[RowError], list[str]]:
    """Check every cell and the rules between cells and rows. Works column by column: each distinct cell
    text of a column is checked once, and rows are visited one by one only where something is wrong."""
    checks: dict[str, Callable[[str], Checked]] = {
        "kommunenummer": lambda raw: _check_kommunenummer(raw, context),
        "organisasjonsnummer": _check_organisasjonsnummer,
        "legekontor": _check_text("legekontor", NAME_MAX_LENGTH, required=True),
        "hpr_nummer": _check_hpr_nummer,
        "lege_navn": _check_text("lege_navn", NAME_MAX_LENGTH, required=False),
        "listenummer": _check_text("listenummer", LISTENUMMER_MAX_LENGTH, required=True),
        "listetak": _check_integer("listetak", LISTETAK_MAX),
        "antall_pasienter": _check_integer("antall_pasienter", ANTALL_PASIENTER_MAX),
        "maaned": _check_maaned,
        "behovsindeks": _check_behovsindeks,
        "driftsform": _check_driftsform,
        "avtale_fra": _check_avtale_fra,
    }
    # within a row, errors follow the column order; a rule's error comes right after its column's own
    order = {name: 2 * position for position, name in enumerate(ALL_COLUMNS)}
    found: list[tuple[int, int, RowError]] = []  # (row, order within the row, error)
    warned: dict[str, list[int]] = {}

    fitting = [(row, cells) for row, cells in rows if len(cells) == width]
    if len(fitting) != len(rows):
        separator = DELIMITER_NAMES.get(delimiter, delimiter)
        for row, cells in rows:
            if len(cells) != width:
                message = (
                    f"Raden har {len(cells)} felt, overskriften har {width}. Kontroller at skilletegnet "
                    f"({separator}) ikke står inne i en verdi uten anførselstegn."
                )
                found.append((row, -1, RowError(row, None, message)))
    numbers = [row for row, _ in fitting]
    count = len(fitting)
    bad = bytearray(count)  # 1 where the row has an error

    values: dict[str, list | tuple] = {}
    cell_columns = list(zip(*(cells for _, cells in fitting), strict=True)) or [()] * width  # one transpose
    for name in ALL_COLUMNS:
        index = columns.get(name)
        if index is None:
            values[name] = [None] * count
            continue
        raws = cell_columns[index]
        check = checks[name]
        checked = {raw: check(raw) for raw in set(raws)}
        if all(type(result[0]) is str and result[0] == raw for raw, result in checked.items()):
            values[name] = raws  # text kept as written: no second pass over the column
        else:
            values[name] = list(map({raw: result[0] for raw, result in checked.items()}.__getitem__, raws))
        flagged = {raw for raw, (_, error, warnings) in checked.items() if error or warnings}
        if flagged:
            for i, raw in enumerate(raws):
                if raw in flagged:
                    _, error, warnings = checked[raw]
                    if error:
                        found.append((numbers[i], order[name], RowError(numbers[i], name, error)))
                        bad[i] = 1
                    for warning in warnings:
                        warned.setdefault(warning, []).append(numbers[i])

    def fail(i: int, column: str | None, message: str) -> None:
        found.append((numbers[i], order[column] + 1 if column else 1000, RowError(numbers[i], column, message)))
        bad[i] = 1

    # ubesatt lists have no doctor; every other list has one (docs/import.md)
    driftsform, hpr, navn, fra = (values[name] for name in ("driftsform", "hpr_nummer", "lege_navn", "avtale_fra"))
    if "ubesatt" in driftsform or "" in hpr or "" in navn:
        empty_hpr, empty_navn = _empty("hpr_nummer")[1], _empty("lege_navn")[1]
        for i, (form, hpr_nummer, lege_navn, avtale_fra) in enumerate(zip(driftsform, hpr, navn, fra, strict=True)):
            if form == "ubesatt":
                if hpr_nummer:
                    fail(i, "hpr_nummer", UBESATT_WITH_HPR)
                if lege_navn:
                    fail(i, "lege_navn", UBESATT_WITH_NAVN)
                if avtale_fra is not None:
                    fail(i, "avtale_fra", UBESATT_WITH_AVTALE)
            else:
                if hpr_nummer == "":
                    fail(i, "hpr_nummer", empty_hpr)
                if lege_navn == "":
                    fail(i, "lege_navn", empty_navn)

    # the same list and month twice
    keys = list(zip(values["kommunenummer"], values["listenummer"], values["maaned"], strict=True))
    if len(set(keys)) != count:
        seen: dict[tuple[str, str, date], int] = {}
        for i, key in enumerate(keys):
            if None in key:
                continue
            earlier = seen.setdefault(key, numbers[i])
            if earlier != numbers[i]:
                kommunenummer, listenummer, maaned = key
                fail(
                    i,
                    None,
                    f"Liste {listenummer} i kommune {kommunenummer} for {format_month(maaned)} "
                    f"står allerede i rad {earlier}. Fjern en av radene.",
                )

    # ListRow's fields are the row number followed by ALL_COLUMNS, in that order
    fields = zip(numbers, *(values[name] for name in ALL_COLUMNS), strict=True)
    if any(bad):
        fields = compress(fields, [not flag for flag in bad])
    valid = [ListRow(*line) for line in fields]
    found.sort(key=lambda item: (item[0], item[1]))
    warnings = [f"{_rows_label(rows_)}: {warning}" for warning, rows_ in warned.items()]
    outside = _outside(context, columns, fitting, numbers) if found else {}
    errors = [error for _, _, error in found]
    if errors:  # each error names its row's municipality where that is known
        where = {numbers[i]: knr for i, knr in enumerate(values["kommunenummer"]) if bad[i] and knr} | outside
        errors = [replace(error, kommunenummer=where.get(error.row)) for error in errors]
    return valid, errors, warnings, outside


def _outside(context: Context, columns: dict[str, int], fitting, numbers: list[int]) -> dict[int, str]:
    """row → kommunenummer of the rows whose municipality exists but is not one where the user may import."""
    index = columns.get("kommunenummer")
    if context.allowed is None or index is None:
        return {}
    numbers_of: dict[str, str | None] = {}
    for _, cells in fitting:
        raw = cells[index]
        if raw not in numbers_of:
            number, error, _ = _resolve_kommunenummer(raw, context)
            numbers_of[raw] = number if error is None and number not in context.allowed else None
    return {row: knr for row, (_, cells) in zip(numbers, fitting, strict=True) if (knr := numbers_of[cells[index]])}


def _map_columns(names: list[str], header_row: int) -> tuple[dict[str, int], list[RowError], list[str]]:
    """Known column -> index; errors for missing and repeated columns; warnings for unknown ones."""
    columns: dict[str, int] = {}
    errors: list[RowError] = []
    warnings: list[str] = []
    unknown: list[str] = []
    for index, original in enumerate(names):
        name = normalize_column(original)
        if not name:
            continue  # a column without a heading (trailing delimiter) carries nothing we read
        if name not in ALL_COLUMNS:
            if original.strip() not in unknown:  # once per column name, however often it repeats
                unknown.append(original.strip())
                warnings.append(f"Kolonnen «{original.strip()}» er ukjent og blir ikke lest.")
        elif name in columns:
            errors.append(RowError(header_row, name, "Kolonnen står flere ganger i overskriftsraden. Fjern den ene."))
        else:
            columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing and len(names) == 1 and not columns:
        errors.append(
            RowError(
                header_row,
                None,
                "Overskriftsraden har bare én kolonne. Skill kolonnene med semikolon (;), komma (,) eller tabulator.",
            )
        )
    for name in missing:
        close = difflib.get_close_matches(name, unknown, n=1, cutoff=0.75)
        fix = f", eller gi kolonnen «{close[0]}» navnet {name}" if close else ""
        errors.append(RowError(header_row, name, f"Kolonnen mangler i overskriftsraden. Legg den til{fix}."))
    errors.sort(key=lambda error: ALL_COLUMNS.index(error.column) if error.column else -1)
    return columns, errors, warnings


@contextmanager
def gc_paused():
    """Python's cyclic garbage collector paused: a national file allocates a few hundred thousand lists and tuples
    (no cycles; reference counting frees them), and the collector's passes over them were 40 % of the parse."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_list_file(data: bytes, context: Context) -> ParseResult:
    """Parse and validate an uploaded CSV file (docs/import.md). Raises FileRejected for a whole-file problem;
    missing or repeated columns are errors on the header row and stop the validation of data rows."""
    with gc_paused():
        return _parse_list_file(data, context)


def _parse_list_file(data: bytes, context: Context) -> ParseResult:
    header_row, header, rows, delimiter = _read(data)
    columns, errors, warnings = _map_columns(header, header_row)
    if errors:
        return ParseResult(rows=[], errors=errors, warnings=warnings, data_rows=len(rows))
    valid, errors, row_warnings, outside = _validate(columns, rows, len(header), context, delimiter)
    return ParseResult(
        rows=valid, errors=errors, warnings=warnings + row_warnings, data_rows=len(rows), outside=outside
    )


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    return "en liste" if isinstance(value, list | tuple) else "et objekt" if isinstance(value, dict) else "denne typen"


def parse_list_records(records: list[dict], context: Context) -> ParseResult:
    """Validate API rows (dicts with the CSV column names; values str, int, float or None), row = index + 2.

    A missing key is an empty value. Raises FileRejected unless `records` is a non-empty list of objects.
    """
    if not isinstance(records, list) or not records:
        raise FileRejected("Innholdet må være en liste med minst én rad (JSON-objekter med kolonnenavnene).")
    if len(records) > MAX_DATA_ROWS:
        raise FileRejected("For mange rader: høyst 100 000 per forespørsel. Del dataene opp i flere forespørsler.")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise FileRejected(
                f"Rad {index + 2} er ikke et JSON-objekt. Hver rad må være et objekt med kolonnenavnene som nøkler."
            )
        if len(record) > MAX_COLUMNS:
            raise FileRejected(
                f"Rad {index + 2} har {_thousands(len(record))} felt; høyst {MAX_COLUMNS} er tillatt. "
                "Send bare kolonnene for listedata."
            )
    columns = {name: index for index, name in enumerate(ALL_COLUMNS)}
    keys: dict[str, str | None] = {}  # key as sent -> column (None: unknown)
    unknown: list[str] = []
    pre_errors: list[RowError] = []
    rows: list[tuple[int, list[str]]] = []
    for index, record in enumerate(records):
        row = index + 2
        cells = [""] * len(ALL_COLUMNS)
        given: set[str] = set()
        for key, value in record.items():
            column = keys.get(key, "")
            if column == "":
                normalized = normalize_column(str(key))
                column = keys[key] = normalized if normalized in columns else None
                if column is None:
                    unknown.append(str(key))
            if column is None:
                continue
            if column in given:
                pre_errors.append(RowError(row, column, "Feltet står flere ganger i raden. Fjern det ene."))
                continue
            given.add(column)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
                pre_errors.append(
                    RowError(row, column, "Verdien må være tekst eller et tall, ikke " + _kind(value) + ".")
                )
                continue
            cells[columns[column]] = value if isinstance(value, str) else str(value)
        rows.append((row, cells))
    valid, errors, row_warnings, outside = _validate(columns, rows, len(ALL_COLUMNS), context, ";")
    if pre_errors:
        # A bad value was left empty above: drop the "mangler verdi" that caused, and the row itself.
        spoiled = {(error.row, error.column) for error in pre_errors}
        errors = sorted(
            [error for error in errors if (error.row, error.column) not in spoiled] + pre_errors,
            key=lambda error: error.row,
        )
        spoiled_rows = {row for row, _ in spoiled}
        valid = [line for line in valid if line.row not in spoiled_rows]
    warnings = [f"Feltet «{key}» er ukjent og blir ikke lest." for key in unknown]
    return ParseResult(
        rows=valid, errors=errors, warnings=warnings + row_warnings, data_rows=len(records), outside=outside
    )


# ---------------------------------------------------------------------------------------------------------
# A file scoped to some municipalities


def rows_in(data: bytes, kommunenumre: frozenset[str], context: Context) -> bytes:
    """The file with only the data rows whose kommunenummer, read as the import reads it (padded, renumbered), is
    in `kommunenumre`: the original header and delimiter, UTF-8 with BOM (Excel opens it), LF. What a colleague
    downloads of a file that also covers other municipalities (docs/import.md). Raises FileRejected like the import.
    """
    _, header, rows, delimiter = _read(data)
    index = next((i for i, name in enumerate(header) if normalize_column(name) == "kommunenummer"), None)
    numbers: dict[str, str | None] = {}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for _, cells in rows:
        if index is None or index >= len(cells):
            continue
        raw = cells[index]
        if raw not in numbers:
            number, error, _ = _resolve_kommunenummer(raw, context)
            numbers[raw] = None if error else number
        if numbers[raw] in kommunenumre:
            writer.writerow(cells)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
