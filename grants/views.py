"""Thin views for the payment ledger (docs/architecture.md "payments") and the rates page."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.months import format_month, month_label, parse_month
from core.progress import progress_of
from core.workflow import ServiceError
from grants import exports, reports, selectors
from grants import personal_data as pd
from grants.models import PaymentLine, PaymentRun, UtjamningParameter
from grants.permissions import can_attest, can_authorise, can_recompute
from grants.services import ledger
from practices.models import Doctor, Role
from practices.permissions import require
from practices.selectors import roles_by_municipality

# Sections other apps add to the month page: payout registers its «Betaling» (request, payment_month) -> HTML in
# its AppConfig.ready() (docs/architecture.md: the app on the left registers in the right one's list).
PAYMENT_MONTH_SECTIONS: list = []


def _month(value: str):
    try:
        return parse_month(value)
    except ValueError:
        raise Http404 from None


def _month_url(municipality, month):
    return reverse("grants:payment_month", args=[municipality.kommunenummer, format_month(month)])


@login_required
def payments_index(request):
    """Months of the current municipality with totals and status; pick a month to open or compute."""
    municipality = request.municipality
    if municipality is None:
        raise Http404
    if request.GET.get("maaned"):
        try:
            return redirect(_month_url(municipality, parse_month(request.GET["maaned"])))
        except ValueError:
            messages.error(request, _("Måned må skrives som ÅÅÅÅ-MM, for eksempel 2020-05."))
    return render(request, "grants/payments_index.html", {
        "municipality": municipality, "months": selectors.month_overview(municipality),
        "this_month": format_month(timezone.localdate().replace(day=1)),
    })


@login_required
def payment_month(request, kommunenummer, month):
    municipality = selectors.municipality_for(request.user, kommunenummer)
    month = _month(month)
    payment_month = selectors.payment_month_for(municipality, month)
    lines = selectors.lines_for(municipalities=[municipality], month=month)
    totals = selectors.totals_by_kind(lines)
    filtered = lines
    kind, list_filter, doctor_filter = (request.GET.get(k, "").strip() for k in ("type", "liste", "lege"))
    if kind:
        filtered = filtered.filter(kind=kind)
    if list_filter:
        filtered = filtered.filter(patient_list__listenummer=list_filter)
    if doctor_filter:
        filtered = filtered.filter(Q(doctor__hpr_nummer=doctor_filter) | Q(doctor__name__icontains=doctor_filter))
    page = Paginator(selectors.export_order(filtered), 100).get_page(request.GET.get("side"))
    run = selectors.runs_for(request.user).filter(municipality=municipality, month=month).first()
    return render(request, "grants/payment_month.html", {
        "municipality": municipality, "month": month, "month_label": month_label(month),
        "payment_month": payment_month, "totals": totals, "page": page, "kinds": PaymentLine.Kind.choices,
        **selectors.month_sums(totals),
        "run": run, "run_progress": _run_progress(run) if run else 0,
        "can_recompute": can_recompute(request.user, municipality),
        "can_attest": can_attest(request.user, payment_month) if payment_month.pk else (False, _(
            "Måneden er ikke beregnet ennå. Beregn den før du attesterer.")),
        "can_authorise": can_authorise(request.user, payment_month),
        "filters": {"type": kind, "liste": list_filter, "lege": doctor_filter},
        "grunntilskudd_not_paying": selectors.grunntilskudd_not_paying(municipality, month),
        "utjamning": selectors.utjamning_summary(payment_month),
        "doctors": lines.exclude(doctor=None).filter(kept_by_municipality=False).values(
            "doctor__hpr_nummer", "doctor__name").distinct().order_by("doctor__name"),
        "sections": [section(request, payment_month) for section in PAYMENT_MONTH_SECTIONS],
        # a month with a payment file cannot be reopened (ledger.reopen_month): the button says so
        "has_payment_file": bool(payment_month.pk) and hasattr(payment_month, "payment_file"),
    })


@login_required
@require_POST
def recompute(request, kommunenummer, month):
    municipality = selectors.municipality_for(request.user, kommunenummer)
    month = _month(month)
    require(can_recompute(request.user, municipality))
    run = ledger.start_recompute(municipality=municipality, month=month, user=request.user)
    run.refresh_from_db()
    if run.status == PaymentRun.Status.DONE:  # without a broker it has run already
        messages.success(request, _("Måneden er beregnet på nytt."))
    elif run.status != PaymentRun.Status.FAILED:
        messages.success(request, _("Beregningen er startet. Siden viser fremdriften og oppdateres når den er ferdig."))
    return redirect(_month_url(municipality, month))


def _run_progress(run: PaymentRun) -> int:
    return progress_of("payment-run", run.pk, run.status, running=10)


@login_required
def run_progress(request, pk):
    """Polled by htmx; reloads the month page when the run has finished."""
    run = get_object_or_404(selectors.runs_for(request.user), pk=pk)
    if run.status in (PaymentRun.Status.DONE, PaymentRun.Status.FAILED):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "grants/_run_progress.html", {"run": run, "run_progress": _run_progress(run)})


CLOSING = {  # the month's steps (grants.services.ledger.MONTH_WORKFLOW): the service and what the user is told
    "attest": (ledger.attest_month, _("Måneden er attestert. En annen saksbehandler må anvise den.")),
    "authorise": (ledger.authorise_month, _("Måneden er anvist og lukket. Linjene er låst.")),
    "reopen": (ledger.reopen_month, _("Måneden er gjenåpnet.")),
}


@login_required
@require_POST
def close_step(request, kommunenummer, month, action):
    """Attest, authorise or reopen a payment month (the URL names the step)."""
    municipality = selectors.municipality_for(request.user, kommunenummer)
    month = _month(month)
    payment_month = selectors.payment_month_for(municipality, month)
    if not payment_month.pk:
        raise Http404
    service, done_message = CLOSING[action]
    reason = {"reason": request.POST.get("reason", "")} if action == "reopen" else {}
    try:
        service(payment_month=payment_month, user=request.user, **reason)
    except ServiceError as error:
        require((False, str(error)))
    messages.success(request, done_message)
    return redirect(_month_url(municipality, month))


def _month_lines(request, kommunenummer, month, fmt):
    """The municipality, the month and its lines, for a page or an export in `fmt` (csv, xlsx)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    municipality = selectors.municipality_for(request.user, kommunenummer)
    month = _month(month)
    return municipality, month, selectors.lines_for(municipalities=[municipality], month=month)


