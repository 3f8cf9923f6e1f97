"""Parsing and validation of list-data imports (docs/import.md): practices/importing.py, no database."""

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from practices.importing import (
    REQUIRED_COLUMNS,
    Context,
    FileRejected,
    ListRow,
    RowError,
    load_renumbering,
    parse_list_file,
    parse_list_records,
    read_table,
)
from practices.reference import read_municipalities
from tests.helpers import DATA

MUNICIPALITIES = {line["kommunenummer"]: line["navn"] for line in read_municipalities()}
CONTEXT = Context(municipalities=frozenset(MUNICIPALITIES), renumbering=load_renumbering(), names=MUNICIPALITIES)

HEADER = list(REQUIRED_COLUMNS)
GOOD = {
    "kommunenummer": "0301",
    "organisasjonsnummer": "961793386",
    "legekontor": "Åsen legesenter 1",
    "hpr_nummer": "1702636",
    "lege_navn": "Ragnhild Aasen",
    "listenummer": "100",
    "listetak": "2000",
    "antall_pasienter": "589",
    "maaned": "2020-03",
}
GOOD_ROW = ListRow(
    row=2,
    kommunenummer="0301",
    organisasjonsnummer="961793386",
    legekontor="Åsen legesenter 1",
    hpr_nummer="1702636",
    lege_navn="Ragnhild Aasen",
    listenummer="100",
    listetak=2000,
    antall_pasienter=589,
    maaned=date(2020, 3, 1),
    behovsindeks=None,
    driftsform=None,
    avtale_fra=None,
)


def record(**changes) -> dict:
    return {**GOOD, **changes}


def make_csv(*records: dict, header=None, sep=";", newline="\n", encoding="utf-8") -> bytes:
    header = header or list(records[0])
    lines = [sep.join(header)] + [sep.join(str(line.get(name, "")) for name in header) for line in records]
    return (newline.join(lines) + newline).encode(encoding)


def parse(data: bytes, context: Context = CONTEXT):
    return parse_list_file(data, context)


def triples(result) -> list[tuple[int, str | None, str]]:
    return [(error.row, error.column, error.message) for error in result.errors]


def without_row(rows: list[ListRow]) -> list[ListRow]:
    return [line._replace(row=0) for line in rows]


# --- the sample files ---------------------------------------------------------------------------------------


def test_sample_file_parses_completely():
    result = parse((DATA / "lister_eksempel.csv").read_bytes())
    assert result.ok and result.errors == [] and result.warnings == []
    assert result.data_rows == 96 and len(result.rows) == 96
    assert [line.row for line in result.rows] == list(range(2, 98))
    assert result.rows[0] == GOOD_ROW
    assert {line.kommunenummer for line in result.rows} == {"0301", "1804", "4601", "5001"}
    assert {(line.kommunenummer, line.listenummer) for line in result.rows}.__len__() == 16
    assert {line.maaned for line in result.rows} == {date(2020, month, 1) for month in range(3, 9)}


def test_excel_windows1252_file_gives_the_same_rows_as_the_utf8_sample():
    utf8 = parse((DATA / "lister_eksempel.csv").read_bytes())
    excel = parse((DATA / "lister_excel_windows1252.csv").read_bytes())
    assert excel.ok and excel.data_rows == 24
    assert without_row(excel.rows) == without_row(utf8.rows[:24])
    assert [line.row for line in excel.rows] == list(range(2, 26))
    assert excel.rows[0].legekontor == "Åsen legesenter 1"
    assert excel.warnings == ["Rader 2–13: kommunenummer 301 er utvidet til 0301 (ledende null manglet)."]


FEIL = [
    (
        "antall_ikke_tall.csv",
        [(5, "antall_pasienter", "Antall pasienter må være et helt tall fra 0 til 9 999, ikke «abc».")],
    ),
    (
        "dobbel_rad.csv",
        [(14, None, "Liste 100 i kommune 0301 for 2020-03 står allerede i rad 2. Fjern en av radene.")],
    ),
    (
        "maaned_ikke_den_forste.csv",
        [
            (
                8,
                "maaned",
                "Måned må være den 1. i måneden, ikke «15.05.2020». Bruk for eksempel 01.05.2020 eller 2020-05.",
            )
        ],
    ),
    (
        "mangler_kolonne_antall.csv",
        [(1, "antall_pasienter", "Kolonnen mangler i overskriftsraden. Legg den til.")],
    ),
    (
        "orgnr_kontrollsiffer.csv",
        [
            (
                4,
                "organisasjonsnummer",
                "Organisasjonsnummer 961793387 har feil kontrollsiffer (siste siffer). "
                "Kontroller nummeret i Enhetsregisteret.",
            )
        ],
    ),
    (
        "siste_rad_feil.csv",
        [(13, "antall_pasienter", "Antall pasienter må være et helt tall fra 0 til 9 999, ikke «mange».")],
    ),
]


