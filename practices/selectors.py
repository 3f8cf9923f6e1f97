"""Reads. Every queryset a view, export, API or task shows starts from `municipalities_for` (docs/architecture.md)."""

import io

from django.db.models import ExpressionWrapper, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import NullIf
from django.http import Http404
from django.shortcuts import get_object_or_404

from . import importing
from .models import Doctor, ImportJob, ListCount, ListHolder, Membership, Municipality, PatientList, Practice, Role

ALL_ROLES = (Role.ADMINISTRATOR, Role.CASEWORKER, Role.AUDITOR)


def municipalities_for(user, *, roles=ALL_ROLES) -> QuerySet[Municipality]:
    """The municipalities where `user` has one of `roles`; every municipality for a superuser."""
    if not user.is_authenticated or not user.is_active:
        return Municipality.objects.none()
    if user.is_superuser:
        return Municipality.objects.all()
    return Municipality.objects.filter(memberships__user=user, memberships__role__in=roles).distinct()


def roles_by_municipality(user) -> dict[int, set[str]]:
    """{municipality_id: {role, …}} in one query; cached on the user object for the request."""
    cached = getattr(user, "_roles_by_municipality", None)
    if cached is None:
        cached = {}
        if user.is_authenticated:
            for municipality_id, role in Membership.objects.filter(user=user).values_list("municipality_id", "role"):
                cached.setdefault(municipality_id, set()).add(role)
        user._roles_by_municipality = cached
    return cached