@login_required
def export_lines(request, kommunenummer, month, fmt):
    municipality, month, lines = _month_lines(request, kommunenummer, month, fmt)
    return exports.file_response(exports.LINE_COLUMNS, exports.line_rows(selectors.export_order(lines),
                                                                         as_text=fmt == "csv"),
                                 fmt, f"utbetalinger-{municipality.kommunenummer}-{format_month(month)}")


@login_required
def export_payout(request, kommunenummer, month, fmt):
    municipality, month, lines = _month_lines(request, kommunenummer, month, fmt)
    return exports.file_response(exports.PAYOUT_COLUMNS, exports.payout_rows(selectors.payee_totals(lines),
                                                                             as_text=fmt == "csv"),
                                 fmt, f"utbetalingsoversikt-{municipality.kommunenummer}-{format_month(month)}",
                                 title="Utbetalingsoversikt")


@login_required
def statement(request, kommunenummer, month, hpr):
    """Utbetalingsspesifikasjon: one doctor's lines for the month, for print."""
    municipality, month, lines = _month_lines(request, kommunenummer, month, "csv")
    lines = list(selectors.export_order(lines.filter(doctor__hpr_nummer=hpr, kept_by_municipality=False)))
    if not lines:
        raise Http404
    return render(request, "grants/statement.html", {
        "municipality": municipality, "month": month, "month_label": month_label(month), "lines": lines,
        "doctor": lines[0].doctor, "total": sum(line.amount for line in lines if not line.is_control),
        "payment_month": selectors.payment_month_for(municipality, month),
    })


@login_required
def rates(request):
    return render(request, "grants/rates.html", {"rates": selectors.rates(),
                                                 "utjamning": UtjamningParameter.objects.order_by("valid_from")})


@login_required
def personal_data(request, pk):
    """Superusers: export everything held about a doctor, or erase it when retention allows (docs/personvern.md)."""
    if not request.user.is_superuser:
        require((False, _("Bare superbrukere kan se og slette personopplysninger.")))
    doctor = get_object_or_404(Doctor, pk=pk)
    if request.method == "POST":
        try:
            pd.erase_doctor(doctor=doctor, user=request.user)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Personopplysningene er slettet."))
        return redirect("grants:personal_data", pk=doctor.pk)
    if request.GET.get("format") == "json":
        response = HttpResponse(json.dumps(pd.export_doctor(doctor), ensure_ascii=False, indent=2),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="lege-{doctor.pk}.json"'
        return response
    return render(request, "grants/personal_data.html", {"doctor": doctor, "data": pd.export_doctor(doctor),
                                                         "blockers": pd.erase_blockers(doctor)})


@login_required
def report(request):
    """Per municipality and period: payments by kind and month, active grants and agreements, supervision."""
    municipality = request.municipality
    if municipality is None:
        raise Http404
    # Opens on the year up to the latest month with data (a demo or a late import lies in the past).
    latest = selectors.latest_data_month(municipality) or timezone.localdate().replace(day=1)
    try:
        first = parse_month(request.GET.get("fra") or format_month(latest.replace(month=1)))
        last = parse_month(request.GET.get("til") or format_month(latest))
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("grants:report")
    if last < first:
        first, last = last, first
    rows = reports.report(municipality, first, last)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return exports.file_response(reports.COLUMNS, reports.as_table(rows, as_text=fmt == "csv"), fmt,
                     f"rapport-{municipality.kommunenummer}-{format_month(first)}-{format_month(last)}")
    labels = dict(PaymentLine.Kind.choices)
    return render(request, "grants/report.html", {
        "municipality": municipality, "rows": rows, "totals": reports.totals(rows), "first": first, "last": last,
        "kinds": [(kind, labels[kind]) for kind in reports.KINDS], "latest": latest,
        "empty": not any(row["computed"] for row in rows),
    })


@login_required
def dashboard(request):
    """The start page: my roles here, my worklist and the municipality's figures (docs/architecture.md)."""
    roles = []
    if request.municipality:
        held = roles_by_municipality(request.user).get(request.municipality.pk, set())
        roles = [label for value, label in Role.choices if value in held]
    context = {"roles": roles}
    if request.municipality:
        context.update(selectors.worklist(request.user, request.municipality))
        context.update(selectors.dashboard_figures(request.user, request.municipality))
    return render(request, "dashboard.html", context)