@pytest.mark.parametrize(("filename", "expected"), FEIL, ids=[name for name, _ in FEIL])
def test_rejected_sample_files(filename, expected):
    result = parse((DATA / "feil" / filename).read_bytes())
    assert not result.ok
    assert triples(result) == expected
    data_rows = 13 if filename == "dobbel_rad.csv" else 12
    assert result.data_rows == data_rows
    # missing columns stop the check before the rows; otherwise every other row is valid
    assert len(result.rows) == (0 if filename.startswith("mangler_kolonne") else data_rows - 1)


def test_every_sample_error_file_is_covered():
    assert sorted(path.name for path in (DATA / "feil").glob("*.csv")) == sorted(name for name, _ in FEIL)


# --- whole-file rejections ----------------------------------------------------------------------------------

HEADER_LINE = ";".join(HEADER).encode()
GOOD_LINE = ";".join(GOOD.values()).encode()
NO_DATA = "Filen har overskriftsrad, men ingen datarader. Legg til minst én rad med listedata."
NOT_TEXT = "Filen er ikke en tekstfil (den inneholder binære data). Lagre listedataene som CSV og last opp på nytt."
REJECTED = [
    ("empty", b"", "Filen er tom. Velg en CSV-fil med overskriftsrad og minst én datarad."),
    (
        "whitespace only",
        b"  \r\n\n\t \n",
        "Filen inneholder bare tomme linjer. Velg en CSV-fil med overskriftsrad og minst én datarad.",
    ),
    (
        "only empty cells",
        b";;;\n;;;\n",
        "Filen inneholder bare tomme linjer. Velg en CSV-fil med overskriftsrad og minst én datarad.",
    ),
    ("header only", HEADER_LINE + b"\n", NO_DATA),
    ("header only without newline", HEADER_LINE, NO_DATA),
    ("header and blank lines", HEADER_LINE + b"\r\n\r\n;;;;;;;;\r\n  \r\n", NO_DATA),
    ("NUL bytes", HEADER_LINE + b"\n0301\x00;96\x00\n", NOT_TEXT),
    (
        "xlsx",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
        "Filen er en Excel-arbeidsbok (XLSX) eller et annet ZIP-arkiv, ikke en CSV-fil. "
        "Åpne den i Excel, velg Lagre som → CSV (semikolondelt) og last opp den nye filen.",
    ),
    (
        "xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00",
        "Filen er en eldre Excel-fil (XLS), ikke en CSV-fil. "
        "Åpne den i Excel, velg Lagre som → CSV (semikolondelt) og last opp den nye filen.",
    ),
    (
        "pdf",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "Filen er en PDF, ikke en CSV-fil. Last opp listedataene som CSV (semikolondelt).",
    ),
    (
        "utf-16",
        "kommunenummer\torganisasjonsnummer\n".encode("utf-16"),
        "Filen er lagret som UTF-16 («Unicode-tekst»). Lagre den som CSV UTF-8 (semikolondelt) og last opp på nytt.",
    ),
    (
        "binary without NUL bytes",
        bytes(range(1, 32)) * 40,
        NOT_TEXT,
    ),
    (
        "neither UTF-8 nor Windows-1252",
        HEADER_LINE + b"\n0301;\x81\x8d\x8f\x90;x\n",
        "Filen kan ikke leses som tekst (verken UTF-8 eller Windows-1252). "
        "Lagre den som CSV UTF-8 (semikolondelt) og last opp på nytt.",
    ),
    (
        "unbalanced quote",
        HEADER_LINE + b"\n" + GOOD_LINE + '\n0301;961793386;"Åsen legesenter 1;1702636\n'.encode() + GOOD_LINE + b"\n",
        'Filen kan ikke leses som CSV: et anførselstegn (") i rad 3 blir aldri avsluttet. '
        "Rett anførselstegnene og last opp på nytt.",
    ),
    (
        "text after a closing quote",
        HEADER_LINE + '\n0301;961793386;"Åsen" legesenter;1702636;R;100;2000;589;2020-03\n'.encode(),
        'Filen kan ikke leses som CSV: i rad 2 står det tegn rett etter et avsluttende anførselstegn ("). '
        'Sett hele verdien i anførselstegn og skriv anførselstegn inne i verdien dobbelt ("").',
    ),
]


@pytest.mark.parametrize(("data", "message"), [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED])
def test_file_rejected_as_a_whole(data, message):
    with pytest.raises(FileRejected) as excinfo:
        parse(data)
    assert str(excinfo.value) == message
    with pytest.raises(FileRejected):
        read_table(data)


