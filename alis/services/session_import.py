"""Bulk import of supervision sessions (docs/alis.md with the all-or-nothing rules of §9): upload → preview →
confirm, synchronous. Every upload is kept as a practices ImportJob of kind `veiledning` with its report; one
invalid row means no session is written. A re-import of the same file writes nothing (rows already logged
count as unchanged)."""

import logging
from collections import Counter, defaultdict
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from alis import importing
from alis.models import AlisAgreement, SupervisionSession, SupervisorChange
from alis.selectors import agreement_facts
from practices.importing import FileRejected
from practices.models import Doctor, ImportJob, Municipality, Role
from practices.selectors import municipalities_for
from practices.services.list_import import STORED_ERRORS, store_warnings, upload_too_large

logger = logging.getLogger(__name__)
SAMPLE_SIZE = 20


def can_import(user) -> tuple[bool, str]:
    if municipalities_for(user, roles=[Role.ADMINISTRATOR]).exists():
        return True, ""
    return False, "Bare kommuneadministratorer kan importere veiledning."


def import_context(user, data: bytes, *, lock: bool = False) -> importing.Context:
    """What the parser needs for this file, in a constant number of queries. `lock` locks the agreements (the
    8-hour rule must hold against sessions logged while the import runs)."""
    knrs, numbers, hprs = importing.file_keys(data)
    allowed = frozenset(municipalities_for(user, roles=[Role.ADMINISTRATOR]).values_list("kommunenummer", flat=True))
    queryset = AlisAgreement.objects.filter(municipality__kommunenummer__in=knrs & allowed,
                                            avtalenummer__in=numbers).select_related("municipality", "supervisor")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    agreements = list(queryset)
    changes = defaultdict(list)
    for change in SupervisorChange.objects.filter(agreement__in=agreements).select_related("supervisor"):
        changes[change.agreement_id].append(change)
    refs = {(a.municipality.kommunenummer, a.avtalenummer): importing.AgreementRef(
        id=a.pk, facts=agreement_facts(a, changes=changes[a.pk])) for a in agreements}
    existing, hours_by_day = Counter(), defaultdict(Decimal)
    for agreement_id, day, kind, hours, supervisor_id, group_leader in SupervisionSession.objects.filter(
            agreement__in=agreements).values_list("agreement_id", "date", "kind", "hours", "supervisor_id",
                                                  "group_leader"):
        existing[(agreement_id, day, kind, hours, supervisor_id, group_leader)] += 1
        hours_by_day[(agreement_id, day)] += hours
    doctors = {hpr: (pk, name) for pk, hpr, name in Doctor.objects.filter(hpr_nummer__in=hprs).values_list(
        "pk", "hpr_nummer", "name")}
    return importing.Context(
        agreements=refs, doctors=doctors,
        municipalities=frozenset(Municipality.objects.filter(kommunenummer__in=knrs).values_list(
            "kommunenummer", flat=True)),
        allowed=allowed, today=timezone.localdate(), hours_by_day=dict(hours_by_day), existing=existing)


def _fail(job: ImportJob, *, errors=(), message="") -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.errors = [{"rad": e.row, "kolonne": e.column, "melding": e.message} for e in errors[:STORED_ERRORS]]
    job.error_count = len(errors)
    job.message = message
    job.finished_at = timezone.now()
    job.save()
    return job


def _sample(rows) -> list[dict]:
    return [{"rad": r.row, "kommunenummer": r.kommunenummer, "avtalenummer": r.avtalenummer,
             "dato": r.date.isoformat(), "type": r.kind, "timer": str(r.hours), "av": r.group_leader or "",
             "notat": r.note[:80]} for r in rows[:SAMPLE_SIZE]]


def _parse(job: ImportJob, user, data: bytes, *, lock=False) -> importing.ParseResult | None:
    try:
        result = importing.parse_session_file(data, import_context(user, data, lock=lock))
    except FileRejected as rejected:
        _fail(job, message=str(rejected))
        return None
    job.data_rows = result.data_rows
    store_warnings(job, result.warnings)
    if not result.ok:
        _fail(job, errors=result.errors)
        return None
    return result


def _municipality_ids(result) -> list[int]:
    return list(Municipality.objects.filter(kommunenummer__in={r.kommunenummer for r in result.rows}).values_list(
        "pk", flat=True))


@transaction.atomic
def session_import_upload(*, user, data: bytes, filename: str, size: int | None = None) -> ImportJob:
    """Keep the upload and check it: a preview (nothing written) or a failed job with every error."""
    job = ImportJob.objects.create(kind=ImportJob.Kind.SUPERVISION, user=user, source="web",
                                   filename=filename[:255], dry_run=True)
    too_large = upload_too_large(data, size)
    if too_large:
        return _fail(job, message=too_large)
    job.file.save(f"{job.pk}.csv", ContentFile(data), save=True)
    allowed, reason = can_import(user)
    if not allowed:
        return _fail(job, message=reason)
    result = _parse(job, user, data)
    if result is None:
        return job
    job.created, job.unchanged, job.changed = len(result.rows), result.unchanged, 0
    job.changed_sample = _sample(result.rows)
    job.status = ImportJob.Status.PREVIEW
    job.save()
    job.municipalities.set(_municipality_ids(result))
    return job


def session_import_confirm(*, job: ImportJob, user) -> ImportJob:
    """Write a previewed import, all or nothing. The file is checked again (sessions may have been logged since
    the preview); a job that is not a preview is left as it is."""
    if job.kind != ImportJob.Kind.SUPERVISION or job.status != ImportJob.Status.PREVIEW:
        return job
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job.pk)
            if job.status != ImportJob.Status.PREVIEW:
                return job
            with job.file.open("rb") as handle:
                data = handle.read()
            result = _parse(job, user, data, lock=True)
            if result is None:
                return job
            sessions = [SupervisionSession(agreement_id=r.agreement_id, date=r.date, kind=r.kind, hours=r.hours,
                                           supervisor_id=r.supervisor_id, group_leader=r.group_leader, note=r.note,
                                           created_by=user, import_job=job) for r in result.rows]
            bulk_create_with_history(sessions, SupervisionSession, batch_size=2000, default_user=user,
                                     default_change_reason=f"Import {job.pk}")
            job.created, job.unchanged, job.changed = len(sessions), result.unchanged, 0
            job.changed_sample = _sample(result.rows)
            job.status, job.dry_run, job.progress = ImportJob.Status.DONE, False, 100
            job.finished_at = timezone.now()
            job.save()
            job.municipalities.set(_municipality_ids(result))
    except Exception:
        logger.exception("supervision import %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(),
            message="Importen stoppet på grunn av en intern feil. Ingenting er lagret. Prøv igjen, eller kontakt "
                    "brukerstøtte.")
        raise
    return job
