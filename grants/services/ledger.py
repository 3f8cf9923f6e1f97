"""The monthly ledger: recompute, corrections, attest/authorise, reopen (SPEC.md §5, §8).

Amounts come only from grants.rules (pure); this module fetches the inputs set-based (a constant number
of queries per municipality-month), writes in bulk inside one transaction, and holds a row lock on the
PaymentMonth so one run at a time works on a key. Running it twice gives the same ledger to the øre.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from config.money import format_kr
from config.months import add_months, format_month
from config.progress import set_progress
from grants import rules
from grants.models import PaymentLine, PaymentMonth, PaymentRun, RateSchedule
from practices.models import Driftsform, ListCount, ListHolder, Municipality, PatientList

logger = logging.getLogger(__name__)
KEPT_SUFFIX = " – beholdes av kommunen"


@dataclass(frozen=True)
class LedgerLine:
    """A computed line with its place in the ledger; `key` identifies it across recomputes."""

    list_id: int | None
    doctor_id: int | None
    kept: bool
    kind: str
    quantity: int | None
    annual_rate: Decimal | None
    amount: Decimal
    explanation: str
    estimate: bool = False
    case_ref: str = ""

    @property
    def key(self):
        return (self.list_id, self.doctor_id, self.kept, self.kind)


@dataclass
class Computation:
    lines: list[LedgerLine] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)  # [{"id", "listenummer"}]
    uses_estimate: bool = False


# --- inputs -----------------------------------------------------------------------------------------------


def rate_rows() -> list[rules.Rate]:
    return [row.as_rule() for row in RateSchedule.objects.all()]


def _counts_with_holders(municipality_id: int, month: date):
    """Every count of the month with the holder in force that month — one query."""
    holder = ListHolder.objects.filter(patient_list=OuterRef("patient_list"), from_month__lte=month).order_by(
        "-from_month")
    return ListCount.objects.filter(patient_list__municipality_id=municipality_id, month=month).annotate(
        holder_doctor=Subquery(holder.values("doctor_id")[:1]),
        holder_driftsform=Subquery(holder.values("driftsform")[:1]),
    ).values_list("patient_list_id", "antall_pasienter", "listetak", "behovsindeks", "holder_doctor",
                  "holder_driftsform").order_by("patient_list_id")


def _missing_lists(municipality_id: int, month: date) -> list[dict]:
    """Lists that should have a count this month and have none: active in the month (when the dates are set)
    and with counts from an earlier month (a list is not expected before its first count)."""
    month_end = add_months(month, 1)
    lists = PatientList.objects.filter(municipality_id=municipality_id).filter(
        Q(active_from__isnull=True) | Q(active_from__lt=month_end),
        Q(active_to__isnull=True) | Q(active_to__gte=month),
    ).filter(counts__month__lt=month).exclude(counts__month=month).distinct()
    return [{"id": pk, "listenummer": nr} for pk, nr in lists.order_by("listenummer").values_list("pk", "listenummer")]


def compute_month(municipality_id: int, month: date, *, rates=None, grants_covering=None,
                  extra_lines=None) -> Computation:
    """The month's lines as they should be now (nothing written). `grants_covering` is the set of list ids
    with a granted grunntilskudd covering the month; `extra_lines` lines from agreements (introduksjon, ALIS).
    Both are filled by grants.services.cases; empty until those issues land."""
    rates = rates if rates is not None else rate_rows()
    try:
        rate = rules.rate_for_month(rates, month)
    except ValueError:
        rate = None
    covering = grants_covering if grants_covering is not None else _grunntilskudd_covering(municipality_id, month)
    result = Computation(missing=_missing_lists(municipality_id, month))
    for list_id, n, listetak, behovsindeks, doctor_id, driftsform in _counts_with_holders(municipality_id, month):
        if rate is None:
            continue
        kept = driftsform in (Driftsform.FASTLONNET, Driftsform.UBESATT)
        for line in rules.month_lines(n=n, listetak=listetak, rate=rate, month=month, behovsindeks=behovsindeks,
                                      grunntilskudd_covers=list_id in covering):
            result.lines.append(LedgerLine(
                list_id=list_id, doctor_id=doctor_id, kept=kept, kind=line.kind, quantity=line.quantity,
                annual_rate=line.annual_rate, amount=line.amount,
                explanation=line.explanation + (KEPT_SUFFIX if kept else ""), estimate=rate.is_estimate,
                case_ref=covering.get(list_id, "") if line.kind == rules.KIND_GRUNNTILSKUDD else "",
            ))
    result.lines.extend(extra_lines if extra_lines is not None else _agreement_lines(municipality_id, month))
    result.uses_estimate = bool(rate and rate.is_estimate and result.lines)
    return result


def _grunntilskudd_covering(municipality_id: int, month: date) -> dict[int, str]:
    """{list_id: case_ref} of granted grunntilskudd covering the month. Filled in by the grants issue."""
    return {}


def _agreement_lines(municipality_id: int, month: date) -> list[LedgerLine]:
    """Prorated introduksjon and ALIS lines. Filled in by the grants and ALIS issues."""
    return []


# --- writes -----------------------------------------------------------------------------------------------


def _locked_month(municipality_id: int, month: date) -> PaymentMonth:
    """The PaymentMonth row, created if needed, locked for this transaction (one run per key at a time)."""
    try:
        with transaction.atomic():
            PaymentMonth.objects.get_or_create(municipality_id=municipality_id, month=month)
    except IntegrityError:  # created by a concurrent run between our get and create
        pass
    return PaymentMonth.objects.select_for_update().get(municipality_id=municipality_id, month=month)


def _stored_key(line: PaymentLine):
    return (line.patient_list_id, line.doctor_id, line.kept_by_municipality, line.kind, line.quantity,
            line.annual_rate, line.amount, line.explanation, line.estimate, line.case_ref)


def _new_key(line: LedgerLine):
    return (line.list_id, line.doctor_id, line.kept, line.kind, line.quantity, line.annual_rate, line.amount,
            line.explanation, line.estimate, line.case_ref)


def _to_model(line: LedgerLine, municipality_id: int, month: date) -> PaymentLine:
    return PaymentLine(municipality_id=municipality_id, month=month, patient_list_id=line.list_id,
                       doctor_id=line.doctor_id, kept_by_municipality=line.kept, kind=line.kind,
                       quantity=line.quantity, annual_rate=line.annual_rate, amount=line.amount,
                       explanation=line.explanation, estimate=line.estimate, case_ref=line.case_ref)


def _replace_lines(payment_month: PaymentMonth, computation: Computation) -> bool:
    """Swap the open month's computed lines for the new ones; True when anything changed."""
    stored = PaymentLine.objects.filter(municipality_id=payment_month.municipality_id, month=payment_month.month
                                        ).exclude(kind=rules.KIND_KORREKSJON)
    if sorted(map(_stored_key, stored), key=repr) == sorted(map(_new_key, computation.lines), key=repr):
        return False
    stored.delete()
    PaymentLine.objects.bulk_create(
        [_to_model(line, payment_month.municipality_id, payment_month.month) for line in computation.lines],
        batch_size=5000)
    return True


