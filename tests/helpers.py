"""Plain helpers shared by test modules of several folders (a test module never imports another test module).
Fixtures are in the conftest.py files, model factories in tests/factories.py and tests/factories_alis.py."""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"  # sample import files (tests/data/)

# The header of a list-data import file (docs/import.md, docs/import.md).
LIST_HEADER = ("kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;listenummer;listetak;"
               "antall_pasienter;maaned")


def scenario_form_data(scope, **extra) -> dict:
    """The «Hva om» scenario form, filled for the municipalities in `scope` (a knekkpunkt of 1 200)."""
    data = {"name": "Knekkpunkt 1 200", "description": "", "municipalities": [m.pk for m in scope],
            "period_from": "2020-06", "period_to": "2020-06", "model": "", "knekkpunkt": "1200", "rate_under": "",
            "rate_over": "", "paid_up_to": "", "grunntilskudd_floor": "500", "grunntilskudd_months": "24",
            "introduksjon_percent": "100", "alis_percent": "100"}
    return {**data, **extra}
