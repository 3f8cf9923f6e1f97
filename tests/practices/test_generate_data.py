"""`generate_data`: the national data set for benchmarks (docs/import.md, docs/performance.md), on a small scale."""

import io
from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from stdnum.no import orgnr

from practices.generate import allocate, csv_bytes, generate, orgnr_check_digit
from practices.models import Doctor, ImportJob, ListCount, ListHolder, Municipality, PatientList, Practice
from practices.services.list_import import import_file

pytestmark = pytest.mark.django_db
ARGS = ("--lists", "40", "--months", "3", "--seed", "1")


def generate_command(*args) -> str:
    out = io.StringIO()
    call_command("generate_data", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return (
        sorted(Practice.objects.values_list("organisasjonsnummer", "name", "municipality__kommunenummer")),
        sorted(Doctor.objects.values_list("hpr_nummer", "name")),
        sorted(
            PatientList.objects.values_list(
                "municipality__kommunenummer", "listenummer", "practice__organisasjonsnummer", "listetak"
            )
        ),
        sorted(
            ListHolder.objects.values_list(
                "patient_list__listenummer",
                "patient_list__municipality__kommunenummer",
                "from_month",
                "doctor__hpr_nummer",
                "driftsform",
            )
        ),
        sorted(
            ListCount.objects.values_list(
                "patient_list__municipality__kommunenummer",
                "patient_list__listenummer",
                "month",
                "antall_pasienter",
                "listetak",
                "behovsindeks",
            )
        ),
    )


def test_writes_lists_and_months_with_valid_numbers_and_a_summary():
    out = generate_command(*ARGS)
    months = ListCount.objects.count()
    assert PatientList.objects.count() == 40
    assert 40 * 3 * 0.9 <= months <= 40 * 3  # ~0.5 % of list-months are missing, at least one per list
    assert set(ListCount.objects.values_list("month", flat=True)) == {
        date(2022, 1, 1),
        date(2022, 2, 1),
        date(2022, 3, 1),
    }
    assert all(orgnr.is_valid(number) for number in Practice.objects.values_list("organisasjonsnummer", flat=True))
    holders = set(ListHolder.objects.filter(doctor__isnull=False).values_list("doctor__hpr_nummer", flat=True))
    assert set(Doctor.objects.values_list("hpr_nummer", flat=True)) == holders  # unique HPRs, each holds a list
    assert ListHolder.objects.filter(driftsform="ubesatt", doctor__isnull=False).count() == 0
    assert out.startswith(f"lister 40, listemåneder {months}, kommuner ")


def test_the_same_seed_gives_the_same_data_and_a_rerun_replaces_it():
    generate_command(*ARGS)
    first = snapshot()
    generate_command(*ARGS)
    assert snapshot() == first
    municipalities = list(Municipality.objects.values_list("kommunenummer", "name"))
    assert csv_bytes(generate(municipalities, lists=40, months=3, seed=1).rows) == csv_bytes(
        generate(municipalities, lists=40, months=3, seed=1).rows
    )
    assert (
        generate(municipalities, lists=40, months=3, seed=2).rows
        != generate(municipalities, lists=40, months=3, seed=1).rows
    )


def test_csv_imports_cleanly_through_the_product_import_and_gives_the_same_data(tmp_path):
    path = tmp_path / "lister.csv"
    generate_command(*ARGS, "--start", "2023-04", "--csv", str(path))
    assert PatientList.objects.count() == 0  # --csv writes the file, not the database
    data = path.read_bytes()
    rows = data.count(b"\n") - 1
    assert data.splitlines()[0].decode() == (
        "kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;"
        "listenummer;listetak;antall_pasienter;maaned;behovsindeks;driftsform"
    )
    job = import_file(user=None, data=data, filename="lister.csv", dry_run=False, source="cli")
    assert (job.status, job.errors, job.message) == (ImportJob.Status.DONE, [], "")
    assert (job.data_rows, job.created, job.changed, job.unchanged) == (rows, rows, 0, 0)
    assert ListCount.objects.filter(behovsindeks__isnull=False).exists()  # from 2023-05
    imported = snapshot()

    ListCount.objects.all().delete()
    ListHolder.objects.all().delete()
    PatientList.objects.all().delete()
    generate_command(*ARGS, "--start", "2023-04")  # the database writer gives what the import gave
    assert snapshot() == imported


def test_national_shape():
    municipalities = [(f"{i:04d}", f"Kommune {i}") for i in range(1, 358)]
    data = generate(municipalities, lists=2000, months=2, seed=3)
    assert data.municipalities == 357  # every municipality gets a list when there are enough
    first = [row for row in data.rows if row.maaned.month == 1]
    sizes = [row.antall_pasienter for row in first]
    assert 950 < sum(sizes) / len(sizes) < 1150
    assert 0.02 < sum(size < 500 for size in sizes) / len(sizes) < 0.09
    assert any(row.antall_pasienter > row.listetak for row in first)
    forms = Counter(row.driftsform for row in first)
    assert 0.06 < forms["fastlonnet"] / len(first) < 0.14
    assert all(orgnr.is_valid(number) for number in data.practices)


def test_helpers():
    assert orgnr_check_digit("98807791") == "7"  # 988 077 917
    assert orgnr_check_digit("00000000") == "0"  # remainder 0: check digit 0
    bodies = [f"{n:08d}" for n in range(100)]
    assert any(orgnr_check_digit(body) is None for body in bodies)  # remainder 1: no valid number
    assert allocate([5, 3, 1, 1], 20) == [9, 6, 3, 2]  # one each, then 16 by largest remainder
    assert allocate([1000, 1, 1], 3) == [1, 1, 1]
    assert allocate([7, 2, 1], 2) == [2, 0, 0]  # fewer than the weights: no minimum


@pytest.mark.parametrize(
    "args", [("--lists", "0", "--months", "3"), ("--lists", "5", "--months", "3", "--start", "2022-13")]
)
def test_bad_arguments_are_refused(args):
    with pytest.raises(CommandError):
        generate_command(*args)


def test_generated_counts_round_trip_through_the_import_export_resource():
    """The naive peer of the benchmark: ListCountResource exports §9 rows and imports counts row by row."""
    import tablib

    from practices.resources import ListCountResource

    generate_command("--lists", "5", "--months", "2", "--start", "2023-05", "--seed", "4")
    before = snapshot()
    text = ListCountResource().export(ListCount.objects.all()).export("csv", delimiter=";")
    assert text.splitlines()[0] == (
        "kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;listenummer;"
        "listetak;antall_pasienter;maaned;behovsindeks;driftsform"
    )
    rows = len(text.splitlines()) - 1
    job = import_file(user=None, data=text.encode(), filename="eksport.csv", dry_run=True)
    assert (job.status, job.created, job.changed, job.unchanged) == ("preview", 0, 0, rows)  # a valid §9 file
    ListCount.objects.all().delete()
    result = ListCountResource().import_data(tablib.Dataset().load(text, format="csv", delimiter=";"))
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == rows
    assert snapshot() == before
