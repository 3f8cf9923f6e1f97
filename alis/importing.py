"""Parsing and validation of supervision-session imports (docs/alis.md with the rules of §9): CSV in, valid rows,
row errors and warnings out. Pure: no ORM. The service supplies a `Context` (the agreements the file names,
doctors by HPR, the sessions already logged, where the user may import) and does the writing.

Decoding, delimiter detection, CSV parsing, column names and dates are the list import's (practices.importing), so
both imports accept and reject files the same way. Every message names the row, the column and the fix.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from alis import rules
from practices.importing import FileRejected, RowError, normalize_column, parse_date, read_table
from practices.importing import ParseResult as ListParseResult

REQUIRED_COLUMNS = ("kommunenummer", "avtalenummer", "dato", "type", "timer", "veileder_hpr")
OPTIONAL_COLUMNS = ("notat", "gruppeleder")  # gruppeleder: our addition for group sessions (docs/alis.md)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
GROUP_LEADER_MAX = 200
KINDS = {"individuell": rules.INDIVIDUELL, "gruppe": rules.GRUPPE}
# which column a rule's field is reported in
FIELD_COLUMNS = {"date": "dato", "hours": "timer", "supervisor": "veileder_hpr", "kind": "type",
                 "group_leader": "gruppeleder", rules.NON_FIELD: "avtalenummer"}

_HOURS = re.compile(r"\d+(?:\.\d+)?|\.\d+", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class AgreementRef:
    id: int
    facts: rules.AgreementFacts


@dataclass(frozen=True)
class Context:
    agreements: dict[tuple[str, str], AgreementRef]  # (kommunenummer, avtalenummer) → agreement
    doctors: dict[str, tuple[int, str]]  # hpr_nummer → (id, name)
    municipalities: frozenset[str]  # every valid kommunenummer
    allowed: frozenset[str]  # where the user is an administrator
    today: date
    # (agreement id, date) → hours already logged; sessions already logged, for re-imports (not twice)
    hours_by_day: dict[tuple[int, date], Decimal] = field(default_factory=dict)
    existing: Counter = field(default_factory=Counter)  # SessionRow.key → how many are stored


@dataclass(frozen=True)
class SessionRow:
    row: int
    kommunenummer: str
    avtalenummer: str
    agreement_id: int
    date: date
    kind: str
    hours: Decimal
    supervisor_id: int | None
    group_leader: str
    note: str

    @property
    def key(self) -> tuple:
        return (self.agreement_id, self.date, self.kind, self.hours, self.supervisor_id, self.group_leader)


@dataclass
class ParseResult(ListParseResult):
    """The list import's result (errors, warnings, data_rows, ok) for sessions, with the rows already logged."""

    rows: list[SessionRow]  # the new sessions to write
    unchanged: int  # rows already logged (a re-import)


def file_keys(data: bytes) -> tuple[set[str], set[str], set[str]]:
    """(kommunenumre, avtalenumre, HPR numbers) the file names, so the service fetches only what it needs.
    Raises FileRejected like `parse_session_file`."""
    header, rows = read_table(data)
    columns = {normalize_column(name): index for index, name in enumerate(header)}

    def values(column):
        index = columns.get(column)
        if index is None:
            return set()
        return {_kommunenummer(cells[index]) if column == "kommunenummer" else cells[index].strip()
                for _, cells in rows if index < len(cells)}

    return values("kommunenummer"), values("avtalenummer"), values("veileder_hpr")


def _kommunenummer(raw: str) -> str:
    text = raw.strip()
    return "0" + text if len(text) == 3 and text.isdigit() else text


