"""The commands' progress bars (core/terminal.py): drawn only on a terminal, never in captured or piped output, so
the last-line contracts of docs/import.md «Command line» hold."""

import io
import re

import pytest
from django.core.management import call_command

from tests.helpers import DATA

pytestmark = pytest.mark.django_db
BAR = re.compile(r"[━╸╺█▏▎▍▌▋▊▉\r]|\x1b\[")  # rich's bar glyphs, carriage returns and ANSI escapes


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run(name, *args, stream=io.StringIO):
    out, err = stream(), stream()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


COMMANDS = [
    (("import_lists", str(DATA / "lister_eksempel.csv")), r"opprettet 96, endret 0, uendret 0"),
    (("recompute_payments", "--month", "2020-05", "--municipality", "0301"),
     r"0301 2020-05: linjer \d+, sum [\d.]+, mangler listetall \d+"),
    (("generate_data", "--lists", "20", "--months", "2"),
     r"lister 20, listemåneder \d+, kommuner \d+, legekontor \d+, leger \d+, [\d.]+ s \(databasen\)"),
    (("expire_eligibility", "--today", "2020-06-01"),
     r"2020-06-01: utløpt grunntilskudd \d+, introduksjonsavtaler \d+, ALIS fullført \d+, varsler \d+.*"),
]


@pytest.mark.parametrize(("args", "last"), COMMANDS, ids=[args[0] for args, _ in COMMANDS])
def test_captured_output_has_no_bar_and_the_same_last_line(args, last):
    if args[0] == "recompute_payments":
        run("import_lists", str(DATA / "lister_eksempel.csv"))
    out, err = run(*args)
    assert re.fullmatch(last, out.strip().splitlines()[-1])
    assert err == "" and not BAR.search(out)


def test_on_a_terminal_the_bar_goes_to_stderr_and_the_summary_stays_last():
    out, err = run("import_lists", str(DATA / "lister_eksempel.csv"), stream=Terminal)
    assert out.strip().splitlines()[-1] == "opprettet 96, endret 0, uendret 0"
    assert not BAR.search(out)
    assert "Importerer" in err  # rich drew the bar (and removed it: transient) on stderr