def _withdraw_attestation(payment_month: PaymentMonth, reason: str) -> None:
    if payment_month.status == PaymentMonth.Status.ATTESTED:
        payment_month.status = PaymentMonth.Status.OPEN
        payment_month.attested_by = payment_month.attested_at = None
        payment_month._change_reason = reason


def _sums(queryset, kind_field: str) -> dict:
    """{(list, doctor, kept, kind): total} in one grouped query."""
    rows = queryset.values_list("patient_list_id", "doctor_id", "kept_by_municipality", kind_field).annotate(
        total=Sum("amount")).order_by()
    return {(a, b, c, d): total for a, b, c, d, total in rows}


def _book_corrections(closed: PaymentMonth, computation: Computation) -> int:
    """Book new − (closed + already booked) per list, payee and kind as `korreksjon` lines in the earliest
    month after the closed one that is not closed (SPEC.md §5). Repeating it books nothing more."""
    municipality_id, month = closed.municipality_id, closed.month
    lines = PaymentLine.objects.filter(municipality_id=municipality_id)
    closed_amounts = _sums(lines.filter(month=month).exclude(kind=rules.KIND_KORREKSJON), "kind")
    booked = _sums(lines.filter(corrects_month=month, kind=rules.KIND_KORREKSJON), "corrected_kind")
    new_amounts, new_rates = defaultdict(Decimal), {}
    for line in computation.lines:
        new_amounts[line.key] += line.amount
        new_rates[line.key] = line.annual_rate
    zero = Decimal("0.00")
    corrections = []
    for key in sorted(set(closed_amounts) | set(booked) | set(new_amounts), key=repr):
        before = closed_amounts.get(key, zero) + booked.get(key, zero)
        after = new_amounts.get(key, zero)
        difference = rules.correction_amount(new=after, closed=closed_amounts.get(key, zero),
                                             booked=booked.get(key, zero))
        if not difference:
            continue
        list_id, doctor_id, kept, kind = key
        corrections.append(PaymentLine(
            municipality_id=municipality_id, patient_list_id=list_id, doctor_id=doctor_id, kept_by_municipality=kept,
            kind=rules.KIND_KORREKSJON, corrected_kind=kind, corrects_month=month, quantity=None,
            annual_rate=new_rates.get(key), amount=difference,
            explanation=(f"Korreksjon for {format_month(month)}: {str(PaymentLine.Kind(kind).label).lower()} "
                         f"endret fra {format_kr(before)} til {format_kr(after)}" + (KEPT_SUFFIX if kept else "")),
        ))
    if not corrections:
        return 0
    target = _correction_month(municipality_id, month)
    for line in corrections:
        line.month = target.month
    PaymentLine.objects.bulk_create(corrections)
    _withdraw_attestation(target, f"Korreksjon for {format_month(month)} bokført")
    target.save()
    return len(corrections)