def parse_hours(raw: str) -> Decimal | None:
    text = raw.strip().replace(",", ".")
    if not _HOURS.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _map_columns(header: list[str]) -> tuple[dict[str, int], list[RowError], list[str]]:
    columns: dict[str, int] = {}
    errors, warnings = [], []
    for index, original in enumerate(header):
        name = normalize_column(original)
        if not name:
            continue
        if name not in ALL_COLUMNS:
            warnings.append(f"Kolonnen «{original.strip()}» er ukjent og blir ikke lest.")
        elif name in columns:
            errors.append(RowError(1, name, "Kolonnen står flere ganger i overskriftsraden. Fjern den ene."))
        else:
            columns[name] = index
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            errors.append(RowError(1, name, "Kolonnen mangler i overskriftsraden. Legg den til (kolonnene er "
                                            + ";".join(REQUIRED_COLUMNS) + ";notat)."))
    return columns, errors, warnings


def parse_session_file(data: bytes, context: Context) -> ParseResult:
    """Parse and validate an uploaded file of supervision sessions (docs/alis.md). Raises FileRejected for a
    whole-file problem. Every row is checked with the same rules as the form (alis.rules.session_errors);
    rows that are already logged exactly so count as unchanged, so a re-import writes nothing twice."""
    header, rows = read_table(data)
    columns, errors, warnings = _map_columns(header)
    if errors:
        return ParseResult(rows=[], unchanged=0, errors=errors, warnings=warnings, data_rows=len(rows))
    width = len(header)
    order = {name: position for position, name in enumerate(ALL_COLUMNS)}
    found: list[RowError] = []
    valid: list[SessionRow] = []
    unchanged = 0
    existing = Counter(context.existing)
    hours_by_day = dict(context.hours_by_day)
    padded: list[int] = []

    for number, cells in rows:
        if len(cells) != width:
            found.append(RowError(number, None, f"Raden har {len(cells)} felt, overskriften har {width}. "
                                                "Kontroller at skilletegnet ikke står inne i en verdi uten "
                                                "anførselstegn."))
            continue
        row_errors: dict[str, str] = {}

        def cell(name, _cells=cells):
            index = columns.get(name)
            return _cells[index].strip() if index is not None else ""

        # kommunenummer and avtalenummer → the agreement
        knr_raw = cell("kommunenummer")
        knr = _kommunenummer(knr_raw)
        agreement = None
        if not knr_raw:
            row_errors["kommunenummer"] = ("Kommunenummer mangler verdi. Fyll inn kommunens fire sifre, for "
                                           "eksempel 0301.")
        elif not (knr.isascii() and knr.isdigit() and len(knr) == 4):
            row_errors["kommunenummer"] = f"Kommunenummer må være fire sifre, for eksempel 0301, ikke «{knr_raw}»."
        elif knr not in context.municipalities:
            row_errors["kommunenummer"] = f"Kommunenummer {knr} finnes ikke. Bruk dagens firesifrede kommunenummer."
        elif knr not in context.allowed:
            row_errors["kommunenummer"] = (f"Du kan ikke registrere veiledning i kommune {knr}; du er ikke "
                                           "kommuneadministrator der.")
        else:
            if knr != knr_raw:
                padded.append(number)
            avtalenummer = cell("avtalenummer")
            if not avtalenummer:
                row_errors["avtalenummer"] = "Avtalenummer mangler verdi. Fyll inn ALIS-avtalens nummer."
            else:
                agreement = context.agreements.get((knr, avtalenummer))
                if agreement is None:
                    row_errors["avtalenummer"] = (f"ALIS-avtale {avtalenummer} finnes ikke i kommune {knr}. "
                                                  "Kontroller avtalenummeret.")

        day_raw, kind_raw, hours_raw = cell("dato"), cell("type"), cell("timer")
        day, kind, hours = parse_date(day_raw), KINDS.get(kind_raw.lower()), parse_hours(hours_raw)
        # an empty cell and an unreadable one need different fixes
        for column, raw, value, if_empty, if_unreadable in (
            ("dato", day_raw, day,
             "Dato mangler verdi. Fyll inn datoen veiledningen ble gitt, for eksempel 2021-03-15.",
             f"Dato «{day_raw}» er ikke en gyldig dato. Bruk 2021-03-15 eller 15.03.2021."),
            ("type", kind_raw, kind, "Type mangler verdi. Fyll inn individuell eller gruppe.",
             f"Type «{kind_raw}» er ukjent. Bruk individuell eller gruppe."),
            ("timer", hours_raw, hours, "Timer mangler verdi. Fyll inn antall timer, for eksempel 1,5.",
             f"Timer må være et tall, for eksempel 1,5 eller 1.5, ikke «{hours_raw}»."),
        ):
            if not raw:
                row_errors[column] = if_empty
            elif value is None:
                row_errors[column] = if_unreadable

        hpr = cell("veileder_hpr")
        supervisor_id, supervisor_name = None, ""
        if hpr:
            if not (hpr.isascii() and hpr.isdigit() and len(hpr) <= 9):
                row_errors["veileder_hpr"] = f"Veileder (HPR-nummer) må være 1–9 sifre, ikke «{hpr}»."
            elif hpr not in context.doctors:
                row_errors["veileder_hpr"] = (f"Ingen lege med HPR-nummer {hpr} er registrert. Kontroller "
                                              "nummeret, eller registrer legen først.")
            else:
                supervisor_id, supervisor_name = context.doctors[hpr]
        elif kind == rules.INDIVIDUELL:
            row_errors["veileder_hpr"] = "Veileder mangler verdi. Fyll inn HPR-nummeret til veilederen."

        group_leader = cell("gruppeleder")
        if _CONTROL.search(group_leader) or len(group_leader) > GROUP_LEADER_MAX:
            row_errors["gruppeleder"] = f"Gruppeleder må være en kort tekst (høyst {GROUP_LEADER_MAX} tegn)."
        if kind == rules.GRUPPE:
            if not group_leader and supervisor_name:
                group_leader = f"{supervisor_name} (HPR {hpr})"  # the group leader is a doctor we know
            supervisor_id = None
            if not group_leader and "veileder_hpr" not in row_errors:
                row_errors["gruppeleder"] = ("Gruppeveiledning må ha gruppeleder. Fyll inn kolonnen gruppeleder "
                                             "(navn), eller gruppelederens HPR-nummer i veileder_hpr.")

        if not row_errors and agreement is not None:
            session = SessionRow(row=number, kommunenummer=knr, avtalenummer=cell("avtalenummer"),
                                 agreement_id=agreement.id, date=day, kind=kind, hours=hours,
                                 supervisor_id=supervisor_id, group_leader=group_leader, note=cell("notat"))
            if existing[session.key] > 0:
                existing[session.key] -= 1
                unchanged += 1
                continue
            same_day = hours_by_day.get((agreement.id, day), Decimal(0))
            problems = rules.session_errors(agreement=agreement.facts, day=day, kind=kind, hours=hours,
                                            supervisor_id=supervisor_id, group_leader=group_leader,
                                            today=context.today, hours_same_day=same_day)
            for field_name, message in problems.items():
                row_errors.setdefault(FIELD_COLUMNS[field_name], message)
            if not problems:
                hours_by_day[(agreement.id, day)] = same_day + hours
                valid.append(session)
        for column, message in sorted(row_errors.items(), key=lambda item: order.get(item[0], 99)):
            found.append(RowError(number, column, message))
    if padded:
        warnings.append(f"{_rows_label(padded)}: kommunenummer med tre sifre er utvidet med en ledende null.")
    return ParseResult(rows=valid if not found else [], unchanged=unchanged, errors=found, warnings=warnings,
                       data_rows=len(rows))


def _rows_label(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:10]) + (f" og {len(rows) - 10} til" if len(rows) > 10 else "")
    return ("Rad " if len(rows) == 1 else "Rader ") + shown


__all__ = ["FileRejected", "RowError", "Context", "AgreementRef", "SessionRow", "ParseResult",
           "parse_session_file", "file_keys"]
