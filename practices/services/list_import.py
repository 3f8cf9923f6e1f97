"""The one write path for list data: browser, CLI and API all come here (docs/import.md).

parse (practices.importing, pure) → plan (set-based diff against the database, a constant number of
queries) → apply (bulk writes in one transaction); on PostgreSQL the run is the staged import instead (COPY into
a temporary table, diff and merge in SQL, docs/import.md). One invalid row means nothing is written; every upload
is kept as an ImportJob with its report, which is also the audit record of the counts.
"""

import bisect
import logging
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.months import format_month
from core.progress import set_progress
from core.tasks import send, tasks_run_eagerly
from practices import importing
from practices.importing import Context, FileRejected, ListRow, ParseResult, RowError
from practices.models import (
    Doctor,
    Driftsform,
    ImportJob,
    ListCount,
    ListHolder,
    Municipality,
    PatientList,
    Practice,
    Role,
)
from practices.selectors import doctor_municipalities, municipalities_for
from practices.signals import list_counts_changed
from practices.tasks import run_import

logger = logging.getLogger(__name__)
BATCH = 5000
SAMPLE_SIZE = 20
ASYNC_THRESHOLD = 1000  # docs/import.md: files over 1,000 rows run in a Celery task

# Functions {(kommunenummer, month)} → the closed payment months among them. The payments app registers one
# (practices must not import grants, docs/architecture.md); counts of a closed month are accepted with a warning.
CLOSED_MONTH_CHECKS: list = []


# --- context ----------------------------------------------------------------------------------------------


def import_context(user=None) -> Context:
    """Valid municipalities, the renumbering table and (for a user) where they may import."""
    names = dict(Municipality.objects.values_list("kommunenummer", "name"))
    return Context(municipalities=frozenset(names), renumbering=_renumbering(), allowed=_allowed(user),
                   names=names)


def _allowed(user) -> frozenset[str] | None:
    """The kommunenummer where `user` is administrator; None (everywhere) for the system and superusers."""
    if user is None or user.is_superuser:
        return None
    return frozenset(municipalities_for(user, roles=[Role.ADMINISTRATOR]).values_list("kommunenummer", flat=True))


_RENUMBERING = None


def _renumbering():
    global _RENUMBERING
    if _RENUMBERING is None:
        _RENUMBERING = importing.load_renumbering()
    return _RENUMBERING


# --- plan -------------------------------------------------------------------------------------------------


@dataclass
class _Holder:
    from_month: date
    hpr: str | None
    driftsform: str
    avtale_fra: date | None
    pk: int | None = None
    dirty: bool = False