def _correction_month(municipality_id: int, month: date) -> PaymentMonth:
    """The earliest month after `month` that is not closed, locked (created when it does not exist yet)."""
    closed = set(PaymentMonth.objects.filter(municipality_id=municipality_id, month__gt=month,
                                             status=PaymentMonth.Status.CLOSED).values_list("month", flat=True))
    target = add_months(month, 1)
    while target in closed:
        target = add_months(target, 1)
    return _locked_month(municipality_id, target)


@dataclass
class Outcome:
    lines: int
    total: Decimal
    missing: int
    corrections: int
    changed: bool


def recompute_month(*, municipality_id: int, month: date) -> Outcome:
    """Recompute one municipality-month (SPEC.md §5): an open month's computed lines are replaced atomically
    (booked corrections kept); a closed month is left as it is and the differences are booked as `korreksjon`
    in the earliest open month after it. Idempotent, and one run at a time per key (row lock)."""
    with transaction.atomic():
        payment_month = _locked_month(municipality_id, month)
        computation = compute_month(municipality_id, month)
        changed, corrections = False, 0
        if payment_month.is_closed:
            corrections = _book_corrections(payment_month, computation)
        else:
            changed = _replace_lines(payment_month, computation)
            if changed:
                _withdraw_attestation(payment_month, "Linjene endret seg ved ny beregning")
            payment_month.missing_counts = computation.missing
            payment_month.uses_estimate = computation.uses_estimate
            payment_month.computed_at = timezone.now()
            payment_month.save()
        totals = PaymentLine.objects.filter(municipality_id=municipality_id, month=month).aggregate(
            total=Sum("amount"), lines=Count("pk"))
    return Outcome(lines=totals["lines"], total=totals["total"] or Decimal("0.00"),
                   missing=len(payment_month.missing_counts), corrections=corrections, changed=changed)


# --- runs (what the browser, the API and the tasks start) -------------------------------------------------


def start_recompute(*, municipality: Municipality, month: date, user=None, trigger="manual") -> PaymentRun:
    """Queue a recompute; the task is sent when the surrounding transaction commits (SPEC.md §8)."""
    from grants.tasks import recompute_month_task

    run = PaymentRun.objects.create(municipality=municipality, month=month, started_by=user, trigger=trigger)
    transaction.on_commit(lambda: recompute_month_task.delay(run.pk))
    return run


