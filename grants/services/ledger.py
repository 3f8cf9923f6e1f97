"""The monthly ledger: recompute, corrections, attest/authorise, reopen (docs/payments.md, docs/operations.md).

Amounts come only from grants.rules (pure); this module fetches the inputs set-based (a constant number
of queries per municipality-month), writes in bulk inside one transaction, and holds a row lock on the
PaymentMonth so one run at a time works on a key. Running it twice gives the same ledger to the øre.
"""

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from alis.selectors import agreements_paying
from core.money import format_kr
from core.months import add_months, format_month
from core.progress import notify, set_progress_many
from core.tasks import send
from core.workflow import CASEWORKER, SUPERUSER, ServiceError, Transition, TransitionNotAllowed, Workflow
from grants import rules, selectors
from grants.models import UTJAMNING_MESSAGES, PaymentLine, PaymentMonth, PaymentRun, RateSchedule, UtjamningParameter
from grants.permissions import can_attest, can_authorise
from grants.rules import GRUNNTILSKUDD_MONTHS
from grants.tasks import recompute_month_task, recompute_runs_task
from practices.models import ListCount, ListHolder, Municipality, PatientList, Population

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
    utjamning: dict = field(default_factory=dict)  # rules.UtjamningOutcome.as_dict(), for PaymentMonth.utjamning


# --- inputs -----------------------------------------------------------------------------------------------


def rate_rows() -> list[rules.Rate]:
    return [row.as_rule() for row in RateSchedule.objects.all()]


def utjamning_rows() -> list[rules.UtjamningParameter]:
    return [row.as_rule() for row in UtjamningParameter.objects.all()]


def _populations(municipality_ids: list[int], year: int) -> dict[int, int]:
    """{municipality id: inhabitants on 1 January of `year`} — one query for any number of municipalities."""
    return dict(Population.objects.filter(municipality_id__in=municipality_ids, year=year).values_list(
        "municipality_id", "inhabitants"))


def _counts_with_holders(municipality_ids: list[int], month: date):
    """Every count of the month with the holder in force that month — one query for any number of
    municipalities."""
    holder = ListHolder.objects.filter(patient_list=OuterRef("patient_list"), from_month__lte=month).order_by(
        "-from_month")
    return ListCount.objects.filter(patient_list__municipality_id__in=municipality_ids, month=month).annotate(
        holder_doctor=Subquery(holder.values("doctor_id")[:1]),
        holder_driftsform=Subquery(holder.values("driftsform")[:1]),
        holder_avtale_fra=Subquery(holder.values("avtale_fra")[:1]),
        holder_from=Subquery(holder.values("from_month")[:1]),
    ).values_list("patient_list__municipality_id", "patient_list_id", "antall_pasienter", "listetak",
                  "behovsindeks", "holder_doctor", "holder_driftsform", "holder_avtale_fra",
                  "holder_from", "patient_list__listenummer").order_by("patient_list_id")


def _missing_lists(municipality_ids: list[int], month: date) -> dict[int, list[dict]]:
    """Lists that should have a count this month and have none: active in the month (when the dates are set)
    and with counts from an earlier month (a list is not expected before its first count)."""
    month_end = add_months(month, 1)
    lists = PatientList.objects.filter(municipality_id__in=municipality_ids).filter(
        Q(active_from__isnull=True) | Q(active_from__lt=month_end),
        Q(active_to__isnull=True) | Q(active_to__gte=month),
    ).filter(counts__month__lt=month).exclude(counts__month=month).distinct()
    missing = defaultdict(list)
    for pk, number, municipality_id in lists.order_by("listenummer").values_list("pk", "listenummer",
                                                                                 "municipality_id"):
        missing[municipality_id].append({"id": pk, "listenummer": number})
    return missing


@dataclass
class MonthInputs:
    """What a month's lines are computed from that does not depend on the rates: the counts with their
    holders, the lists missing a count, and the agreement lines. A scenario fetches them once per month and
    computes them with two rate schedules."""

    counts: list[tuple]
    missing: dict[int, list[dict]]
    agreement_lines: dict[int, list[LedgerLine]]
    populations: dict[int, int] = field(default_factory=dict)  # inhabitants on 1 January of the month's year