def test_more_than_100000_data_rows_is_rejected_but_100000_is_read():
    header, rows = read_table(b"kommunenummer\n" + b"x\n" * 100_000)
    assert header == ["kommunenummer"] and len(rows) == 100_000 and rows[-1] == (100_001, ["x"])
    with pytest.raises(FileRejected) as excinfo:
        read_table(b"kommunenummer\n" + b"x\n" * 100_001)
    assert str(excinfo.value) == (
        "Filen har mer enn 100 000 datarader. Del den opp i flere filer med høyst 100 000 rader hver."
    )


# --- reading: delimiters, encodings, line ends, headers -----------------------------------------------------


def test_read_table_gives_file_row_numbers_and_skips_blank_lines():
    data = b"a;b\n1;2\n\n;\n  ;  \n3;4\r\n5\n"
    assert read_table(data) == (["a", "b"], [(2, ["1", "2"]), (6, ["3", "4"]), (7, ["5"])])


def test_blank_lines_are_not_data_rows_and_row_numbers_follow_the_file():
    data = make_csv(GOOD, record(maaned="2020-04"), newline="\n").replace(b"\n0301", b"\n\n;;;;;;;;\n0301", 1)
    result = parse(data)
    assert result.ok and result.data_rows == 2
    assert [line.row for line in result.rows] == [4, 5]


@pytest.mark.parametrize(
    ("sep", "newline", "encoding", "bom"),
    [
        (";", "\n", "utf-8", False),
        (";", "\r\n", "utf-8", True),
        ("\t", "\r\n", "cp1252", False),
        (",", "\n", "utf-8", True),
        (";", "\r", "cp1252", False),
    ],
    ids=["semicolon-LF", "semicolon-CRLF-BOM", "tab-CRLF-1252", "comma-BOM", "CR-only-1252"],
)
def test_delimiters_encodings_and_line_ends(sep, newline, encoding, bom):
    data = make_csv(GOOD, record(maaned="2020-04"), sep=sep, newline=newline, encoding=encoding)
    result = parse(b"\xef\xbb\xbf" + data if bom else data)
    assert triples(result) == []
    assert result.rows[0] == GOOD_ROW
    assert result.rows[1].maaned == date(2020, 4, 1)


def test_comma_file_with_quoted_decimal_comma():
    header = HEADER + ["behovsindeks"]
    line = ",".join(GOOD.values()) + ',"1,05"'
    result = parse((",".join(header) + "\n" + line + "\n").encode())
    assert triples(result) == []
    assert result.rows[0].behovsindeks == Decimal("1.0500")


def test_delimiter_is_detected_from_the_header_line_only():
    # the data row is full of commas, the header has none: `;` wins
    line = ";".join(record(legekontor="Lege, senter, og, mer").values())
    result = parse((";".join(HEADER) + "\n" + line + "\n").encode())
    assert result.ok and result.rows[0].legekontor == "Lege, senter, og, mer"


def test_header_names_ignore_case_spaces_and_order():
    header = ["  MAANED ", "Antall_Pasienter", "listetak", " Listenummer", "LEGE_NAVN", "hpr_nummer", "Legekontor",
              "organisasjonsnummer", "kommuneNUMMER "]  # fmt: skip
    values = [GOOD[name] for name in reversed(REQUIRED_COLUMNS)]
    result = parse((";".join(header) + "\n" + ";".join(values) + "\n").encode())
    assert triples(result) == [] and result.warnings == []
    assert result.rows == [GOOD_ROW]


def test_header_with_norwegian_letters_and_spaces_is_understood():
    header = ["kommunenummer", "organisasjonsnummer", "legekontor", "HPR-nummer", "lege navn", "listenummer",
              "listetak", "antall pasienter", "Måned"]  # fmt: skip
    result = parse((";".join(header) + "\n" + ";".join(GOOD.values()) + "\n").encode())
    assert result.rows == [GOOD_ROW]


def test_unknown_columns_are_ignored_with_a_warning():
    result = parse(make_csv(record(Kommentar="hei", fylke="Oslo")))
    assert result.ok and result.rows == [GOOD_ROW]
    assert result.warnings == [
        "Kolonnen «Kommentar» er ukjent og blir ikke lest.",
        "Kolonnen «fylke» er ukjent og blir ikke lest.",
    ]


def test_a_column_without_heading_is_ignored():
    data = (";".join(HEADER) + ";\n" + ";".join(GOOD.values()) + ";\n").encode()
    result = parse(data)
    assert result.ok and result.warnings == [] and result.rows == [GOOD_ROW]