def execute_run(run_id: int) -> PaymentRun:
    """Carry out a queued run (the task's body). A run already finished is left alone (redelivery)."""
    run = PaymentRun.objects.get(pk=run_id)
    if run.status in (PaymentRun.Status.DONE, PaymentRun.Status.FAILED):
        return run
    run.status, run.started_at = PaymentRun.Status.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    set_progress("payment-run", run.pk, 10)
    try:
        outcome = recompute_month(municipality_id=run.municipality_id, month=run.month)
    except Exception as error:
        logger.exception("payment run %s failed", run_id)
        run.status, run.message = PaymentRun.Status.FAILED, f"Beregningen feilet: {error.__class__.__name__}"
        run.finished_at = timezone.now()
        run.save()
        raise
    set_progress("payment-run", run.pk, 100)
    run.status, run.finished_at = PaymentRun.Status.DONE, timezone.now()
    run.lines, run.total, run.missing, run.corrections = (outcome.lines, outcome.total, outcome.missing,
                                                          outcome.corrections)
    run.save()
    return run


def municipalities_with_lists():
    return Municipality.objects.filter(lists__isnull=False).distinct().order_by("kommunenummer")


def recompute_all(*, month: date, trigger="nightly") -> list[PaymentRun]:
    """Fan out one run per municipality with lists (SPEC.md §8)."""
    return [start_recompute(municipality=m, month=month, trigger=trigger) for m in municipalities_with_lists()]


# --- closing ----------------------------------------------------------------------------------------------


class ClosingError(Exception):
    """A refused attest/authorise/reopen; str() is the Norwegian reason."""


def attest_month(*, payment_month: PaymentMonth, user) -> PaymentMonth:
    """Attestasjon: a caseworker has checked the month's lines (first of the two signatures)."""
    from grants.permissions import can_attest

    allowed, reason = can_attest(user, payment_month)
    if not allowed:
        raise ClosingError(reason)
    with transaction.atomic():
        locked = PaymentMonth.objects.select_for_update().get(pk=payment_month.pk)
        if locked.status != PaymentMonth.Status.OPEN:
            raise ClosingError("Måneden er allerede attestert eller lukket.")
        locked.status, locked.attested_by, locked.attested_at = PaymentMonth.Status.ATTESTED, user, timezone.now()
        locked._change_reason = "Attestert"
        locked.save()
    return locked


def authorise_month(*, payment_month: PaymentMonth, user) -> PaymentMonth:
    """Anvisning by a second caseworker: the month is approved for payout and its lines are frozen."""
    from grants.permissions import can_authorise

    allowed, reason = can_authorise(user, payment_month)
    if not allowed:
        raise ClosingError(reason)
    with transaction.atomic():
        locked = PaymentMonth.objects.select_for_update().get(pk=payment_month.pk)
        if locked.status != PaymentMonth.Status.ATTESTED:
            raise ClosingError("Måneden må attesteres før den kan anvises.")
        if locked.attested_by_id == user.pk:
            raise ClosingError("Den som attesterte måneden, kan ikke også anvise den (to personer kreves).")
        locked.status = PaymentMonth.Status.CLOSED
        locked.authorised_by, locked.authorised_at = user, timezone.now()
        locked._change_reason = "Anvist og lukket"
        locked.save()
    return locked


def reopen_month(*, payment_month: PaymentMonth, user, reason: str) -> PaymentMonth:
    """Only a superuser, with a reason kept in the history (SPEC.md §5)."""
    if not user.is_superuser:
        raise ClosingError("Bare en superbruker kan gjenåpne en lukket måned.")
    if not reason.strip():
        raise ClosingError("Skriv en begrunnelse for gjenåpningen.")
    with transaction.atomic():
        locked = PaymentMonth.objects.select_for_update().get(pk=payment_month.pk)
        if locked.status != PaymentMonth.Status.CLOSED:
            raise ClosingError("Bare lukkede måneder kan gjenåpnes.")
        locked.status = PaymentMonth.Status.OPEN
        locked.attested_by = locked.attested_at = locked.authorised_by = locked.authorised_at = None
        locked._change_reason = f"Gjenåpnet av {user.username}: {reason.strip()}"
        locked.save()
    return locked