def month_inputs(municipality_ids: list[int], month: date) -> MonthInputs:
    return MonthInputs(counts=list(_counts_with_holders(municipality_ids, month)),
                       missing=_missing_lists(municipality_ids, month),
                       agreement_lines=_agreement_lines(municipality_ids, month),
                       populations=_populations(municipality_ids, month.year))


def compute_months(municipality_ids: list[int], month: date, *, rates=None,
                   grunntilskudd_months: int = GRUNNTILSKUDD_MONTHS,
                   inputs: MonthInputs | None = None, utjamning=None) -> dict[int, Computation]:
    """Each municipality's lines for the month as they should be now (nothing written), in a constant
    number of queries however many municipalities and lists. A scenario passes its own `rates`,
    grunntilskudd duration, utjamning parameter rows (`utjamning`) and the month's `inputs` (fetched once for
    both schedules); the ledger never does."""
    rates = rates if rates is not None else rate_rows()
    parameter = rules.utjamning_for_month(utjamning if utjamning is not None else utjamning_rows(), month)
    try:
        rate = rules.rate_for_month(rates, month)
    except ValueError:
        rate = None
    inputs = inputs if inputs is not None else month_inputs(municipality_ids, month)
    covering = selectors.grunntilskudd_covering(municipality_ids, month, grunntilskudd_months)
    results = {mid: Computation(missing=inputs.missing.get(mid, [])) for mid in municipality_ids}
    holdings = defaultdict(list)  # the lists that count for the average list length (utjamning)
    for (municipality_id, list_id, n, listetak, behovsindeks, doctor_id, driftsform, avtale_fra,
         holder_from, listenummer) in inputs.counts:
        if doctor_id is not None and driftsform in ("naeringsdrivende", "fastlonnet"):
            holdings[municipality_id].append(rules.UtjamningHolding(list_id, listenummer, doctor_id, driftsform, n))
        if rate is None:
            continue
        kept = rules.kept_by_municipality(driftsform)
        # grunntilskudd follows the doctor's fastlegeavtale, not the list (docs/grants.md, docs/grants.md)
        case, _ = rules.paying_case(covering.get(list_id, []), rules.Holding(doctor_id, driftsform, avtale_fra,
                                                                      holder_from))
        for line in rules.month_lines(n=n, listetak=listetak, rate=rate, month=month, behovsindeks=behovsindeks,
                                      grunntilskudd_covers=case is not None):
            results[municipality_id].lines.append(LedgerLine(
                list_id=list_id, doctor_id=doctor_id, kept=kept, kind=line.kind, quantity=line.quantity,
                annual_rate=line.annual_rate, amount=line.amount,
                explanation=line.explanation + (KEPT_SUFFIX if kept else ""), estimate=rate.is_estimate,
                case_ref=case.ref if case and line.kind == rules.KIND_GRUNNTILSKUDD else "",
            ))
    for municipality_id, lines in inputs.agreement_lines.items():
        results[municipality_id].lines.extend(lines)
    for municipality_id, result in results.items():
        outcome = rules.utjamning_lines(parameter=parameter, population=inputs.populations.get(municipality_id),
                                        holdings=holdings[municipality_id])
        result.utjamning = outcome.as_dict()
        result.lines.extend(LedgerLine(
            list_id=line.list_id, doctor_id=line.doctor_id, kept=False, kind=line.line.kind,
            quantity=line.line.quantity, annual_rate=line.line.annual_rate, amount=line.line.amount,
            explanation=line.line.explanation, estimate=parameter.is_estimate) for line in outcome.lines)
    for result in results.values():
        result.uses_estimate = bool(rate and rate.is_estimate and result.lines)
    return results


def compute_month(municipality_id: int, month: date, *, rates=None) -> Computation:
    return compute_months([municipality_id], month, rates=rates)[municipality_id]