@dataclass
class Plan:
    """What an import would write. Counts are per data row: opprettet + endret + uendret = rows."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    sample: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # what the rows refer to is not the user's to change
    months: set = field(default_factory=set)  # (kommunenummer, month) whose counts change
    practices_new: list = field(default_factory=list)
    practices_changed: list = field(default_factory=list)
    doctors_new: list = field(default_factory=list)
    doctors_changed: list = field(default_factory=list)
    lists_new: list = field(default_factory=list)  # (kommunenummer, listenummer, orgnr, listetak)
    lists_changed: list = field(default_factory=list)  # (PatientList, orgnr, listetak)
    holders: dict = field(default_factory=dict)  # (knr, listenummer) -> [_Holder]
    counts: list = field(default_factory=list)  # ListRow to upsert


def _latest_rows(rows, key):
    """The row with the latest month per key (ties: the later row in the file) — it carries current values."""
    latest = {}
    for row in rows:
        k = key(row)
        if k not in latest or row.maaned >= latest[k].maaned:
            latest[k] = row
    return latest


def foreign_practice_error(row: ListRow) -> RowError:
    return RowError(row.row, "organisasjonsnummer", (
        f"Legekontoret {row.organisasjonsnummer} hører til en annen kommune, der du ikke er administrator. "
        "Kontroller organisasjonsnummeret, eller be en administrator i den kommunen om å gjøre endringen."))


def plan_import(rows: list[ListRow], *, allowed: frozenset[str] | None = None) -> Plan:
    """Diff valid rows against the database in a constant number of queries.

    `allowed` (the kommunenummer where the user is administrator; None for the system) scopes what the rows
    refer to (docs/import.md, «Hvem kan endre hva»): a practice of another municipality is a row error, a
    practice is never moved, and a doctor who also appears elsewhere keeps the name (a warning)."""
    plan = Plan()
    if not rows:
        return plan
    municipality_ids = dict(Municipality.objects.values_list("kommunenummer", "id"))
    allowed_ids = None if allowed is None else {municipality_ids[knr] for knr in allowed}

    practice_rows = _latest_rows(rows, lambda r: r.organisasjonsnummer)
    stored_practices = {p.organisasjonsnummer: p for p in Practice.objects.filter(
        organisasjonsnummer__in=practice_rows)}
    foreign = {orgnr for orgnr, p in stored_practices.items()
               if allowed_ids is not None and p.municipality_id not in allowed_ids}
    if foreign:
        plan.errors = [foreign_practice_error(r) for r in rows if r.organisasjonsnummer in foreign]
        return plan
    changed_practices = set()
    for orgnr, row in practice_rows.items():
        practice = stored_practices.get(orgnr)
        if practice is None:
            plan.practices_new.append(Practice(organisasjonsnummer=orgnr, name=row.legekontor,
                                               municipality_id=municipality_ids[row.kommunenummer]))
        elif practice.name != row.legekontor:
            practice.name = row.legekontor
            plan.practices_changed.append(practice)
            changed_practices.add(orgnr)

    doctor_rows = _latest_rows([r for r in rows if r.hpr_nummer], lambda r: r.hpr_nummer)
    stored_doctors = {d.hpr_nummer: d for d in Doctor.objects.filter(hpr_nummer__in=doctor_rows)}
    renamed = [d for hpr, d in stored_doctors.items() if d.name != doctor_rows[hpr].lege_navn]
    places = doctor_municipalities(d.pk for d in renamed) if allowed_ids is not None and renamed else {}
    changed_doctors = set()
    for hpr, row in doctor_rows.items():
        if hpr not in stored_doctors:
            plan.doctors_new.append(Doctor(hpr_nummer=hpr, name=row.lege_navn))
    for doctor in renamed:
        new_name = doctor_rows[doctor.hpr_nummer].lege_navn
        if places.get(doctor.pk, set()) - (allowed_ids or set()):
            plan.warnings.append(_name_kept(doctor.hpr_nummer, doctor.name, new_name))
            continue
        doctor.name = new_name
        plan.doctors_changed.append(doctor)
        changed_doctors.add(doctor.hpr_nummer)

    list_rows = _latest_rows(rows, lambda r: (r.kommunenummer, r.listenummer))
    stored_lists = {
        (pl.municipality.kommunenummer, pl.listenummer): pl
        for pl in PatientList.objects.select_related("municipality", "practice").filter(
            municipality__kommunenummer__in={k for k, _ in list_rows}, listenummer__in={n for _, n in list_rows})
    }
    stored_lists = {key: pl for key, pl in stored_lists.items() if key in list_rows}
    list_ids = [pl.pk for pl in stored_lists.values()]
    latest_count_month = dict(
        ListCount.objects.filter(patient_list_id__in=list_ids).order_by().values("patient_list_id")
        .annotate(latest=Max("month"))
        .values_list("patient_list_id", "latest")
    )
    changed_lists = set()
    for key, row in list_rows.items():
        patient_list = stored_lists.get(key)
        if patient_list is None:
            plan.lists_new.append((key[0], key[1], row.organisasjonsnummer, row.listetak))
            continue
        latest = latest_count_month.get(patient_list.pk)
        listetak = row.listetak if latest is None or row.maaned >= latest else patient_list.listetak
        if (patient_list.practice.organisasjonsnummer, patient_list.listetak) != (row.organisasjonsnummer, listetak):
            plan.lists_changed.append((patient_list, row.organisasjonsnummer, listetak))
            changed_lists.add(key)

    # Holder timelines: existing rows, then the file's months in order; a new row only on a change.
    timelines: dict = {key: [] for key in list_rows}
    by_id = {pl.pk: key for key, pl in stored_lists.items()}
    for holder in ListHolder.objects.filter(patient_list_id__in=list_ids).select_related("doctor").order_by(
            "from_month"):
        timelines[by_id[holder.patient_list_id]].append(_Holder(
            holder.from_month, holder.doctor.hpr_nummer if holder.doctor else None, holder.driftsform,
            holder.avtale_fra, pk=holder.pk))
    holder_changed_rows = set()
    for row in sorted(rows, key=lambda r: r.maaned):
        if _apply_holder(timelines[(row.kommunenummer, row.listenummer)], row):
            holder_changed_rows.add(row.row)
    plan.holders = timelines

    stored_counts = {  # plain tuples: a national file compares 60,000 of them
        (list_id, month): (antall, listetak, behovsindeks)
        for list_id, month, antall, listetak, behovsindeks in ListCount.objects.filter(
            patient_list_id__in=list_ids, month__in={r.maaned for r in rows}).values_list(
            "patient_list_id", "month", "antall_pasienter", "listetak", "behovsindeks").iterator(chunk_size=20000)
    }
    for row in rows:
        key = (row.kommunenummer, row.listenummer)
        patient_list = stored_lists.get(key)
        count = stored_counts.get((patient_list.pk, row.maaned)) if patient_list else None
        behovsindeks = row.behovsindeks if row.behovsindeks is not None else (count[2] if count else None)
        if count is None:
            plan.created += 1
            plan.counts.append(row)
            plan.months.add((row.kommunenummer, row.maaned))
            continue
        count_changed = count != (row.antall_pasienter, row.listetak, behovsindeks)
        if count_changed:
            plan.counts.append(row)
            plan.months.add((row.kommunenummer, row.maaned))
        if (count_changed or row.row in holder_changed_rows or row.organisasjonsnummer in changed_practices
                or row.hpr_nummer in changed_doctors or key in changed_lists):
            plan.changed += 1
            if len(plan.sample) < SAMPLE_SIZE:
                plan.sample.append(_sample(row, count))
        else:
            plan.unchanged += 1
    plan.warnings += _closed_month_warnings(plan.months)
    return plan


def _name_kept(hpr: str, stored: str, new: str) -> str:
    return (f"Legen med HPR-nummer {hpr} har liste, sak eller avtale også i en annen kommune. "
            f"Navnet «{stored}» er beholdt; filen har «{new}».")


def _closed_month_warnings(months: set) -> list[str]:
    """Counts of a closed payment month are accepted; the next recompute books the difference (docs/import.md)."""
    closed = set().union(*(check(months) for check in CLOSED_MONTH_CHECKS)) if months else set()
    return [f"Listetallene for {knr} {format_month(month)} endres, men utbetalingsmåneden er lukket. Differansen "
            "bokføres som korreksjon i neste åpne måned ved neste beregning." for knr, month in sorted(closed)]


def _apply_holder(timeline: list[_Holder], row: ListRow) -> bool:
    """Make the timeline say who holds the list in row.maaned; True if that changes a stored value."""
    hpr = row.hpr_nummer or None
    index = bisect.bisect_right([h.from_month for h in timeline], row.maaned) - 1
    current = timeline[index] if index >= 0 else None
    driftsform = row.driftsform
    if driftsform is None:  # unchanged for the same holder, næringsdrivende for a new one (docs/import.md)
        driftsform = current.driftsform if current and current.hpr == hpr else Driftsform.NAERINGSDRIVENDE
    if current and (current.hpr, current.driftsform) == (hpr, driftsform):
        if not row.avtale_fra or current.avtale_fra == row.avtale_fra:
            return False
        if current.avtale_fra is None:  # the date of the agreement in force, learnt now
            current.avtale_fra, current.dirty = row.avtale_fra, True
            return True
        # another date is another fastlegeavtale: a new holder row from this month (docs/import.md; a grunntilskudd
        # granted for the old agreement stops paying here, docs/grants.md)
    following = timeline[index + 1] if index + 1 < len(timeline) else None
    if current and current.from_month == row.maaned:
        current.hpr, current.driftsform, current.dirty = hpr, driftsform, True
        current.avtale_fra = row.avtale_fra
    elif following and (following.hpr, following.driftsform) == (hpr, driftsform) and (
            row.avtale_fra is None or following.avtale_fra in (None, row.avtale_fra)):
        # An older month of the same holder: start that holder earlier instead of adding a twin row.
        following.from_month, following.dirty = row.maaned, True
        following.avtale_fra = following.avtale_fra or row.avtale_fra
    else:
        timeline.insert(index + 1, _Holder(row.maaned, hpr, driftsform, row.avtale_fra, dirty=True))
    return True


def _sample(row: ListRow, count) -> dict:
    return {
        "rad": row.row, "kommunenummer": row.kommunenummer, "listenummer": row.listenummer,
        "maaned": format_month(row.maaned), "lege": row.lege_navn or "ubesatt",
        "antall_pasienter": row.antall_pasienter, "for": count[0] if count else None,
        "listetak": row.listetak,
    }


# --- apply ------------------------------------------------------------------------------------------------


def _apply(plan: Plan, job: ImportJob, user) -> None:
    """Write the plan with bulk operations; caller holds the transaction."""
    history_user = user if user and user.is_authenticated else None
    reason = f"Import {job.pk}"
    bulk_create_with_history(plan.practices_new, Practice, batch_size=BATCH, default_user=history_user,
                             default_change_reason=reason)
    bulk_update_with_history(plan.practices_changed, Practice, ["name", "municipality"], batch_size=BATCH,
                             default_user=history_user, default_change_reason=reason)
    bulk_create_with_history(plan.doctors_new, Doctor, batch_size=BATCH, default_user=history_user,
                             default_change_reason=reason)
    bulk_update_with_history(plan.doctors_changed, Doctor, ["name"], batch_size=BATCH,
                             default_user=history_user, default_change_reason=reason)
    set_progress("import", job.pk, 30)

    keys_needed = set(plan.holders)
    orgnrs = {o for *_, o, _ in plan.lists_new} | {o for _, o, _ in plan.lists_changed}
    practice_ids = dict(Practice.objects.filter(organisasjonsnummer__in=orgnrs).values_list(
        "organisasjonsnummer", "id"))
    municipality_ids = dict(Municipality.objects.values_list("kommunenummer", "id"))
    new_lists = [PatientList(municipality_id=municipality_ids[knr], listenummer=nr, practice_id=practice_ids[o],
                             listetak=tak) for knr, nr, o, tak in plan.lists_new]
    bulk_create_with_history(new_lists, PatientList, batch_size=BATCH, default_user=history_user,
                             default_change_reason=reason)
    for patient_list, orgnr, listetak in plan.lists_changed:
        patient_list.practice_id, patient_list.listetak = practice_ids[orgnr], listetak
    bulk_update_with_history([pl for pl, *_ in plan.lists_changed], PatientList, ["practice", "listetak"],
                             batch_size=BATCH, default_user=history_user, default_change_reason=reason)
    list_ids = {
        (knr, nr): pk for knr, nr, pk in PatientList.objects.filter(
            municipality__kommunenummer__in={k for k, _ in keys_needed},
            listenummer__in={n for _, n in keys_needed}).values_list("municipality__kommunenummer",
                                                                      "listenummer", "id")
    }
    set_progress("import", job.pk, 45)

    doctor_ids = dict(Doctor.objects.filter(
        hpr_nummer__in={h.hpr for t in plan.holders.values() for h in t if h.hpr and h.dirty}
    ).values_list("hpr_nummer", "id"))
    new_holders, changed_holders = [], []
    for key, timeline in plan.holders.items():
        for h in timeline:
            if not h.dirty:
                continue
            holder = ListHolder(pk=h.pk, patient_list_id=list_ids[key], from_month=h.from_month,
                                doctor_id=doctor_ids.get(h.hpr) if h.hpr else None, driftsform=h.driftsform,
                                avtale_fra=h.avtale_fra)
            (changed_holders if h.pk else new_holders).append(holder)
    bulk_create_with_history(new_holders, ListHolder, batch_size=BATCH, default_user=history_user,
                             default_change_reason=reason)
    bulk_update_with_history(changed_holders, ListHolder, ["from_month", "doctor", "driftsform", "avtale_fra"],
                             batch_size=BATCH, default_user=history_user, default_change_reason=reason)
    set_progress("import", job.pk, 55)

    counts = [
        ListCount(patient_list_id=list_ids[(r.kommunenummer, r.listenummer)], month=r.maaned,
                  antall_pasienter=r.antall_pasienter, listetak=r.listetak, behovsindeks=r.behovsindeks,
                  import_job=job)
        for r in plan.counts
    ]
    with_index = [c for c in counts if c.behovsindeks is not None]
    without_index = [c for c in counts if c.behovsindeks is None]  # an empty behovsindeks keeps the stored one
    done = 0
    for batch_rows, fields in ((with_index, ["antall_pasienter", "listetak", "behovsindeks", "import_job"]),
                               (without_index, ["antall_pasienter", "listetak", "import_job"])):
        for start in range(0, len(batch_rows), BATCH):
            ListCount.objects.bulk_create(batch_rows[start:start + BATCH], update_conflicts=True,
                                          unique_fields=["patient_list", "month"], update_fields=fields)
            done += len(batch_rows[start:start + BATCH])
            set_progress("import", job.pk, 55 + 40 * done // max(1, len(counts)))


# --- the staged import (PostgreSQL) -----------------------------------------------------------------------
# The same plan as plan_import + _apply, but the valid rows are COPYed into a temporary table and the diff and the
# merge are set-based SQL (docs/import.md, «Trinnvis import»): no model instance per row, history rows only for
# the practices, doctors, lists and holders that changed. SQLite (make run) keeps plan_import + _apply; a test
# runs both paths on the same files and compares every row they leave.

_STAGED_COLUMNS = ("rad",) + ListRow._fields[1:]  # a ListRow is COPYed as it is; `row` is a keyword in SQL
_STAGED_TYPES = ("int4", "text", "text", "text", "text", "text", "text", "int4", "int4", "date", "numeric", "text",
                 "date")


def staged_import_enabled() -> bool:
    """The staged path runs on PostgreSQL unless settings.LIST_IMPORT_STAGED is False (tests compare the paths)."""
    return connection.vendor == "postgresql" and getattr(settings, "LIST_IMPORT_STAGED", True)


def _history(cursor, model, ids: list[int], kind: str, user_id, reason: str, now) -> None:
    """Historical rows ('+' created, '~' changed) of `ids` as they are now, in one INSERT … SELECT — what
    simple_history's bulk_*_with_history write, without a model instance per row."""
    if not ids:
        return
    columns = [f.column for f in model._meta.concrete_fields]
    names = ", ".join(columns)
    cursor.execute(
        f"INSERT INTO {model.history.model._meta.db_table} ({names}, history_date, history_type, history_user_id, "
        f"history_change_reason) SELECT {names}, %s, %s, %s, %s FROM {model._meta.db_table} WHERE id = ANY(%s) "
        "ORDER BY id", [now, kind, user_id, reason, ids])


