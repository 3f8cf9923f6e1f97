"""The ledger as files: the line export of docs/import.md and the payees' totals (Utbetalingsoversikt), as CSV
(the machine format: codes, a decimal point) or XLSX (for people: Norwegian headings, kind names, amounts as
numbers shown as `1 234,50 kr` by Norwegian Excel, months as dates, a frozen header, widths and a sum row)."""

import io
import re
from datetime import date
from decimal import Decimal

from django.http import HttpResponse
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font

from core.months import format_month
from grants import rules
from grants.models import PaymentLine

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
    value = value.replace("\r\n", "\n").replace("\r", "\n")  # one line end whichever XML writer openpyxl uses
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
            "" if line.quantity is None else rules.plain_quantity(line.quantity),
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


MONEY_FORMAT = '#,##0.00\\ "kr"'  # docs/payments.md: Norwegian Excel shows 1 234,50 kr
MONTH_FORMAT = "mmmm yyyy"  # juni 2022
KIND_NAMES = dict(PaymentLine.Kind.choices)
HEADINGS = {  # the machine columns of every export → what a person reads in Excel
    "kommunenummer": "Kommunenr.", "listenummer": "Listenr.", "hpr_nummer": "HPR-nr.", "maaned": "Måned",
    "type": "Type", "antall": "Antall", "sats": "Sats (kr/år)", "belop": "Beløp", "forklaring": "Forklaring",
    "mottaker": "Mottaker", "navn": "Navn", "lege": "Lege", "sum": "Sum", "pasienter": "Pasienter",
    "maaneder": "Måneder", "faktisk": "Faktisk", "scenario": "Scenario", "differanse": "Differanse",
    "linjer_faktisk": "Linjer, faktisk", "linjer_scenario": "Linjer, scenario", "flat_499": "Flat sats 499 kr",
    "knekkpunkteffekt": "Knekkpunkteffekt", "introduksjon_kr": "Introduksjonsavtaler (kr)", "alis_kr": "ALIS (kr)",
    "sum_beregnet": "Sum beregnet", "bokfort": "Bokført", "utbetalt_til_leger": "Utbetalt til leger",
    "beholdt_av_kommunen": "Beholdt av kommunen", "veiledning_individuell_timer": "Veiledning individuell (timer)",
    "veiledning_gruppe_timer": "Veiledning gruppe (timer)", "lister_med_grunntilskudd": "Lister med grunntilskudd",
}
PAYEES = {"lege": "Legen", "kommune": "Kommunen"}
NOT_MONEY = ("timer", "antall", "pasienter")  # decimals that are not kroner


def _heading(column: str) -> str:
    return str(KIND_NAMES.get(column) or HEADINGS.get(column) or column.replace("_", " ").capitalize())


def _person_cell(column: str, value):
    """A machine value as a person reads it: the kind's name, the payee, a month as a date."""
    if column == "type" and value in KIND_NAMES:
        return str(KIND_NAMES[value])
    if column == "mottaker" and value in PAYEES:
        return PAYEES[value]
    if column == "maaned" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
        return date(int(value[:4]), int(value[5:]), 1)
    return xlsx_cell(value)


def to_xlsx(columns, rows, title="Utbetalinger") -> bytes:
    """One sheet: Norwegian headings, amounts as numbers in kroner, months as dates, the header frozen, widths
    from the content and a sum row under the amount columns."""
    book = Workbook()
    sheet = book.active
    sheet.title = NOT_IN_XLSX.sub("", title)[:31] or "Ark"
    sheet.append([_heading(column) for column in columns])
    money = [i for i, column in enumerate(columns) if not any(word in column for word in NOT_MONEY)
             and any(isinstance(row[i], Decimal) for row in rows)]
    for row in rows:
        sheet.append([_person_cell(column, value) for column, value in zip(columns, row, strict=True)])
    if rows and money:
        totals = [""] * len(columns)
        totals[0] = "Sum"
        for i in money:
            totals[i] = sum((row[i] for row in rows if isinstance(row[i], Decimal)), Decimal("0"))
        sheet.append(totals)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for i in range(1, len(columns) + 1):
        cells = list(sheet.iter_rows(min_col=i, max_col=i, values_only=False))
        for (cell,) in cells[1:]:
            if i - 1 in money:
                cell.number_format = MONEY_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = MONTH_FORMAT
        longest = max((len(str(c.value)) for (c,) in cells if c.value is not None), default=8)
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(max(longest, 8) + 2, 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(columns, rows, fmt: str, name: str, *, title: str = "Utbetalinger") -> HttpResponse:
    """The table as a download: CSV (`fmt == "csv"`) or XLSX, named `<slug of name>.<fmt>`."""
    if fmt == "csv":
        response = HttpResponse(to_csv(columns, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(to_xlsx(columns, rows, title=title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)}.{fmt}"'
    return response