def _agreement_lines(municipality_ids: list[int], month: date) -> dict[int, list[LedgerLine]]:
    """Prorated `introduksjon` and `alis` lines per municipality (payee: the agreement's doctor)."""
    alis = [{**a, "annual": a["annual_payment"]} for a in agreements_paying(municipality_ids, month)]
    lines = defaultdict(list)
    for kind, prefix, agreements in ((rules.KIND_INTRODUKSJON, "introduksjon", selectors.introduksjon_paying(
            municipality_ids, month)), (rules.KIND_ALIS, "alis", alis)):
        for agreement in agreements:
            line = rules.prorated_line(kind=kind, annual=agreement["annual"], start=agreement["start"],
                                       end=agreement["end"], month=month)
            if line is not None:
                lines[agreement["municipality_id"]].append(LedgerLine(
                    list_id=None, doctor_id=agreement["doctor_id"], kept=False, kind=kind, quantity=line.quantity,
                    annual_rate=line.annual_rate, amount=line.amount, explanation=line.explanation,
                    case_ref=f"{prefix}:{agreement['id']}"))
    return lines


# --- writes -----------------------------------------------------------------------------------------------


def _locked_months(municipality_ids: list[int], month: date) -> dict[int, PaymentMonth]:
    """The PaymentMonth rows, created when missing, locked for this transaction in a fixed order (one run per
    key at a time, and no deadlock between a single run and a national one)."""
    PaymentMonth.objects.bulk_create([PaymentMonth(municipality_id=mid, month=month) for mid in municipality_ids],
                                     ignore_conflicts=True)
    locked = PaymentMonth.objects.select_for_update().filter(municipality_id__in=municipality_ids, month=month)
    return {pm.municipality_id: pm for pm in locked.order_by("pk")}


def _locked_month(municipality_id: int, month: date) -> PaymentMonth:
    return _locked_months([municipality_id], month)[municipality_id]


def _stored_key(line: PaymentLine):
    return (line.patient_list_id, line.doctor_id, line.kept_by_municipality, line.kind, line.quantity,
            line.annual_rate, line.amount, line.explanation, line.estimate, line.case_ref)


def _quantity(value) -> Decimal | None:
    """As the database gives it back (numeric, 4 places), so stored and new lines compare and sort alike."""
    return None if value is None else Decimal(value).quantize(rules.QUANTITY_PLACES)


def _new_key(line: LedgerLine):
    return (line.list_id, line.doctor_id, line.kept, line.kind, _quantity(line.quantity), line.annual_rate,
            line.amount, line.explanation, line.estimate, line.case_ref)


LINE_COLUMNS = ("municipality_id", "month", "patient_list_id", "doctor_id", "kept_by_municipality", "kind",
                "corrected_kind", "quantity", "annual_rate", "amount", "explanation", "estimate", "case_ref")


def _line_values(line: LedgerLine, municipality_id: int, month: date) -> tuple:
    return (municipality_id, month, line.list_id, line.doctor_id, line.kept, line.kind, "", _quantity(line.quantity),
            line.annual_rate, line.amount, line.explanation, line.estimate, line.case_ref)


def _insert_lines(values: list[tuple]) -> None:
    """New computed lines, set-based: one COPY on PostgreSQL (no model instance per line), batched multi-row
    INSERTs elsewhere (SQLite, `make run`)."""
    if not values:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {PaymentLine._meta.db_table} ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    PaymentLine.objects.bulk_create([PaymentLine(**dict(zip(LINE_COLUMNS, row, strict=True))) for row in values],
                                    batch_size=5000)


def _stored_lines(municipality_ids: list[int], month: date) -> dict[int, list]:
    """The computed (non-correction) lines now stored, as comparable tuples per municipality — one query."""
    stored = defaultdict(list)
    for row in PaymentLine.objects.filter(municipality_id__in=municipality_ids, month=month).exclude(
            kind=rules.KIND_KORREKSJON).values_list(
            "municipality_id", "patient_list_id", "doctor_id", "kept_by_municipality", "kind", "quantity",
            "annual_rate", "amount", "explanation", "estimate", "case_ref"):
        stored[row[0]].append(row[1:])
    return stored