def _copy_rows(cursor, table: str, columns: tuple, types: tuple, rows) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")  # pg_temp: never a permanent table of that name
    definition = ", ".join(f"{column} {kind}" for column, kind in zip(columns, types, strict=True))
    cursor.execute(f"CREATE TEMPORARY TABLE {table} ({definition}) ON COMMIT DROP")
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        for values in rows:
            copy.write_row(values)


def staged_import(rows: list[ListRow], *, job: ImportJob, user, allowed: frozenset[str] | None) -> Plan:
    """Plan and write `rows` in set-based SQL inside the caller's transaction (PostgreSQL). Returns the Plan's
    counts, sample, warnings and months (its object lists stay empty); with `errors` nothing was written."""
    plan = Plan()
    if not rows:
        return plan
    user_id = user.pk if user and user.is_authenticated else None
    reason, now = f"Import {job.pk}", timezone.now()
    municipality_ids = dict(Municipality.objects.values_list("kommunenummer", "id"))
    allowed_ids = None if allowed is None else sorted(municipality_ids[knr] for knr in allowed)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor: COPY
        # the sorts over the file's rows fit in memory (the default 4 MB spills a national file to disk)
        cursor.execute("SET LOCAL work_mem = '64MB'")
        _copy_rows(cursor, "import_rows", _STAGED_COLUMNS, _STAGED_TYPES, rows)  # a ListRow is a tuple in this order
        if _all_unchanged(cursor, rows, allowed_ids):
            plan.unchanged = len(rows)
            _drop_staging(cursor)
            return plan
        # the latest row per practice, doctor and list carries the current values (ties: the later row); new ones
        # are inserted in the order of their first row, as _apply does
        _copy_rows(cursor, "import_practices", ("organisasjonsnummer", "legekontor", "kommunenummer", "first_row"),
                   ("text", "text", "text", "int4"),
                   ((key, row.legekontor, row.kommunenummer, first) for key, row, first in _latest_and_first(
                       rows, attrgetter("organisasjonsnummer"))))
        if allowed_ids is not None:
            cursor.execute(
                "SELECT p.organisasjonsnummer FROM practices_practice p JOIN import_practices i ON "
                "i.organisasjonsnummer = p.organisasjonsnummer WHERE NOT p.municipality_id = ANY(%s)", [allowed_ids])
            foreign = {orgnr for (orgnr,) in cursor.fetchall()}
            if foreign:
                plan.errors = [foreign_practice_error(r) for r in rows if r.organisasjonsnummer in foreign]
                _drop_staging(cursor)
                return plan
        cursor.execute(
            "UPDATE practices_practice p SET name = i.legekontor FROM import_practices i WHERE "
            "p.organisasjonsnummer = i.organisasjonsnummer AND p.name <> i.legekontor "
            "RETURNING p.id, p.organisasjonsnummer")
        renamed_practices = cursor.fetchall()
        changed_practices = {orgnr for _, orgnr in renamed_practices}
        cursor.execute(
            "INSERT INTO practices_practice (organisasjonsnummer, name, municipality_id, address) "
            "SELECT i.organisasjonsnummer, i.legekontor, m.id, '' FROM import_practices i "
            "JOIN practices_municipality m ON m.kommunenummer = i.kommunenummer WHERE NOT EXISTS "
            "(SELECT 1 FROM practices_practice p WHERE p.organisasjonsnummer = i.organisasjonsnummer) "
            "ORDER BY i.first_row RETURNING id")
        _history(cursor, Practice, [pk for (pk,) in cursor.fetchall()], "+", user_id, reason, now)
        _history(cursor, Practice, [pk for pk, _ in renamed_practices], "~", user_id, reason, now)

        _copy_rows(cursor, "import_doctors", ("hpr_nummer", "lege_navn", "first_row"), ("text", "text", "int4"),
                   ((key, row.lege_navn, first) for key, row, first in _latest_and_first(
                       rows, attrgetter("hpr_nummer")) if key))
        cursor.execute(
            "SELECT d.id, d.hpr_nummer, d.name, i.lege_navn FROM practices_doctor d JOIN import_doctors i ON "
            "i.hpr_nummer = d.hpr_nummer WHERE d.name <> i.lege_navn ORDER BY d.name, d.id")
        renamed = cursor.fetchall()
        places = doctor_municipalities(pk for pk, *_ in renamed) if allowed_ids is not None and renamed else {}
        renames = []
        for pk, hpr, stored_name, new_name in renamed:
            if places.get(pk, set()) - set(allowed_ids or ()):
                plan.warnings.append(_name_kept(hpr, stored_name, new_name))
            else:
                renames.append((pk, hpr, new_name))
        changed_doctors = {hpr for _, hpr, _ in renames}
        if renames:
            cursor.execute("UPDATE practices_doctor d SET name = v.name FROM unnest(%s::bigint[], %s::text[]) AS "
                           "v(id, name) WHERE d.id = v.id", [[pk for pk, *_ in renames], [n for *_, n in renames]])
        cursor.execute(
            "INSERT INTO practices_doctor (hpr_nummer, name, specialist_general_practice) SELECT i.hpr_nummer, "
            "i.lege_navn, false FROM import_doctors i WHERE NOT EXISTS (SELECT 1 FROM practices_doctor d WHERE "
            "d.hpr_nummer = i.hpr_nummer) ORDER BY i.first_row RETURNING id")
        _history(cursor, Doctor, [pk for (pk,) in cursor.fetchall()], "+", user_id, reason, now)
        _history(cursor, Doctor, [pk for pk, *_ in renames], "~", user_id, reason, now)
        set_progress("import", job.pk, 35)

        # lists: the current listetak follows the latest month seen (an older month does not change it)
        _copy_rows(cursor, "import_lists", ("kommunenummer", "listenummer", "organisasjonsnummer", "listetak",
                                            "maaned", "municipality_id", "first_row", "list_id"),
                   ("text", "text", "text", "int4", "date", "int8", "int4", "int8"),
                   ((knr, nr, row.organisasjonsnummer, row.listetak, row.maaned, municipality_ids[knr], first, None)
                    for (knr, nr), row, first in _latest_and_first(rows, attrgetter("kommunenummer", "listenummer"))))
        cursor.execute("UPDATE import_lists i SET list_id = pl.id FROM practices_patientlist pl WHERE "
                       "pl.municipality_id = i.municipality_id AND pl.listenummer = i.listenummer")
        cursor.execute(
            "WITH latest AS (SELECT c.patient_list_id, max(c.month) AS month FROM practices_listcount c JOIN "
            "import_lists i ON i.list_id = c.patient_list_id GROUP BY c.patient_list_id), "
            "wanted AS (SELECT pl.id, p.id AS practice_id, CASE WHEN latest.month IS NULL OR i.maaned >= latest.month "
            "THEN i.listetak ELSE pl.listetak END AS listetak FROM import_lists i JOIN practices_patientlist pl ON "
            "pl.id = i.list_id JOIN practices_practice p ON p.organisasjonsnummer = i.organisasjonsnummer "
            "LEFT JOIN latest ON latest.patient_list_id = pl.id) "
            "UPDATE practices_patientlist pl SET practice_id = w.practice_id, listetak = w.listetak FROM wanted w "
            "WHERE pl.id = w.id AND (pl.practice_id, pl.listetak) <> (w.practice_id, w.listetak) RETURNING pl.id")
        changed_list_ids = [pk for (pk,) in cursor.fetchall()]
        cursor.execute(
            "INSERT INTO practices_patientlist (municipality_id, listenummer, practice_id, listetak) SELECT "
            "i.municipality_id, i.listenummer, p.id, i.listetak FROM import_lists i JOIN practices_practice p ON "
            "p.organisasjonsnummer = i.organisasjonsnummer WHERE i.list_id IS NULL ORDER BY i.first_row RETURNING id")
        _history(cursor, PatientList, [pk for (pk,) in cursor.fetchall()], "+", user_id, reason, now)
        _history(cursor, PatientList, changed_list_ids, "~", user_id, reason, now)
        cursor.execute("UPDATE import_lists i SET list_id = pl.id FROM practices_patientlist pl WHERE "
                       "i.list_id IS NULL AND pl.municipality_id = i.municipality_id AND "
                       "pl.listenummer = i.listenummer")
        cursor.execute("SELECT kommunenummer, listenummer, list_id FROM import_lists")
        list_ids = {(knr, nr): pk for knr, nr, pk in cursor.fetchall()}
        changed_ids = set(changed_list_ids)
        changed_lists = {key for key, pk in list_ids.items() if pk in changed_ids}
        set_progress("import", job.pk, 45)

        holder_changed_rows = _staged_holders(cursor, rows, list_ids, user_id, reason, now)
        set_progress("import", job.pk, 60)

        # counts: the rows whose (list, month) is new or whose values change, written in the same statement
        cursor.execute(
            "WITH diff AS (SELECT r.rad, i.list_id, r.maaned, r.antall_pasienter, r.listetak, r.behovsindeks, "
            "c.id IS NULL AS created, c.antall_pasienter AS stored FROM import_rows r JOIN import_lists i ON "
            "i.kommunenummer = r.kommunenummer AND i.listenummer = r.listenummer LEFT JOIN practices_listcount c ON "
            "c.patient_list_id = i.list_id AND c.month = r.maaned WHERE c.id IS NULL OR "
            "c.antall_pasienter <> r.antall_pasienter OR c.listetak <> r.listetak OR "
            "coalesce(r.behovsindeks, c.behovsindeks) IS DISTINCT FROM c.behovsindeks), "
            "written AS (INSERT INTO practices_listcount (patient_list_id, month, antall_pasienter, listetak, "
            "behovsindeks, import_job_id) SELECT list_id, maaned, antall_pasienter, listetak, behovsindeks, %s "
            "FROM diff ORDER BY rad ON CONFLICT (patient_list_id, month) DO UPDATE SET "
            "antall_pasienter = EXCLUDED.antall_pasienter, listetak = EXCLUDED.listetak, "
            "behovsindeks = coalesce(EXCLUDED.behovsindeks, practices_listcount.behovsindeks), "
            "import_job_id = EXCLUDED.import_job_id) SELECT rad, created, stored FROM diff", [job.pk])
        diff = {row: (created, stored) for row, created, stored in cursor.fetchall()}
        _drop_staging(cursor)
    set_progress("import", job.pk, 90)

    for row in rows:
        found = diff.get(row.row)
        if found is not None and found[0]:
            plan.created += 1
            plan.months.add((row.kommunenummer, row.maaned))
            continue
        if found is not None:
            plan.months.add((row.kommunenummer, row.maaned))
        if (found is not None or row.row in holder_changed_rows or row.organisasjonsnummer in changed_practices
                or row.hpr_nummer in changed_doctors or (row.kommunenummer, row.listenummer) in changed_lists):
            plan.changed += 1
            if len(plan.sample) < SAMPLE_SIZE:
                stored = found[1] if found is not None else row.antall_pasienter
                plan.sample.append(_sample(row, (stored,)))
        else:
            plan.unchanged += 1
    plan.warnings += _closed_month_warnings(plan.months)
    return plan