def test_missing_columns_stop_before_the_rows():
    header = [name for name in HEADER if name not in ("listetak", "maaned")]
    data = make_csv(record(kommunenummer="9999", antall_pasienter="abc"), header=header)
    result = parse(data)
    assert triples(result) == [
        (1, "listetak", "Kolonnen mangler i overskriftsraden. Legg den til."),
        (1, "maaned", "Kolonnen mangler i overskriftsraden. Legg den til."),
    ]
    assert result.rows == [] and result.data_rows == 1
    assert str(result.errors[0]) == "Rad 1, kolonne listetak: Kolonnen mangler i overskriftsraden. Legg den til."


def test_missing_column_names_a_misspelt_heading():
    header = [name if name != "antall_pasienter" else "antal_pasienter" for name in HEADER]
    result = parse((";".join(header) + "\n" + ";".join(GOOD.values()) + "\n").encode())
    assert triples(result) == [
        (
            1,
            "antall_pasienter",
            "Kolonnen mangler i overskriftsraden. Legg den til, "
            "eller gi kolonnen «antal_pasienter» navnet antall_pasienter.",
        )
    ]
    assert result.warnings == ["Kolonnen «antal_pasienter» er ukjent og blir ikke lest."]


def test_repeated_column_is_an_error_on_the_header_row():
    data = (";".join(HEADER + ["Maaned"]) + "\n" + ";".join([*GOOD.values(), "2020-04"]) + "\n").encode()
    result = parse(data)
    assert triples(result) == [(1, "maaned", "Kolonnen står flere ganger i overskriftsraden. Fjern den ene.")]
    assert result.rows == []


def test_wrong_delimiter_gives_a_single_column_hint():
    data = ("|".join(HEADER) + "\n" + "|".join(GOOD.values()) + "\n").encode()
    result = parse(data)
    assert triples(result)[0] == (
        1,
        None,
        "Overskriftsraden har bare én kolonne. Skill kolonnene med semikolon (;), komma (,) eller tabulator.",
    )
    assert [error.column for error in result.errors[1:]] == HEADER


# --- one bad value ------------------------------------------------------------------------------------------