def _replace_lines(open_months: list[PaymentMonth], computations: dict[int, Computation]) -> set[int]:
    """Swap the open months' computed lines for the new ones where they differ; the ids that changed."""
    if not open_months:
        return set()
    month = open_months[0].month
    ids = [pm.municipality_id for pm in open_months]
    stored = _stored_lines(ids, month)
    changed = {mid for mid in ids if sorted(stored.get(mid, []), key=repr)
               != sorted(map(_new_key, computations[mid].lines), key=repr)}
    if changed:
        PaymentLine.objects.filter(municipality_id__in=changed, month=month).exclude(
            kind=rules.KIND_KORREKSJON).delete()
        _insert_lines([_line_values(line, mid, month) for mid in sorted(changed) for line in computations[mid].lines])
    return changed


def _store_computed(open_months: list[PaymentMonth], now) -> None:
    """missing_counts, uses_estimate, utjamning and computed_at of the open months: one UPDATE … FROM unnest on
    PostgreSQL (bulk_update's CASE per row and field cost half a second for the 357 municipalities)."""
    if not open_months:
        return
    if connection.vendor != "postgresql":
        PaymentMonth.objects.bulk_update(open_months, ["missing_counts", "uses_estimate", "utjamning", "computed_at"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PaymentMonth._meta.db_table} pm SET missing_counts = v.missing::jsonb, "
            "uses_estimate = v.estimate, utjamning = v.utjamning::jsonb, computed_at = %s FROM unnest(%s::bigint[], "
            "%s::text[], %s::boolean[], %s::text[]) AS v(id, missing, estimate, utjamning) WHERE pm.id = v.id",
            [now, [pm.pk for pm in open_months], [json.dumps(pm.missing_counts) for pm in open_months],
             [pm.uses_estimate for pm in open_months], [json.dumps(pm.utjamning) for pm in open_months]])


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
    month after the closed one that is not closed (docs/payments.md). Repeating it books nothing more."""
    municipality_id, month = closed.municipality_id, closed.month
    lines = PaymentLine.objects.filter(municipality_id=municipality_id)
    closed_amounts = _sums(lines.filter(month=month).exclude(kind=rules.KIND_KORREKSJON), "kind")
    booked = _sums(lines.filter(corrects_month=month, kind=rules.KIND_KORREKSJON), "corrected_kind")
    new_amounts, new_rates = defaultdict(Decimal), {}
    # a korreksjon of a control calculation (utjamning with an estimated parameter) is one too: never paid
    control = set(lines.filter(month=month, kind=rules.KIND_UTJAMNING, estimate=True).values_list(
        "patient_list_id", "doctor_id", "kept_by_municipality", "kind"))
    for line in computation.lines:
        new_amounts[line.key] += line.amount
        new_rates[line.key] = line.annual_rate
        if line.kind == rules.KIND_UTJAMNING and line.estimate:
            control.add(line.key)
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
            annual_rate=new_rates.get(key), amount=difference, estimate=key in control,
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
    utjamning: str = ""  # "mangler innbyggertall", "utjamning er ikke beregnet før juli 2023" or ""


def recompute_months(*, municipality_ids: list[int], month: date) -> dict[int, Outcome]:
    """Recompute municipality-months (docs/payments.md): an open month's computed lines are replaced atomically
    (booked corrections kept); a closed month is left as it is and the differences are booked as `korreksjon`
    in the earliest open month after it. Idempotent, one run at a time per key (row locks), set-based: the
    number of queries does not grow with the number of lists or (for open months) municipalities."""
    with transaction.atomic():
        months = _locked_months(municipality_ids, month)
        notify("recompute", 0, 10)
        computations = compute_months(list(months), month)
        notify("recompute", 0, 60)
        open_months = [pm for pm in months.values() if not pm.is_closed]
        changed = _replace_lines(open_months, computations)
        corrections = {pm.municipality_id: _book_corrections(pm, computations[pm.municipality_id])
                       for pm in months.values() if pm.is_closed}
        now = timezone.now()
        for pm in open_months:
            pm.missing_counts = computations[pm.municipality_id].missing
            pm.uses_estimate = computations[pm.municipality_id].uses_estimate
            pm.utjamning = computations[pm.municipality_id].utjamning
            pm.computed_at = now
            if pm.municipality_id in changed and pm.status == PaymentMonth.Status.ATTESTED:
                _withdraw_attestation(pm, "Linjene endret seg ved ny beregning")
                pm.save()  # with history: an attestation withdrawn is worth a record
        _store_computed(open_months, now)
        totals = {row["municipality_id"]: row for row in PaymentLine.objects.filter(
            municipality_id__in=municipality_ids, month=month).order_by().values("municipality_id").annotate(
            total=Sum("amount"), lines=Count("pk"))}
    notify("recompute", 0, 100)
    return {mid: Outcome(lines=totals.get(mid, {}).get("lines", 0),
                         total=totals.get(mid, {}).get("total") or Decimal("0.00"),
                         missing=len(months[mid].missing_counts), corrections=corrections.get(mid, 0),
                         changed=mid in changed, utjamning=_utjamning_note(computations[mid]))
            for mid in municipality_ids}


def _utjamning_note(computation: Computation) -> str:
    """The run report's word on utjamning (docs/payments.md): of the computation, also for a closed month."""
    with translation.override("nb"):
        return str(UTJAMNING_MESSAGES.get(computation.utjamning.get("status"), ""))