# Every row as the database already has it: its list, practice (name, and in the user's scope), count (behovsindeks
# empty or equal), the holder in force that month (the doctor's HPR and name; driftsform and avtale_fra empty or
# equal) and, for the list's latest stored month, the list's listetak. Then no step of the staged import would
# change anything (each row leaves the holder timeline as it is: _apply_holder), so a re-import of an unchanged
# file stops there (docs/import.md, «Trinnvis import»).
_UNCHANGED_ROWS = """
WITH lists AS (
    SELECT pl.id, pl.listetak, pl.practice_id, m.kommunenummer, pl.listenummer,
        (SELECT max(c.month) FROM practices_listcount c WHERE c.patient_list_id = pl.id) AS latest
    FROM practices_patientlist pl JOIN practices_municipality m ON m.id = pl.municipality_id
    WHERE m.kommunenummer = ANY(%(kommunenumre)s::text[])),
spans AS (
    SELECT h.patient_list_id, h.from_month,
        lead(h.from_month) OVER (PARTITION BY h.patient_list_id ORDER BY h.from_month) AS until,
        h.driftsform, h.avtale_fra, coalesce(d.hpr_nummer, '') AS hpr_nummer, coalesce(d.name, '') AS lege_navn
    FROM practices_listholder h JOIN lists l ON l.id = h.patient_list_id
    LEFT JOIN practices_doctor d ON d.id = h.doctor_id)
SELECT count(*) FROM import_rows r
JOIN lists l ON l.kommunenummer = r.kommunenummer AND l.listenummer = r.listenummer
JOIN practices_practice p ON p.id = l.practice_id
JOIN practices_listcount c ON c.patient_list_id = l.id AND c.month = r.maaned
JOIN spans s ON s.patient_list_id = l.id AND s.from_month <= r.maaned AND (s.until IS NULL OR r.maaned < s.until)
WHERE p.organisasjonsnummer = r.organisasjonsnummer AND p.name = r.legekontor
    AND (%(allowed)s::bigint[] IS NULL OR p.municipality_id = ANY(%(allowed)s::bigint[]))
    AND c.antall_pasienter = r.antall_pasienter AND c.listetak = r.listetak
    AND (r.behovsindeks IS NULL OR c.behovsindeks = r.behovsindeks)
    AND s.hpr_nummer = r.hpr_nummer AND s.lege_navn = r.lege_navn
    AND (r.driftsform IS NULL OR s.driftsform = r.driftsform)
    AND (r.avtale_fra IS NULL OR s.avtale_fra = r.avtale_fra)
    AND (c.month < l.latest OR l.listetak = r.listetak)
"""