CONTROL = "inneholder kontrolltegn (for eksempel linjeskift). Fjern dem."
MONTH_FORMATS = "Bruk 2020-05, 2020-05-01 eller 01.05.2020."
DATE_FORMATS = "Bruk formatet 2019-08-15 eller 15.08.2019."
BAD_VALUES = [
    # (column, value, message)
    ("kommunenummer", "", "Kommunenummer mangler verdi. Fyll inn kommunens firesifrede nummer, for eksempel 0301."),
    ("kommunenummer", "Oslo", "Kommunenummer må være fire sifre, for eksempel 0301, ikke «Oslo»."),
    ("kommunenummer", "30101", "Kommunenummer må være fire sifre, for eksempel 0301, ikke «30101»."),
    (
        "kommunenummer",
        "9999",
        "Kommunenummer 9999 finnes ikke. Bruk dagens firesifrede kommunenummer, for eksempel 0301 for Oslo.",
    ),
    (
        "kommunenummer",
        "999",
        "Kommunenummer 0999 (skrevet 999) finnes ikke. Bruk dagens firesifrede kommunenummer, "
        "for eksempel 0301 for Oslo.",
    ),
    (
        "kommunenummer",
        "1507",
        "Kommunenummer 1507 gjelder ikke lenger, og kommunen er delt. "
        "Bruk et av dagens numre: 1508 Ålesund eller 1580 Haram.",
    ),
    (
        "kommunenummer",
        "5012",
        "Kommunenummer 5012 gjelder ikke lenger, og kommunen er delt. "
        "Bruk et av dagens numre: 5055 Heim, 5056 Hitra eller 5059 Orkland.",
    ),
    (
        "organisasjonsnummer",
        "",
        "Organisasjonsnummer mangler verdi. Fyll inn legekontorets organisasjonsnummer (9 sifre).",
    ),
    (
        "organisasjonsnummer",
        "961 793 387",
        "Organisasjonsnummer 961793387 har feil kontrollsiffer (siste siffer). "
        "Kontroller nummeret i Enhetsregisteret.",
    ),
    ("organisasjonsnummer", "96179338", "Organisasjonsnummer må ha 9 sifre, «96179338» har 8."),
    ("organisasjonsnummer", "NO961793386", "Organisasjonsnummer må være 9 sifre, ikke «NO961793386»."),
    (
        "organisasjonsnummer",
        "9,62E+08",
        "Organisasjonsnummer må være 9 sifre, ikke «9,62E+08». "
        "Excel har vist tallet i eksponentform; formater kolonnen som tekst.",
    ),
    ("legekontor", "  ", "Legekontor mangler verdi. Fyll inn legekontorets navn."),
    ("legekontor", "L" * 201, "Legekontor er for langt (201 tegn). Største lengde er 200 tegn."),
    ("hpr_nummer", "12a", "HPR-nummer må være 1–9 sifre, ikke «12a»."),
    ("hpr_nummer", "1234567890", "HPR-nummer må være 1–9 sifre, ikke «1234567890»."),
    (
        "hpr_nummer",
        "",
        "HPR-nummer mangler verdi. Fyll inn legens HPR-nummer, eller sett driftsform til ubesatt "
        "hvis listen ikke har fastlege.",
    ),
    (
        "lege_navn",
        "",
        "Legens navn mangler verdi. Fyll inn legens navn, eller sett driftsform til ubesatt "
        "hvis listen ikke har fastlege.",
    ),
    ("lege_navn", "Ragnhild\x07Aasen", f"Legens navn {CONTROL}"),
    ("legekontor", "Åsen\x1blegesenter", f"Legekontor {CONTROL}"),
    ("listenummer", "100\x7f", f"Listenummer {CONTROL}"),
    ("listenummer", "", "Listenummer mangler verdi. Fyll inn listens nummer i kommunen."),
    ("listenummer", "1" * 21, "Listenummer er for langt (21 tegn). Største lengde er 20 tegn."),
    ("listetak", "", "Listetak mangler verdi. Fyll inn et helt tall fra 0 til 2 500."),
    ("listetak", "2501", "Listetak 2501 er for høyt. Tillatt er 0–2 500."),
    ("listetak", "-1", "Listetak kan ikke være negativt (-1). Tillatt er 0–2 500."),
    ("listetak", "12,5", "Listetak må være et helt tall fra 0 til 2 500, ikke «12,5»."),
    (
        "antall_pasienter",
        "",
        "Antall pasienter mangler verdi. Fyll inn antall pasienter på listen den 1. i måneden (0–9 999).",
    ),
    ("antall_pasienter", "-5", "Antall pasienter kan ikke være negativt (-5). Tillatt er 0–9 999."),
    ("antall_pasienter", "10000", "Antall pasienter 10000 er for høyt. Tillatt er 0–9 999."),
    ("antall_pasienter", "5e2", "Antall pasienter må være et helt tall fra 0 til 9 999, ikke «5e2»."),
    ("maaned", "", "Måned mangler verdi. Fyll inn måneden, for eksempel 2020-05."),
    (
        "maaned",
        "2020-05-15",
        "Måned må være den 1. i måneden, ikke «2020-05-15». Bruk for eksempel 01.05.2020 eller 2020-05.",
    ),
    ("maaned", "2020-13", f"Måned «2020-13» er ikke en gyldig dato. {MONTH_FORMATS}"),
    ("maaned", "31.02.2020", f"Måned «31.02.2020» er ikke en gyldig dato. {MONTH_FORMATS}"),
    ("maaned", "mai 2020", "Måned «mai 2020» har ukjent format. Bruk 2020-05, 2020-05-01 eller 01.05.2020."),
    ("maaned", "202005", "Måned «202005» har ukjent format. Bruk 2020-05, 2020-05-01 eller 01.05.2020."),
    ("maaned", "1920-05", "Måned «1920-05» har et urimelig årstall. Bruk et år fra 2000 til 2099."),
    ("behovsindeks", "0", "Behovsindeks må være større enn 0, ikke 0."),
    ("behovsindeks", "0,0000", "Behovsindeks må være større enn 0, ikke 0,0000."),
    ("behovsindeks", "-1,2", "Behovsindeks må være større enn 0, ikke -1,2."),
    (
        "behovsindeks",
        "1,23456",
        "Behovsindeks kan ha høyst 4 desimaler, «1,23456» har 5. Rund av til 4 desimaler.",
    ),
    (
        "behovsindeks",
        "abc",
        "Behovsindeks må være et desimaltall større enn 0, for eksempel 1,0500, ikke «abc».",
    ),
    ("behovsindeks", "12345", "Behovsindeks 12345 er for stor. Største verdi er 9999,9999."),
    ("driftsform", "privat", "Driftsform «privat» er ukjent. Bruk næringsdrivende, fastlønnet eller ubesatt."),
    ("avtale_fra", "2019-02-30", f"Avtale fra «2019-02-30» er ikke en gyldig dato. {DATE_FORMATS}"),
    ("avtale_fra", "2019", f"Avtale fra «2019» er ikke en gyldig dato. {DATE_FORMATS}"),
    ("avtale_fra", "15/08/2019", f"Avtale fra «15/08/2019» er ikke en gyldig dato. {DATE_FORMATS}"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("column", "value", "message"),
    BAD_VALUES,
    ids=[f"{column}={value[:12]!r}" for column, value, _ in BAD_VALUES],
)
def test_one_bad_value_is_one_error_on_its_row_and_column(column, value, message):
    good = record(maaned="2020-04", behovsindeks="1", driftsform="", avtale_fra="")
    bad = record(**{"maaned": "2020-03", "behovsindeks": "", "driftsform": "", "avtale_fra": "", column: value})
    data = make_csv(good, bad)
    result = parse(data)
    assert triples(result) == [(3, column, message)]
    assert [line.row for line in result.rows] == [2]
    assert result.data_rows == 2


def test_row_with_too_few_or_too_many_fields():
    lines = [";".join(HEADER), ";".join(GOOD.values()), ";".join(list(GOOD.values())[:-1]),
             ";".join([*GOOD.values(), "x"])]  # fmt: skip
    result = parse(("\n".join(lines) + "\n").encode())
    assert triples(result) == [
        (3, None, "Raden har 8 felt, overskriften har 9. "
                  "Kontroller at skilletegnet (semikolon) ikke står inne i en verdi uten anførselstegn."),
        (4, None, "Raden har 10 felt, overskriften har 9. "
                  "Kontroller at skilletegnet (semikolon) ikke står inne i en verdi uten anførselstegn."),
    ]  # fmt: skip
    assert [line.row for line in result.rows] == [2]


def test_all_errors_of_all_rows_are_collected_sorted_by_row_and_column():
    data = make_csv(
        record(antall_pasienter="abc", kommunenummer="9999", maaned="2020-03"),
        record(maaned="2020-04"),
        record(listetak="3000", organisasjonsnummer="123", maaned="2020-05"),
    )
    result = parse(data)
    assert [(error.row, error.column) for error in result.errors] == [
        (2, "kommunenummer"),
        (2, "antall_pasienter"),
        (4, "organisasjonsnummer"),
        (4, "listetak"),
    ]
    assert [line.row for line in result.rows] == [3]
    assert (
        str(result.errors[2]) == "Rad 4, kolonne organisasjonsnummer: Organisasjonsnummer må ha 9 sifre, «123» har 3."
    )


# --- values that are accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2020-03", "2020-03-01", "01.03.2020", "1.3.2020", " 2020-3 "])
def test_month_formats(value):
    assert parse(make_csv(record(maaned=value))).rows == [GOOD_ROW]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", Decimal("1.0000")), ("1,05", Decimal("1.0500")), ("0.9876", Decimal("0.9876")),
     ("1,230000", Decimal("1.2300")), (",5", Decimal("0.5000")), ("", None)],
)  # fmt: skip
def test_behovsindeks_is_quantized_to_four_places(value, expected):
    line = parse(make_csv(record(behovsindeks=value))).rows[0]
    assert line.behovsindeks == expected
    if expected is not None:
        assert line.behovsindeks.as_tuple().exponent == -4