def recompute_month(*, municipality_id: int, month: date) -> Outcome:
    return recompute_months(municipality_ids=[municipality_id], month=month)[municipality_id]


# --- runs (what the browser, the API and the tasks start) -------------------------------------------------


def start_recompute(*, municipality: Municipality, month: date, user=None, trigger="manual") -> PaymentRun:
    """Queue a recompute; the task is sent when the surrounding transaction commits (docs/operations.md)."""
    run = PaymentRun.objects.create(municipality=municipality, month=month, started_by=user, trigger=trigger)
    transaction.on_commit(lambda: _queue(recompute_month_task, [run.pk], run.pk))
    return run


QUEUE_DOWN = "Beregningen kunne ikke startes fordi køtjenesten ikke svarer. Ingenting er endret; prøv igjen om litt."


def _queue(task, run_ids: list[int], argument) -> None:
    """Send the task; if the broker is down, mark the runs failed with a message the page shows."""
    if not send(task, argument):
        PaymentRun.objects.filter(pk__in=run_ids).update(status=PaymentRun.Status.FAILED, message=QUEUE_DOWN,
                                                         finished_at=timezone.now())


def start_recompute_many(*, municipalities, month: date, user=None, trigger="import") -> list[PaymentRun]:
    """One run row per municipality (the pages show them), carried out by one task: one set-based recompute of
    the month for all of them (docs/performance.md)."""
    return start_recompute_keys(keys=[(m, month) for m in municipalities], user=user, trigger=trigger)


def start_recompute_keys(*, keys, user=None, trigger="import", import_job_id: int | None = None) -> list[PaymentRun]:
    """One run row per (municipality, month), carried out by one task month by month: each month's inputs are
    fetched once for all its municipalities and its lines written set-based (what an import starts; docs/import.md).
    The runs of a month finish together; `import_job_id` lets the import's page follow them."""
    runs = PaymentRun.objects.bulk_create([
        PaymentRun(municipality=municipality, month=month, started_by=user, trigger=trigger,
                   import_job_id=import_job_id) for municipality, month in keys])
    if runs:
        ids = [run.pk for run in runs]
        transaction.on_commit(lambda: _queue(recompute_runs_task, ids, ids))
    return runs


def start_recompute_months(*, municipality, months: list[date], user=None, trigger="decision") -> list[PaymentRun]:
    """One run per month of one municipality, carried out together by one task (a decision's months)."""
    runs = PaymentRun.objects.bulk_create([PaymentRun(municipality=municipality, month=month, started_by=user,
                                                      trigger=trigger) for month in months])
    if runs:
        ids = [run.pk for run in runs]
        transaction.on_commit(lambda: _queue(recompute_runs_task, ids, ids))
    return runs