def _all_unchanged(cursor, rows: list[ListRow], allowed_ids: list[int] | None) -> bool:
    """True when every staged row is already in the database as it stands (_UNCHANGED_ROWS). First a count of the
    stored counts of the file's municipalities and months (20 ms): fewer than the file's rows means a new list or
    month, the usual monthly file, and the comparison (0.1–0.15 s) is not worth making."""
    kommunenumre = sorted({row.kommunenummer for row in rows})
    cursor.execute(
        "SELECT count(*) FROM practices_listcount c JOIN practices_patientlist pl ON pl.id = c.patient_list_id JOIN "
        "practices_municipality m ON m.id = pl.municipality_id WHERE m.kommunenummer = ANY(%s) AND c.month = ANY(%s)",
        [kommunenumre, sorted({row.maaned for row in rows})])
    if cursor.fetchone()[0] < len(rows):
        return False
    # the temporary table has no statistics, so the planner would expect one row and loop over 60,000 with index
    # lookups (0.2 s); hash joins take half of that
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute(_UNCHANGED_ROWS, {"allowed": allowed_ids, "kommunenumre": kommunenumre})
    (unchanged,) = cursor.fetchone()
    cursor.execute("RESET enable_nestloop")
    cursor.execute("RESET enable_mergejoin")
    return unchanged == len(rows)