@pytest.mark.parametrize(
    ("value", "expected"),
    [("næringsdrivende", "naeringsdrivende"), ("NAERINGSDRIVENDE", "naeringsdrivende"),
     ("Fastlønnet", "fastlonnet"), (" fastlonnet ", "fastlonnet"), ("", None)],
)  # fmt: skip
def test_driftsform_words(value, expected):
    assert parse(make_csv(record(driftsform=value))).rows[0].driftsform == expected


@pytest.mark.parametrize("value", ["2019-08-15", "15.08.2019"])
def test_avtale_fra_formats(value):
    assert parse(make_csv(record(avtale_fra=value))).rows[0].avtale_fra == date(2019, 8, 15)


def test_ubesatt_list_has_no_doctor():
    result = parse(make_csv(record(driftsform="Ubesatt", hpr_nummer="", lege_navn=" ")))
    assert result.ok
    assert result.rows == [GOOD_ROW._replace(hpr_nummer="", lege_navn="", driftsform="ubesatt")]


def test_ubesatt_list_with_a_doctor_is_an_error():
    result = parse(make_csv(record(driftsform="ubesatt", avtale_fra="2019-08-15")))
    assert triples(result) == [
        (2, "hpr_nummer", "En ubesatt liste skal ikke ha HPR-nummer. La feltet stå tomt, eller endre driftsform."),
        (2, "lege_navn", "En ubesatt liste skal ikke ha legenavn. La feltet stå tomt, eller endre driftsform."),
        (2, "avtale_fra", "En ubesatt liste har ingen fastlegeavtale. "
                          "La avtale_fra stå tom, eller fyll inn lege og driftsform."),
    ]  # fmt: skip
    assert result.rows == []