def execute_run(run_id: int) -> PaymentRun:
    """Carry out a queued run (the task's body). A run already finished is left alone (redelivery)."""
    return execute_runs([run_id])[0]


def execute_runs(run_ids: list[int]) -> list[PaymentRun]:
    """Carry out queued runs month by month, one set-based recompute per month for all its municipalities; a month's
    runs are marked done as soon as it is committed, so the pages follow along. Runs already finished are left
    alone (redelivery); when a month fails, it and the months not yet done are marked failed."""
    runs = list(PaymentRun.objects.filter(pk__in=run_ids).order_by("pk"))
    pending = [run for run in runs if run.status not in (PaymentRun.Status.DONE, PaymentRun.Status.FAILED)]
    if not pending:
        return runs
    now = timezone.now()
    for run in pending:
        run.status, run.started_at = PaymentRun.Status.RUNNING, now
    set_progress_many("payment-run", [run.pk for run in pending], 10)
    PaymentRun.objects.filter(pk__in=[run.pk for run in pending]).update(status=PaymentRun.Status.RUNNING,
                                                                         started_at=now)
    by_month = defaultdict(list)
    for run in pending:
        by_month[run.month].append(run)
    for done, (month, month_runs) in enumerate(sorted(by_month.items())):
        try:
            outcomes = recompute_months(municipality_ids=[r.municipality_id for r in month_runs], month=month)
        except Exception as error:
            logger.exception("payment runs %s failed", run_ids)
            failed = [run for later, later_runs in by_month.items() if later >= month for run in later_runs]
            finished = timezone.now()
            for run in failed:
                run.status, run.message = PaymentRun.Status.FAILED, f"Beregningen feilet: {error.__class__.__name__}"
                run.finished_at = finished
            PaymentRun.objects.filter(pk__in=[run.pk for run in failed]).update(
                status=PaymentRun.Status.FAILED, message=failed[0].message, finished_at=finished)
            raise
        now = timezone.now()
        for run in month_runs:
            outcome = outcomes[run.municipality_id]
            run.status, run.finished_at = PaymentRun.Status.DONE, now
            run.lines, run.total, run.missing, run.corrections = (outcome.lines, outcome.total, outcome.missing,
                                                                  outcome.corrections)
        set_progress_many("payment-run", [run.pk for run in month_runs], 100)
        _store_finished(month_runs, now)
        notify("payment-runs", 0, 100 * (done + 1) // len(by_month))
    return runs


def _store_finished(runs: list[PaymentRun], now) -> None:
    """A month's runs done with their outcome: one UPDATE … FROM unnest on PostgreSQL (bulk_update's CASE per row
    and field took seconds for an import's 4 000 runs)."""
    if connection.vendor != "postgresql":
        PaymentRun.objects.bulk_update(runs, ["status", "finished_at", "lines", "total", "missing", "corrections"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PaymentRun._meta.db_table} r SET status = %s, finished_at = %s, lines = v.lines, "
            "total = v.total, missing = v.missing, corrections = v.corrections FROM unnest(%s::bigint[], "
            "%s::int[], %s::numeric[], %s::int[], %s::int[]) AS v(id, lines, total, missing, corrections) "
            "WHERE r.id = v.id",
            [PaymentRun.Status.DONE, now, [run.pk for run in runs], [run.lines for run in runs],
             [run.total for run in runs], [run.missing for run in runs], [run.corrections for run in runs]])


def municipalities_with_lists():
    return Municipality.objects.filter(lists__isnull=False).distinct().order_by("kommunenummer")


def recompute_all(*, month: date, trigger="nightly") -> list[PaymentRun]:
    """Fan out over the municipalities with lists (docs/operations.md): one run each, one task for all of them — one
    task per municipality measured 13× slower for the national month (docs/performance.md)."""
    return start_recompute_many(municipalities=list(municipalities_with_lists()), month=month, trigger=trigger)


# --- closing ----------------------------------------------------------------------------------------------


M = PaymentMonth.Status
# Closing a month is a case of its own: attestasjon, then anvisning by another caseworker; a superuser may reopen
# a closed month with a reason (docs/payments.md). Who may act is grants.permissions; the table says when.
MONTH_WORKFLOW = Workflow(
    Transition(M.OPEN, "attest", M.ATTESTED, CASEWORKER),
    Transition(M.ATTESTED, "authorise", M.CLOSED, CASEWORKER, four_eyes=True),
    Transition(M.CLOSED, "reopen", M.OPEN, SUPERUSER, reason_required=True),
)
NOT_NOW = {"attest": gettext_lazy("Måneden er allerede attestert eller lukket."),
           "authorise": gettext_lazy("Måneden må attesteres før den kan anvises."),
           "reopen": gettext_lazy("Bare lukkede måneder kan gjenåpnes.")}


def _close_step(payment_month: PaymentMonth, action: str, change_reason: str, **fields) -> PaymentMonth:
    """Lock the month, check the table and write the step; the caller has checked who may act."""
    with transaction.atomic():
        locked = PaymentMonth.objects.select_for_update().get(pk=payment_month.pk)
        try:
            step = MONTH_WORKFLOW.transition_for(locked.status, action)
        except TransitionNotAllowed:
            raise ServiceError(str(NOT_NOW[action])) from None
        if step.four_eyes and locked.attested_by_id == fields.get("authorised_by").pk:
            raise ServiceError(gettext("Den som attesterte måneden, kan ikke også anvise den (to personer kreves)."))
        locked.status = step.target
        for name, value in fields.items():
            setattr(locked, name, value)
        locked._change_reason = change_reason
        locked.save()
    return locked


def attest_month(*, payment_month: PaymentMonth, user) -> PaymentMonth:
    """Attestasjon: a caseworker has checked the month's lines (first of the two signatures)."""
    allowed, reason = can_attest(user, payment_month)
    if not allowed:
        raise ServiceError(reason)
    return _close_step(payment_month, "attest", "Attestert", attested_by=user, attested_at=timezone.now())


def authorise_month(*, payment_month: PaymentMonth, user) -> PaymentMonth:
    """Anvisning by a second caseworker: the month is approved for payout and its lines are frozen."""
    allowed, reason = can_authorise(user, payment_month)
    if not allowed:
        raise ServiceError(reason)
    return _close_step(payment_month, "authorise", "Anvist og lukket", authorised_by=user,
                       authorised_at=timezone.now())


def reopen_month(*, payment_month: PaymentMonth, user, reason: str) -> PaymentMonth:
    """Only a superuser, with a reason kept in the history (docs/payments.md)."""
    if not user.is_superuser:
        raise ServiceError(gettext("Bare en superbruker kan gjenåpne en lukket måned."))
    if hasattr(payment_month, "payment_file"):  # payout.PaymentFile: the bank has the money (docs/payments.md)
        raise ServiceError(gettext("Måneden har en betalingsfil og kan ikke gjenåpnes. Senere rettelser føres som "
                                   "korreksjon i neste åpne måned."))
    if not reason.strip():
        raise ServiceError(gettext("Skriv en begrunnelse for gjenåpningen."))
    # The reason is kept only in the history's change reason: it must fit its column and be storable text.
    prefix = f"Gjenåpnet av {user.username}: "
    room = PaymentMonth.history.model._meta.get_field("history_change_reason").max_length - len(prefix)
    if len(reason.strip()) > room:
        raise ServiceError(gettext("Begrunnelsen er for lang: skriv høyst %(room)s tegn.") % {"room": room})
    if "\x00" in reason:
        raise ServiceError(gettext("Begrunnelsen inneholder et ugyldig tegn (NUL). Fjern det og prøv igjen."))
    return _close_step(payment_month, "reopen", prefix + reason.strip(), attested_by=None, attested_at=None,
                       authorised_by=None, authorised_at=None)