def _latest_and_first(rows: list[ListRow], key) -> list[tuple]:
    """(key, the row with the latest month — ties: the later row —, the key's first row number), as _latest_rows."""
    latest, first = {}, {}
    for row in rows:
        k = key(row)
        if k not in latest:
            latest[k], first[k] = row, row.row
        elif row.maaned >= latest[k].maaned:
            latest[k] = row
    return [(k, row, first[k]) for k, row in latest.items()]


def _drop_staging(cursor) -> None:
    cursor.execute("DROP TABLE IF EXISTS pg_temp.import_rows, pg_temp.import_practices, pg_temp.import_doctors, "
                   "pg_temp.import_lists, pg_temp.import_holders")


def _staged_holders(cursor, rows: list[ListRow], list_ids: dict, user_id, reason: str, now) -> set[int]:
    """The holder timelines as plan_import keeps them (a new row only on a change, _apply_holder), written with
    one INSERT and one UPDATE; the file rows that changed a stored value."""
    timelines: dict = {key: [] for key in list_ids}
    key_of = {pk: key for key, pk in list_ids.items()}
    cursor.execute(
        "SELECT h.patient_list_id, h.id, h.from_month, d.hpr_nummer, h.driftsform, h.avtale_fra FROM "
        "practices_listholder h JOIN import_lists i ON i.list_id = h.patient_list_id LEFT JOIN practices_doctor d "
        "ON d.id = h.doctor_id ORDER BY h.from_month, h.id")
    for list_id, pk, from_month, hpr, driftsform, avtale_fra in cursor.fetchall():
        timelines[key_of[list_id]].append(_Holder(from_month, hpr, driftsform, avtale_fra, pk=pk))
    changed_rows = set()
    for row in sorted(rows, key=attrgetter("maaned")):
        if _apply_holder(timelines[(row.kommunenummer, row.listenummer)], row):
            changed_rows.add(row.row)
    dirty = [(h.pk or 0, list_ids[key], h.from_month, h.hpr or None, h.driftsform, h.avtale_fra)
             for key, timeline in timelines.items() for h in timeline if h.dirty]
    if not dirty:
        return changed_rows
    _copy_rows(cursor, "import_holders", ("id", "patient_list_id", "from_month", "hpr_nummer", "driftsform",
                                          "avtale_fra"), ("int8", "int8", "date", "text", "text", "date"), dirty)
    # new rows first, then the changed ones, as _apply does (the same order under the unique (list, month))
    cursor.execute(
        "INSERT INTO practices_listholder (patient_list_id, from_month, doctor_id, driftsform, avtale_fra) SELECT "
        "t.patient_list_id, t.from_month, d.id, t.driftsform, t.avtale_fra FROM import_holders t LEFT JOIN "
        "practices_doctor d ON d.hpr_nummer = t.hpr_nummer WHERE t.id = 0 ORDER BY t.patient_list_id, t.from_month "
        "RETURNING id")
    _history(cursor, ListHolder, [pk for (pk,) in cursor.fetchall()], "+", user_id, reason, now)
    cursor.execute(
        "UPDATE practices_listholder h SET from_month = t.from_month, doctor_id = d.id, driftsform = t.driftsform, "
        "avtale_fra = t.avtale_fra FROM import_holders t LEFT JOIN practices_doctor d ON d.hpr_nummer = t.hpr_nummer "
        "WHERE t.id <> 0 AND h.id = t.id RETURNING h.id")
    _history(cursor, ListHolder, [pk for (pk,) in cursor.fetchall()], "~", user_id, reason, now)
    return changed_rows