@pytest.mark.parametrize("driftsform", ["", "fastlønnet"])
def test_a_list_that_is_not_ubesatt_needs_a_doctor(driftsform):
    result = parse(make_csv(record(driftsform=driftsform, hpr_nummer="", lege_navn="")))
    assert [(error.row, error.column) for error in result.errors] == [(2, "hpr_nummer"), (2, "lege_navn")]
    assert all("mangler verdi" in error.message for error in result.errors)


def test_spaces_in_organisasjonsnummer_and_numbers_are_ignored():
    result = parse(make_csv(record(organisasjonsnummer=" 961 793\u00a0386 ", antall_pasienter="1 050")))
    assert result.rows[0].organisasjonsnummer == "961793386" and result.rows[0].antall_pasienter == 1050


def test_text_cells_are_stripped_and_formula_text_is_kept_as_text():
    formula = '=HYPERLINK("http://x.example/","klikk")'
    lines = [";".join(HEADER), ";".join(record(lege_navn=f'"{formula.replace(chr(34), chr(34) * 2)}"',
                                               legekontor="  +Åsen\tlegesenter  ").values())]  # fmt: skip
    result = parse(("\n".join(lines) + "\n").encode())
    assert triples(result) == []
    assert result.rows[0].lege_navn == formula
    assert result.rows[0].legekontor == "+Åsen\tlegesenter"  # tab inside a name is allowed


def test_line_break_inside_a_quoted_name_is_a_control_character_error():
    lines = [";".join(HEADER), ";".join(record(lege_navn='"Ragnhild\nAasen"').values()),
             ";".join(record(maaned="2020-04").values())]  # fmt: skip
    result = parse(("\n".join(lines) + "\n").encode())
    assert triples(result) == [
        (2, "lege_navn", "Legens navn inneholder kontrolltegn (for eksempel linjeskift). Fjern dem.")
    ]
    assert [line.row for line in result.rows] == [3]  # rows are records, as a spreadsheet numbers them


def test_edge_values_are_accepted():
    result = parse(make_csv(record(listetak="0", antall_pasienter="0", maaned="2020-03"),
                            record(listetak="2500", antall_pasienter="9999", maaned="2020-04")))  # fmt: skip
    assert result.ok
    assert [(line.listetak, line.antall_pasienter) for line in result.rows] == [(0, 0), (2500, 9999)]


# --- municipalities -----------------------------------------------------------------------------------------


def test_three_digit_kommunenummer_is_padded_with_a_warning():
    result = parse(make_csv(record(kommunenummer="301")))
    assert result.rows == [GOOD_ROW]
    assert result.warnings == ["Rad 2: kommunenummer 301 er utvidet til 0301 (ledende null manglet)."]


def test_old_kommunenummer_is_mapped_to_todays_number_with_a_warning():
    result = parse(make_csv(record(kommunenummer="0101"), record(kommunenummer="101", maaned="2020-04"),
                            record(kommunenummer="0101", maaned="2020-06")))  # fmt: skip
    assert result.ok
    assert [line.kommunenummer for line in result.rows] == ["3101", "3101", "3101"]
    assert result.warnings == [
        "Rader 2–4: kommunenummer 0101 er et tidligere nummer og er endret til 3101 Halden.",
        "Rad 3: kommunenummer 101 er utvidet til 0101 (ledende null manglet).",
    ]


def test_warning_rows_are_shown_as_ranges_and_cut_when_long():
    months = [f"20{year:02d}-{month:02d}" for year in range(20, 23) for month in range(1, 13)]
    records = [record(kommunenummer="301" if index % 2 == 0 else "0301", maaned=month)
               for index, month in enumerate(months)]  # fmt: skip
    records[1]["kommunenummer"] = "301"
    result = parse(make_csv(*records))
    assert result.ok
    assert result.warnings == [
        "Rader 2–4, 6, 8, 10, 12, 14, 16, 18 og 9 rader til: "
        "kommunenummer 301 er utvidet til 0301 (ledende null manglet)."
    ]


def test_municipality_the_user_may_not_import_for():
    context = dataclasses.replace(CONTEXT, allowed=frozenset({"4601"}))
    result = parse(make_csv(record(), record(kommunenummer="4601", maaned="2020-04")), context)
    assert triples(result) == [
        (
            2,
            "kommunenummer",
            "Du har ikke tilgang til å importere for kommune 0301 Oslo - Oslove. "
            "Fjern raden, eller be om tilgang som kommuneadministrator.",
        )
    ]
    assert [line.kommunenummer for line in result.rows] == ["4601"]


