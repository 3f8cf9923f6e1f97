"""The staged import (PostgreSQL: COPY into a temporary table, diff and merge in SQL) leaves exactly what the
row-by-row plan (`plan_import` + `_apply`, the SQLite path) leaves, on the same database (docs/import.md)."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from grants.models import PaymentMonth
from practices.generate import generate
from practices.importing import ALL_COLUMNS
from practices.models import Doctor, ImportJob, ListCount, ListHolder, Municipality, PatientList, Practice
from practices.services.list_import import import_file, staged_import_enabled
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the staged import runs on PostgreSQL"),
]
START = date(2023, 3, 1)


def file_of(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(ALL_COLUMNS)
    for row in rows:
        writer.writerow([
            row.kommunenummer, row.organisasjonsnummer, row.legekontor, row.hpr_nummer, row.lege_navn,
            row.listenummer, row.listetak, row.antall_pasienter, f"{row.maaned:%Y-%m}",
            "" if row.behovsindeks is None else str(row.behovsindeks), row.driftsform or "",
            "" if row.avtale_fra is None else row.avtale_fra.isoformat()])
    return out.getvalue().encode()


def files():
    """A first file, then one that changes a bit of everything the import diffs, then older months."""
    municipalities = list(Municipality.objects.filter(kommunenummer__in=["0301", "4601", "5001"]).values_list(
        "kommunenummer", "name"))
    first = generate(municipalities, lists=40, months=6, start=START, seed=7).rows
    by_list = {}
    for row in first:
        by_list.setdefault((row.kommunenummer, row.listenummer), []).append(row)
    keys = sorted(by_list)
    renamed_practice = first[0].organisasjonsnummer
    renamed_doctor = next(r.hpr_nummer for r in first if r.hpr_nummer and r.organisasjonsnummer != renamed_practice)
    new_holder, vacant, avtale, listetak = keys[5], keys[6], keys[7], keys[8]
    second = []
    for row in first:
        key = (row.kommunenummer, row.listenummer)
        if row.organisasjonsnummer == renamed_practice:
            row = row._replace(legekontor=row.legekontor + " nytt navn")
        if row.hpr_nummer == renamed_doctor:
            row = row._replace(lege_navn=row.lege_navn + "-Berg")
        if key == new_holder and row.maaned >= date(2023, 6, 1):
            row = row._replace(hpr_nummer="9000001", lege_navn="Ny Lege", driftsform="fastlonnet")
        if key == vacant and row.maaned == date(2023, 7, 1):
            row = row._replace(hpr_nummer="", lege_navn="", driftsform="ubesatt")
        if key == avtale:
            row = row._replace(avtale_fra=date(2019, 3, 1))
        if key == listetak and row.maaned == date(2023, 8, 1):
            row = row._replace(listetak=min(2500, row.listetak + 100))
        if row.row % 7 == 0:
            row = row._replace(antall_pasienter=row.antall_pasienter + 1)
        if row.row % 5 == 0:
            row = row._replace(behovsindeks=None)  # an empty behovsindeks keeps the stored one
        if row.row % 11 == 0:
            row = row._replace(driftsform=None)  # an empty driftsform keeps the holder's
        second.append(row)
    # a new list, and older months: the same holder starts earlier, another listetak does not change the list's
    extra = first[0]._replace(listenummer="999", row=0)
    older = [row._replace(maaned=date(2023, 1, 1), listetak=1234 if i % 2 else row.listetak)
             for i, row in enumerate(r for r in first if r.maaned == START)]
    return [file_of(first), file_of([*second, extra]), file_of(older)]


def snapshot() -> dict:
    """Every row the import writes, by natural keys (ids and dates differ between the two runs)."""
    keys = {
        Practice: dict(Practice.objects.values_list("id", "organisasjonsnummer")),
        Doctor: dict(Doctor.objects.values_list("id", "hpr_nummer")),
        PatientList: {pk: (knr, nr) for pk, knr, nr in PatientList.objects.values_list(
            "id", "municipality__kommunenummer", "listenummer")},
        ListHolder: {pk: (knr, nr, month) for pk, knr, nr, month in ListHolder.objects.values_list(
            "id", "patient_list__municipality__kommunenummer", "patient_list__listenummer", "from_month")},
    }

    def natural(field, value):
        """Row ids differ between the two runs (a rolled-back sequence does not go back): compare natural keys."""
        model = field.model if field.primary_key else field.related_model
        return keys[model].get(value, value) if model in keys else value

    jobs = {pk: index for index, pk in enumerate(ImportJob.objects.order_by("pk").values_list("pk", flat=True))}

    def reason(text):
        return re.sub(r"Import (\d+)", lambda m: f"Import #{jobs[int(m.group(1))]}", text or "")

    return {
        "practices": sorted(Practice.objects.values_list("organisasjonsnummer", "name", "municipality__kommunenummer",
                                                         "address")),
        "doctors": sorted(Doctor.objects.values_list("hpr_nummer", "name", "specialist_general_practice")),
        "lists": sorted(PatientList.objects.values_list("municipality__kommunenummer", "listenummer",
                                                        "practice__organisasjonsnummer", "listetak", "active_from")),
        "holders": sorted(ListHolder.objects.values_list(
            "patient_list__municipality__kommunenummer", "patient_list__listenummer", "from_month",
            "doctor__hpr_nummer", "driftsform", "avtale_fra"), key=repr),
        "counts": sorted((knr, nr, month, n, tak, tak_index, jobs.get(job)) for knr, nr, month, n, tak, tak_index, job
                         in ListCount.objects.values_list(
                             "patient_list__municipality__kommunenummer", "patient_list__listenummer", "month",
                             "antall_pasienter", "listetak", "behovsindeks", "import_job")),
        "history": {model.__name__: sorted(
            ((*[natural(f, getattr(h, f.attname)) for f in model._meta.concrete_fields],
              h.history_type, reason(h.history_change_reason), h.history_user_id)
             for h in model.history.all()), key=repr)
            for model in (Practice, Doctor, PatientList, ListHolder)},
        "jobs": [(job.status, job.created, job.changed, job.unchanged, job.data_rows, job.warnings, job.errors,
                  job.months, job.changed_sample, job.dry_run)
                 for job in ImportJob.objects.order_by("pk")],
    }


def both_ways(settings, steps) -> tuple[dict, dict]:
    results = []
    for staged in (False, True):
        settings.LIST_IMPORT_STAGED = staged
        assert staged_import_enabled() is staged
        sid = transaction.savepoint()
        steps()
        results.append(snapshot())
        transaction.savepoint_rollback(sid)
    return results[0], results[1]


def test_the_staged_import_leaves_exactly_what_the_plain_path_leaves(settings):
    factories.member(Municipality.objects.get(kommunenummer="0301"), "administrator", username="admin.oslo")
    data = files()

    def steps():
        for number, file in enumerate(data):
            job = import_file(user=None, data=file, filename=f"{number}.csv", dry_run=False, source="cli")
            assert job.status == "done", (job.errors, job.message)
        # a re-import of the last file changes nothing
        job = import_file(user=None, data=data[-1], filename="again.csv", dry_run=False, source="cli")
        assert (job.created, job.changed) == (0, 0)

    plain, staged = both_ways(settings, steps)
    assert plain["jobs"][1][1:4] != (0, 0, 0) and plain["jobs"][1][2] > 0  # the second file does change things
    for key in ("practices", "doctors", "lists", "holders", "counts", "jobs"):
        assert staged[key] == plain[key], key
    assert staged["history"] == plain["history"]


def test_scope_warnings_errors_and_closed_months_are_the_same(settings):
    oslo = Municipality.objects.get(kommunenummer="0301")
    administrator = factories.member(oslo, "administrator", username="admin.oslo")
    head = ";".join(ALL_COLUMNS[:9])
    both = "\n".join([head, "0301;961793386;Åsen;1702636;Ragnhild Aasen;100;2000;500;2023-05",
                      "4601;974760673;Bergen lk;1702636;Ragnhild Aasen;7;2000;600;2023-05"]).encode()
    renamed = "\n".join([head, "0301;961793386;Åsen;1702636;Ragnhild Aasen-Berg;100;2000;510;2023-05",
                         "0301;961793386;Åsen;1702637;Per Hansen;101;1500;800;2023-05"]).encode()
    foreign = "\n".join([head, "0301;974760673;Bergen lk;1702638;Kari Dahl;102;2000;500;2023-05"]).encode()

    def steps():
        assert import_file(user=None, data=both, filename="a.csv", dry_run=False, source="cli").status == "done"
        PaymentMonth.objects.create(municipality=oslo, month=date(2023, 5, 1), status=PaymentMonth.Status.CLOSED)
        job = import_file(user=administrator, data=renamed, filename="b.csv", dry_run=False, source="cli")
        assert job.status == "done" and len(job.warnings) == 2  # the name kept; a closed month
        job = import_file(user=administrator, data=foreign, filename="c.csv", dry_run=False, source="cli")
        assert job.status == "failed" and job.errors[0]["kolonne"] == "organisasjonsnummer"

    plain, staged = both_ways(settings, steps)
    assert staged == plain
    assert ListCount.objects.count() == 0  # both runs were rolled back


def _latest(rows, key):
    return max((row for row in rows if (row.kommunenummer, row.listenummer) == key), key=lambda row: row.maaned)


ONE_CHANGE = {  # a change to one row of a file imported before; each must be seen (docs/import.md, «Trinnvis import»)
    "antall": lambda row: row._replace(antall_pasienter=row.antall_pasienter + 1),
    "count listetak": lambda row: row._replace(listetak=row.listetak + 50),
    "behovsindeks": lambda row: row._replace(behovsindeks=Decimal("1.2345")),
    "practice name": lambda row: row._replace(legekontor="Nytt navn legesenter"),
    "doctor name": lambda row: row._replace(lege_navn="Nytt Navn"),
    "another doctor": lambda row: row._replace(hpr_nummer="9000002", lege_navn="Ny Lege"),
    "ubesatt": lambda row: row._replace(hpr_nummer="", lege_navn="", driftsform="ubesatt"),
    "driftsform": lambda row: row._replace(driftsform="fastlonnet" if row.driftsform != "fastlonnet"
                                           else "naeringsdrivende"),
    "avtale_fra": lambda row: row._replace(avtale_fra=date(2018, 1, 1)),
    "another practice": None,  # the list moves to another practice of the file
    "a new month": None,
}


@pytest.mark.parametrize("change", ONE_CHANGE)
def test_a_re_import_with_one_change_is_not_taken_as_unchanged(settings, change):
    """The staged import's shortcut for an unchanged file (_UNCHANGED_ROWS) must not hide any single change."""
    municipalities = list(Municipality.objects.filter(kommunenummer__in=["0301", "4601"]).values_list(
        "kommunenummer", "name"))
    first = generate(municipalities, lists=12, months=3, start=START, seed=11).rows
    key = (first[0].kommunenummer, first[0].listenummer)
    target = _latest(first, key)
    if change == "another practice":
        other = next(row.organisasjonsnummer for row in first if row.organisasjonsnummer != target.organisasjonsnummer)
        edited = target._replace(organisasjonsnummer=other, legekontor=next(
            row.legekontor for row in first if row.organisasjonsnummer == other))
    elif change == "a new month":
        edited = target._replace(maaned=date(2023, 6, 1), row=len(first) + 2)
    else:
        edited = ONE_CHANGE[change](target)
    second = [edited if row is target else row for row in first]
    if change == "practice name":  # the name is the practice's latest row's: rename it on all of its rows
        second = [ONE_CHANGE[change](row) if row.organisasjonsnummer == target.organisasjonsnummer else row
                  for row in first]
    if change == "a new month":
        second = [*first, edited]
    jobs = []

    def steps():
        assert import_file(user=None, data=file_of(first), filename="1.csv", dry_run=False, source="cli").created
        again = import_file(user=None, data=file_of(first), filename="2.csv", dry_run=False, source="cli")
        assert (again.created, again.changed, again.unchanged) == (0, 0, len(first))
        jobs.append(import_file(user=None, data=file_of(second), filename="3.csv", dry_run=False, source="cli"))

    plain, staged = both_ways(settings, steps)
    assert staged == plain
    assert jobs[0].status == jobs[1].status == "done"
    assert jobs[1].created + jobs[1].changed >= 1


