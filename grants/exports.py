"""The ledger as files: the line export of docs/import.md and the payout file, in CSV or XLSX (tablib)."""

import re

import tablib
from django.http import HttpResponse
from django.utils.text import slugify

from core.months import format_month

LINE_COLUMNS = ["kommunenummer", "listenummer", "hpr_nummer", "maaned", "type", "antall", "sats", "belop",
                "forklaring", "mottaker"]
PAYOUT_COLUMNS = ["kommunenummer", "maaned", "mottaker", "hpr_nummer", "navn", "belop"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters the XLSX format cannot hold


def safe_text(value: str) -> str:
    """Text cells that a spreadsheet would run as a formula get a leading `'` (never numbers)."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_START) else value


def xlsx_cell(value):
    """A cell as XLSX can hold it: text without the control characters the format forbids (openpyxl refuses
    them, which made the export a 500), guarded again when removing them uncovers a formula start."""
    if not isinstance(value, str):
        return value
    cleaned = NOT_IN_XLSX.sub("", value)
    return value if cleaned == value else safe_text(cleaned)


def money_cell(value, as_text: bool):
    return f"{value:.2f}" if as_text else value


def line_rows(lines, *, as_text: bool = True) -> list[list]:
    """`lines` must come in export order (selectors.export_order)."""
    rows = []
    for line in lines:
        rows.append([
            safe_text(line.municipality.kommunenummer),
            safe_text(line.patient_list.listenummer if line.patient_list else ""),
            safe_text(line.doctor.hpr_nummer if line.doctor and line.doctor_id else ""),
            format_month(line.month),
            line.kind,
            "" if line.quantity is None else line.quantity,
            "" if line.annual_rate is None else money_cell(line.annual_rate, as_text),
            money_cell(line.amount, as_text),
            safe_text(line.explanation),
            "kommune" if line.kept_by_municipality else "lege",
        ])
    return rows


def payout_rows(totals, *, as_text: bool = True) -> list[list]:
    return [[
        safe_text(row["municipality__kommunenummer"]), format_month(row["month"]),
        "kommune" if row["kept_by_municipality"] else "lege",
        safe_text("" if row["kept_by_municipality"] else row["doctor__hpr_nummer"] or ""),
        safe_text("" if row["kept_by_municipality"] else row["doctor__name"] or ""),
        money_cell(row["total"], as_text),
    ] for row in totals]


def to_csv(columns, rows) -> bytes:
    """`;`-separated, UTF-8 with BOM, LF line ends (docs/import.md)."""
    lines = [";".join(columns)]
    for row in rows:
        lines.append(";".join(_csv_cell(value) for value in row))
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def _csv_cell(value) -> str:
    text = str(value)
    if any(c in text for c in ';"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def to_xlsx(columns, rows, title="Utbetalinger") -> bytes:
    dataset = tablib.Dataset(*[[xlsx_cell(value) for value in row] for row in rows], headers=columns,
                             title=title[:31])
    return dataset.export("xlsx")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(columns, rows, fmt: str, name: str, *, title: str = "Utbetalinger") -> HttpResponse:
    """The table as a download: CSV (`fmt == "csv"`) or XLSX, named `<slug of name>.<fmt>`."""
    if fmt == "csv":
        response = HttpResponse(to_csv(columns, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(to_xlsx(columns, rows, title=title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)}.{fmt}"'
    return response