def test_access_is_checked_on_todays_number_and_works_without_names():
    context = Context(municipalities=CONTEXT.municipalities, renumbering=CONTEXT.renumbering,
                      allowed=frozenset({"3101"}))  # fmt: skip
    result = parse(make_csv(record(kommunenummer="0101"), record(maaned="2020-04")), context)
    assert triples(result) == [
        (
            3,
            "kommunenummer",
            "Du har ikke tilgang til å importere for kommune 0301. "
            "Fjern raden, eller be om tilgang som kommuneadministrator.",
        )
    ]
    assert [line.kommunenummer for line in result.rows] == ["3101"]


def test_load_renumbering():
    renumbering = load_renumbering()
    assert renumbering["0101"] == (("3101", "Halden"),)
    assert renumbering["1507"] == (("1508", "Ålesund"), ("1580", "Haram"))
    assert "0301" not in renumbering


# --- the same list and month twice --------------------------------------------------------------------------


def test_same_list_and_month_twice_in_other_spellings():
    result = parse(make_csv(record(), record(maaned="2020-04"), record(kommunenummer="301", maaned="01.03.2020")))
    assert triples(result) == [
        (4, None, "Liste 100 i kommune 0301 for 2020-03 står allerede i rad 2. Fjern en av radene.")
    ]
    assert [line.row for line in result.rows] == [2, 3]


def test_same_list_number_in_another_municipality_is_not_a_duplicate():
    result = parse(make_csv(record(), record(kommunenummer="4601")))
    assert result.ok and len(result.rows) == 2


# --- API records --------------------------------------------------------------------------------------------


def test_api_records_give_the_same_rows_as_a_file():
    records = [
        {**GOOD, "kommunenummer": 301, "listetak": 2000, "antall_pasienter": 589, "behovsindeks": None},
        {**GOOD, "maaned": "2020-04", "behovsindeks": 1.05, "driftsform": "fastlønnet"},
    ]
    result = parse_list_records(records, CONTEXT)
    assert result.ok and result.data_rows == 2
    assert result.rows == [
        GOOD_ROW,
        GOOD_ROW._replace(row=3, maaned=date(2020, 4, 1), behovsindeks=Decimal("1.0500"),
                            driftsform="fastlonnet"),
    ]  # fmt: skip
    assert result.warnings == ["Rad 2: kommunenummer 301 er utvidet til 0301 (ledende null manglet)."]


def test_api_errors_use_index_plus_two_as_row():
    records = [
        record(),
        record(maaned="2020-04", antall_pasienter=-3),
        {key: value for key, value in record(maaned="2020-05").items() if key != "listetak"},
        record(maaned="2020-06", hpr_nummer=True, ukjent="x"),
        record(maaned="2020-07", lege_navn=["Ragnhild"]),
    ]
    result = parse_list_records(records, CONTEXT)
    assert triples(result) == [
        (3, "antall_pasienter", "Antall pasienter kan ikke være negativt (-3). Tillatt er 0–9 999."),
        (4, "listetak", "Listetak mangler verdi. Fyll inn et helt tall fra 0 til 2 500."),
        (5, "hpr_nummer", "Verdien må være tekst eller et tall, ikke true/false."),
        (6, "lege_navn", "Verdien må være tekst eller et tall, ikke en liste."),
    ]
    assert [line.row for line in result.rows] == [2]
    assert result.warnings == ["Feltet «ukjent» er ukjent og blir ikke lest."]
    assert str(result.errors[0]) == (
        "Rad 3, kolonne antall_pasienter: Antall pasienter kan ikke være negativt (-3). Tillatt er 0–9 999."
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "Innholdet må være en liste med minst én rad (JSON-objekter med kolonnenavnene)."),
        ({"rows": []}, "Innholdet må være en liste med minst én rad (JSON-objekter med kolonnenavnene)."),
        (None, "Innholdet må være en liste med minst én rad (JSON-objekter med kolonnenavnene)."),
        ([GOOD, "0301;961793386"], "Rad 3 er ikke et JSON-objekt. "
                                   "Hver rad må være et objekt med kolonnenavnene som nøkler."),
    ],
    ids=["empty list", "object", "null", "string row"],
)  # fmt: skip
def test_api_body_that_is_not_a_list_of_objects_is_rejected(body, message):
    with pytest.raises(FileRejected) as excinfo:
        parse_list_records(body, CONTEXT)
    assert str(excinfo.value) == message


# --- small things -------------------------------------------------------------------------------------------


def test_row_error_text():
    assert str(RowError(3, "listetak", "For høyt.")) == "Rad 3, kolonne listetak: For høyt."
    assert str(RowError(4, None, "Dobbel.")) == "Rad 4: Dobbel."


def test_parse_result_ok_and_frozen_rows():
    result = parse(make_csv(record()))
    assert result.ok
    with pytest.raises(AttributeError):  # a named tuple: immutable
        result.rows[0].listetak = 1