# --- the flow ---------------------------------------------------------------------------------------------


def _parse(job: ImportJob, data: bytes, context: Context, records=None, *, only_mine: bool = False) -> ParseResult:
    if records is not None:
        result = importing.parse_list_records(records, context)
    else:
        result = importing.parse_list_file(data, context)
    return importing.only_mine(result) if only_mine else result


def format_error(error: dict) -> str:
    """`Rad 5, kolonne antall_pasienter: …` (docs/import.md), from an ImportJob's stored error."""
    where = f"Rad {error['rad']}, kolonne {error['kolonne']}" if error.get("kolonne") else f"Rad {error['rad']}"
    return f"{where}: {error['melding']}"


STORED_ERRORS = 1000  # a file wrong on every row must not make the log pages slow; the CLI prints them all
STORED_WARNINGS = 1000  # the same for warnings; the total is kept beside them


def store_warnings(job: ImportJob, warnings: list[str]) -> None:
    job.warnings = list(warnings[:STORED_WARNINGS])
    job.warning_count = len(warnings)


def _record_failure(job: ImportJob, *, errors=None, message="") -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.all_errors = [{"rad": e.row, "kolonne": e.column, "melding": e.message} for e in (errors or [])]
    # the stored errors also name their row's municipality: a colleague sees only her own (docs/import.md)
    job.errors = [{**stored, "kommunenummer": e.kommunenummer}
                  for stored, e in zip(job.all_errors[:STORED_ERRORS], errors or [], strict=False)]
    job.error_count = len(job.all_errors)
    job.message = message
    job.finished_at = timezone.now()
    job.save()
    return job


def _municipalities_in(rows) -> list[int]:
    return list(Municipality.objects.filter(kommunenummer__in={r.kommunenummer for r in rows}).values_list(
        "id", flat=True))


def upload_too_large(data: bytes, size: int | None = None) -> str:
    """The refusal of a file over 20 MB (docs/import.md), with its real size: the browser's upload reads only the
    first 20 MB + 1 byte and passes the file's `size`."""
    size = max(size or 0, len(data))
    if size <= settings.IMPORT_MAX_BYTES:
        return ""
    megabytes = f"{size / 1024 / 1024:.1f}".replace(".", ",")
    return (f"Filen er for stor ({megabytes} MB). Største tillatte filstørrelse er "
            f"{settings.IMPORT_MAX_BYTES // 1024 // 1024} MB. Del den opp og prøv igjen.")


def _accept(*, user, data: bytes, filename: str, source: str, records, size: int | None = None,
            only_mine: bool = False) -> tuple[ImportJob, ParseResult | None]:
    """Keep the upload as an ImportJob and parse it; (job, None) when it was rejected (job marked failed).
    `size` is the uploaded file's size when `data` holds only its first bytes (the browser's upload).
    `only_mine` leaves out the rows of municipalities where the user may not import when they are the only errors."""
    job = ImportJob(user=user if user and user.is_authenticated else None, source=source,
                    filename=filename[:255], dry_run=True, only_mine=only_mine)
    job.save()
    too_large = upload_too_large(data, size)
    if too_large:  # not stored: the log keeps the name, size and message
        _record_failure(job, message=too_large)
        return job, None
    if records is None:
        job.file.save(f"{job.pk}.csv", ContentFile(data), save=True)
    try:
        result = _parse(job, data, import_context(user), records, only_mine=only_mine)
    except FileRejected as rejected:
        _record_failure(job, message=str(rejected))
        return job, None
    job.data_rows = result.data_rows
    job.skipped = result.skipped
    store_warnings(job, result.warnings)
    if not result.ok:
        _record_failure(job, errors=_offer_only_mine(job, result, user))
        return job, None
    return job, result


def _offer_only_mine(job: ImportJob, result: ParseResult, user) -> list[RowError]:
    """The errors of a refused file. When its only errors are rows of municipalities where the user may not import,
    and her own rows would import cleanly, the job offers to import only hers (`skipped`; docs/import.md)."""
    skippable = importing.outside_scope(result)
    if not skippable or job.only_mine or job.source != "web":  # docs/import.md: the CLI and the API stay all-or-nothing
        return result.errors
    plan = plan_import(result.rows, allowed=_allowed(user))
    if plan.errors:  # her own rows are refused too: no offer
        return sorted([*result.errors, *plan.errors], key=lambda error: error.row)
    job.skipped = skippable
    return result.errors