def test_a_re_import_repairs_a_listetak_changed_since(settings):
    """The list's listetak follows the latest month's row: a file with that month sets it back (not unchanged)."""
    municipalities = list(Municipality.objects.filter(kommunenummer="0301").values_list("kommunenummer", "name"))
    rows = generate(municipalities, lists=3, months=2, start=START, seed=5).rows
    jobs = []

    def steps():
        import_file(user=None, data=file_of(rows), filename="1.csv", dry_run=False, source="cli")
        PatientList.objects.filter(listenummer=rows[0].listenummer).update(listetak=rows[0].listetak + 7)
        jobs.append(import_file(user=None, data=file_of(rows), filename="2.csv", dry_run=False, source="cli"))

    plain, staged = both_ways(settings, steps)
    assert staged == plain
    assert jobs[1].changed >= 1 and PatientList.objects.count() == 0  # rolled back


def test_an_unchanged_re_import_of_another_municipalitys_practice_is_still_refused(settings):
    """The shortcut checks scope as the full path does: a practice of a municipality where the user is not
    administrator is an error even when nothing would change."""
    oslo = Municipality.objects.get(kommunenummer="0301")
    administrator = factories.member(oslo, "administrator", username="admin.oslo")
    head = ";".join(ALL_COLUMNS[:9])
    data = "\n".join([head, "0301;974760673;Bergen lk;1702638;Kari Dahl;102;2000;500;2023-05"]).encode()
    bergen = Municipality.objects.get(kommunenummer="4601")
    factories.PracticeFactory(organisasjonsnummer="974760673", name="Bergen lk", municipality=bergen)

    def steps():
        job = import_file(user=None, data=data, filename="a.csv", dry_run=False, source="cli")
        assert job.status == "done", job.errors
        job = import_file(user=administrator, data=data, filename="b.csv", dry_run=False, source="cli")
        assert job.status == "failed" and job.errors[0]["kolonne"] == "organisasjonsnummer"

    plain, staged = both_ways(settings, steps)
    assert staged == plain


def test_the_staging_tables_never_touch_a_permanent_table_of_the_same_name():
    """The staged import drops and creates only temporary tables (pg_temp), whatever else the schema holds."""
    municipalities = list(Municipality.objects.filter(kommunenummer="0301").values_list("kommunenummer", "name"))
    rows = generate(municipalities, lists=2, months=2, start=START, seed=3).rows
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE import_rows (kept int)")
        cursor.execute("INSERT INTO import_rows VALUES (1)")
    job = import_file(user=None, data=file_of(rows), filename="a.csv", dry_run=False, source="cli")
    assert (job.status, job.created) == ("done", len(rows))
    with connection.cursor() as cursor:
        cursor.execute("SELECT kept FROM public.import_rows")
        assert cursor.fetchall() == [(1,)]
