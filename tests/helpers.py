"""Plain helpers shared by test modules of several folders (a test module never imports another test module).
Fixtures are in the conftest.py files, model factories in tests/factories.py and tests/factories_alis.py."""

import io
from pathlib import Path

from django.core.management import call_command

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


def run_command(*args) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of a management command as the command line would end: SystemExit's code, or 1
    with the message for a CommandError (docs/import.md, «Command line»: exit codes)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    except Exception as error:  # CommandError: exit 1 from the command line
        err.write(str(error))
        code = 1
    return code, out.getvalue(), err.getvalue()