@transaction.atomic
def import_upload(*, user, data: bytes, filename: str, source: str = "web", records=None,
                  size: int | None = None, only_mine: bool = False) -> ImportJob:
    """Keep the upload as an ImportJob and check it: a preview (nothing written) or a failed job with
    every error. `records` (the API's JSON rows) replaces the file. `only_mine` leaves out the rows of
    municipalities where the user may not import, if they are the only errors, and counts them (docs/import.md)."""
    job, result = _accept(user=user, data=data, filename=filename, source=source, records=records, size=size,
                          only_mine=only_mine)
    if result is None:
        return job
    plan = plan_import(result.rows, allowed=_allowed(user))
    if plan.errors:
        return _record_failure(job, errors=plan.errors)
    job.created, job.changed, job.unchanged = plan.created, plan.changed, plan.unchanged
    job.changed_sample = plan.sample
    store_warnings(job, [*result.warnings, *plan.warnings])
    job.months = sorted({format_month(m) for _, m in plan.months})
    job.status = ImportJob.Status.PREVIEW
    job.save()
    job.municipalities.set(_municipalities_in(result.rows))
    return job


def import_confirm(*, job: ImportJob, user, only_mine: bool = False) -> ImportJob:
    """Run a previewed import: large files in a Celery task, small ones now (docs/import.md).

    `only_mine` runs instead a refused file that offers it (`ImportJob.offers_only_mine`): the file is checked
    again and only the rows of the municipalities where the uploader may import are written (docs/import.md,
    «Bare mine kommuner»); the others are counted in `skipped`. Once: the job leaves the refused state."""
    if only_mine and job.offers_only_mine:
        # compare-and-set: a second click (or request) finds the job no longer refused and changes nothing
        taken = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED, only_mine=False).update(
            status=ImportJob.Status.QUEUED, only_mine=True, errors=[], error_count=0, message="", finished_at=None)
        job.refresh_from_db()
        if not taken:
            return job
    elif job.status != ImportJob.Status.PREVIEW:
        return job
    else:
        job.status, job.message = ImportJob.Status.QUEUED, ""
        job.save(update_fields=["status", "message"])
    if job.data_rows > ASYNC_THRESHOLD and not tasks_run_eagerly():
        transaction.on_commit(lambda: _queue_import(run_import, job))
        return job
    return import_run(job_id=job.pk)


QUEUE_DOWN = ("Importen kunne ikke startes fordi køtjenesten ikke svarer. Ingenting er lagret; filen er "
              "kontrollert og kan bekreftes på nytt om litt.")


def _queue_import(task, job: ImportJob) -> None:
    """If the broker is down, the job goes back to preview with a message: nothing lost, start it again."""
    if not send(task, job.pk):
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.PREVIEW, message=QUEUE_DOWN)


def import_run(*, job_id: int, records=None, result: ParseResult | None = None) -> ImportJob:
    """Parse again (the database may have changed since the preview), plan and write, all or nothing.
    Idempotent: a job that is already done or failed is left alone (tasks may be delivered twice).
    Any failure leaves nothing written and the job marked failed with a message, never a job stuck running."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return job
    try:
        return _run(job, records, result)
    except Exception:
        logger.exception("import %s failed", job_id)
        _mark_failed(job_id)
        raise


def _mark_failed(job_id: int) -> None:
    """Record the failure, on a fresh connection if the old one died (a lost database connection)."""
    for _attempt in range(2):
        try:
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportJob.Status.FAILED, finished_at=timezone.now(),
                message="Importen stoppet på grunn av en intern feil. Ingenting er lagret. Prøv igjen, eller "
                        "kontakt brukerstøtte.")
            return
        except DatabaseError:
            connection.close()


def _run(job: ImportJob, records, result: ParseResult | None = None) -> ImportJob:
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])
    set_progress("import", job.pk, 5)
    if result is None:
        data = b"" if records is not None else _read(job)
        try:
            result = _parse(job, data, import_context(job.user), records, only_mine=job.only_mine)
        except FileRejected as rejected:
            return _record_failure(job, message=str(rejected))
        if not result.ok:
            return _record_failure(job, errors=result.errors)
    set_progress("import", job.pk, 15)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("user").get(pk=job.pk)
        if job.status != ImportJob.Status.RUNNING:
            return job
        if staged_import_enabled():
            with importing.gc_paused():
                plan = staged_import(result.rows, job=job, user=job.user, allowed=_allowed(job.user))
            if plan.errors:
                return _record_failure(job, errors=plan.errors)
        else:
            plan = plan_import(result.rows, allowed=_allowed(job.user))
            if plan.errors:
                return _record_failure(job, errors=plan.errors)
            set_progress("import", job.pk, 25)
            _apply(plan, job, job.user)
        job.created, job.changed, job.unchanged = plan.created, plan.changed, plan.unchanged
        job.changed_sample = plan.sample
        store_warnings(job, [*result.warnings, *plan.warnings])
        job.months = sorted({format_month(m) for _, m in plan.months})
        job.data_rows = result.data_rows
        job.skipped = result.skipped
        job.status = ImportJob.Status.DONE
        job.dry_run = False
        job.progress = 100
        job.finished_at = timezone.now()
        job.save()
        job.municipalities.set(_municipalities_in(result.rows))
        _after_import(plan, job)
    set_progress("import", job.pk, 100)
    return job


def _after_import(plan: Plan, job: ImportJob) -> None:
    """Hook for what must follow a committed import (payments recompute, docs/operations.md)."""
    if plan.months:
        keys = sorted(plan.months)
        # the sender is the job: the recompute's runs point back to it, so its page can follow them
        transaction.on_commit(lambda: list_counts_changed.send(sender=job, months=keys))


def _read(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def import_file(*, user, data: bytes, filename: str, dry_run: bool, source: str = "cli",
                records=None, only_mine: bool = False) -> ImportJob:
    """Check and (unless dry_run) run an import in one call (CLI, API): parsed once, planned once. `only_mine` as
    in `import_upload` (the CLI and the API do not offer it: docs/import.md keeps them all-or-nothing)."""
    if dry_run:
        return import_upload(user=user, data=data, filename=filename, source=source, records=records,
                             only_mine=only_mine)
    job, result = _accept(user=user, data=data, filename=filename, source=source, records=records,
                          only_mine=only_mine)
    if result is None:
        return job
    return import_run(job_id=job.pk, records=records, result=result)