def has_role(user, municipality, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return role == Role.AUDITOR  # superusers see everything; municipal work needs a membership
    municipality_id = getattr(municipality, "pk", municipality)
    return role in roles_by_municipality(user).get(municipality_id, set())


# Where else a doctor appears: grants (cases) and alis (agreements) each register a function
# (doctor ids) -> [(doctor_id, municipality_id)] in their AppConfig.ready(); practices imports no app
# (docs/architecture.md).
DOCTOR_APPEARANCES: list = []

# The recompute an import started: grants registers (user, job) -> {"total", "done", "failed"} of the payment runs
# the user may see, or None, in its AppConfig.ready(); the import's page shows it while it runs (docs/import.md).
IMPORT_RECOMPUTE: list = []


def recompute_of_import(user, job) -> dict | None:
    """How far the recompute of the payment months a finished import changed has come (None: no recompute)."""
    if job.status != ImportJob.Status.DONE or not job.months:
        return None
    return next((found for source in IMPORT_RECOMPUTE if (found := source(user, job)) is not None), None)


# Documents about a doctor that other apps offer on the doctor's page: payout registers
# (doctor, municipalities) -> [{heading, label, url}] (the yearly statements) in its AppConfig.ready().
DOCTOR_DOCUMENTS: list = []


def doctor_municipalities(doctor_ids) -> dict[int, set[int]]:
    """{doctor_id: {municipality_id}} where each doctor has (or had) a list, a case or an agreement — the
    municipalities whose administrators must all agree to a change of the doctor's name (docs/import.md)."""
    doctor_ids = list(doctor_ids)
    places: dict[int, set[int]] = {pk: set() for pk in doctor_ids}
    if not doctor_ids:
        return places
    pairs = list(ListHolder.objects.filter(doctor_id__in=doctor_ids).order_by().values_list(
        "doctor_id", "patient_list__municipality_id").distinct())
    for source in DOCTOR_APPEARANCES:
        pairs += source(doctor_ids)
    for doctor_id, municipality_id in pairs:
        places[doctor_id].add(municipality_id)
    return places


def practices_for(user) -> QuerySet[Practice]:
    return Practice.objects.filter(municipality__in=municipalities_for(user))


def lists_for(user) -> QuerySet[PatientList]:
    return PatientList.objects.filter(municipality__in=municipalities_for(user))


def doctors_for(user) -> QuerySet[Doctor]:
    """Doctors are national; a user sees those who hold (or held) a list in their municipalities."""
    if user.is_superuser:
        return Doctor.objects.all()
    return Doctor.objects.filter(holdings__patient_list__municipality__in=municipalities_for(user)).distinct()


def list_table(user, *, municipality=None) -> QuerySet[PatientList]:
    """Lists with their latest count, its month, the current holder and the fill ratio — one query."""
    latest = ListCount.objects.filter(patient_list=OuterRef("pk")).order_by("-month")
    holder = ListHolder.objects.filter(patient_list=OuterRef("pk")).order_by("-from_month")
    queryset = lists_for(user).select_related("municipality", "practice")
    if municipality is not None:
        queryset = queryset.filter(municipality=municipality)
    return queryset.annotate(
        latest_count=Subquery(latest.values("antall_pasienter")[:1]),
        latest_month=Subquery(latest.values("month")[:1]),
        holder_name=Subquery(holder.values("doctor__name")[:1]),
        holder_driftsform=Subquery(holder.values("driftsform")[:1]),
        # Per mille, rounded half up in integer arithmetic ((2a + b) // 2b): exact on every database.
        fill_permille=ExpressionWrapper(
            (F("latest_count") * 2000 + F("listetak")) / NullIf(F("listetak") * 2, 0), output_field=IntegerField()),
    )


def list_detail(user, pk) -> PatientList:
    return get_object_or_404(lists_for(user).select_related("municipality", "practice"), pk=pk)


def list_counts(patient_list):
    return patient_list.counts.order_by("month")


def list_holders(patient_list):
    return patient_list.holders.select_related("doctor").order_by("-from_month")


def import_jobs_for(user, *, kind: str = "lister") -> QuerySet:
    """Imports of one kind the user may see (docs/import.md): their own, and list imports that touched one of the
    user's municipalities, in any role — a file that also covers other municipalities is then shown and downloaded
    scoped to hers (`import_scope`). A supervision import (ALIS pages) is shown to others only when all its rows
    lie in their municipalities: its report and file are not scoped."""
    if user.is_superuser:
        return ImportJob.objects.filter(kind=kind)
    mine = municipalities_for(user)
    if kind == ImportJob.Kind.LISTS:
        return ImportJob.objects.filter(Q(user=user) | Q(municipalities__in=mine), kind=kind).distinct()
    foreign = ImportJob.objects.filter(municipalities__in=Municipality.objects.exclude(pk__in=mine))
    return ImportJob.objects.filter(
        Q(user=user) | (Q(municipalities__in=mine) & ~Q(pk__in=foreign.values("pk"))), kind=kind
    ).distinct()


def import_scope(user, job) -> frozenset[str] | None:
    """The kommunenumre whose rows `user` may see of an import: None for all of them (the uploader, a superuser, or
    a job that lies wholly in the user's municipalities), else the user's — the job also covers others."""
    if user.is_superuser or job.user_id == user.pk:
        return None
    mine = frozenset(municipalities_for(user).values_list("kommunenummer", flat=True))
    covered = set(job.municipalities.values_list("kommunenummer", flat=True)) | set(job.skipped)
    return None if covered <= mine else mine


ERRORS_SHOWN = 500  # the rest of the stored 1 000 are counted on the page


def import_report_for(user, job) -> dict:
    """What the job page shows of an import's errors and changed rows: everything to those who see all of it
    (`import_scope`); to a colleague, only the errors and rows of her municipalities, and only the number of the
    rest. Warnings are grouped sentences without a municipality of their own, so she gets only their number."""
    scope = import_scope(user, job)
    if scope is None:
        return {"errors": job.errors[:ERRORS_SHOWN], "more_errors": max(0, job.error_count - ERRORS_SHOWN),
                "hidden_errors": 0, "hidden_warnings": 0, "sample": job.changed_sample, "scoped": False}
    errors = [error for error in job.errors if error.get("kommunenummer") in scope]
    return {"errors": errors[:ERRORS_SHOWN], "more_errors": max(0, len(errors) - ERRORS_SHOWN),
            "hidden_errors": max(0, job.error_count - len(errors)), "hidden_warnings": job.warning_count,
            "sample": [row for row in job.changed_sample if row.get("kommunenummer") in scope], "scoped": True}


def import_file_for(user, job):
    """The uploaded file as `user` may download it (docs/import.md): the original, or — for a colleague, when the
    file also covers other municipalities — the header and her municipalities' rows only (UTF-8). A binary file."""
    scope = import_scope(user, job)
    if scope is None:
        return job.file.open("rb")
    with job.file.open("rb") as handle:
        data = handle.read()
    context = importing.Context(municipalities=frozenset(Municipality.objects.values_list("kommunenummer", flat=True)),
                                renumbering=importing.load_renumbering())
    try:
        return io.BytesIO(importing.rows_in(data, scope, context))
    except importing.FileRejected:  # a file the import refused as a whole: nothing in it is hers to see
        raise Http404 from None


def skipped_names(jobs) -> dict[str, str]:
    """kommunenummer → name of the municipalities whose rows the jobs left out (`ImportJob.skipped`); one query."""
    numbers = {knr for job in jobs for knr in job.skipped}
    if not numbers:
        return {}
    return dict(Municipality.objects.filter(kommunenummer__in=numbers).values_list("kommunenummer", "name"))


PAYMENT_LINKS_MAX = 24  # a national file links to the payments overview instead of hundreds of months


def payment_months_of_import(user, job) -> list[tuple[str, str, str]] | None:
    """(kommunenummer, name, month) of the payment months the import recomputed that the user may see
    (docs/import.md: "a link to the payments it triggered"); None when there are too many to list."""
    if job.status != ImportJob.Status.DONE or not job.months:
        return []
    municipalities = list(municipalities_for(user).filter(import_jobs=job).values_list("kommunenummer", "name"))
    if len(municipalities) * len(job.months) > PAYMENT_LINKS_MAX:
        return None
    return [(knr, name, month) for knr, name in municipalities for month in job.months]
