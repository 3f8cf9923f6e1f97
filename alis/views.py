"""Thin views for ALIS (docs/alis.md): agreements list and overview, the agreement page with its timeline,
decision, supervisor changes, supervision log and compliance bars, and the CSV import of sessions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alis import permissions, rules, selectors, services
from alis.forms import (
    AgreementForm,
    DecisionForm,
    SessionForm,
    SessionImportForm,
    SupervisorChangeForm,
)
from alis.models import AlisAgreement, Status
from alis.services import letters, session_import
from core.forms import add_service_errors, form_service
from core.workflow import Forbidden, ServiceError, TransitionNotAllowed
from practices import import_views
from practices.models import ImportJob
from practices.permissions import is_member, require
from practices.selectors import import_jobs_for

PAGE_SIZE = 50
SESSIONS_PER_PAGE = 20
DECISIONS = ("submit", "approve", "reject", "terminate")


def _municipality(request):
    if request.municipality is None:
        raise Http404
    return request.municipality


@login_required
def agreement_index(request):
    municipality = _municipality(request)
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    behind = bool(request.GET.get("etter"))
    search = request.GET.get("q", "").strip()
    rows = selectors.agreement_table(request.user, municipality=municipality, today=timezone.localdate(),
                                     status=status, behind=behind, search=search)
    return render(request, "alis/agreement_index.html", {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("side")), "statuses": Status.choices,
        "filters": {"status": status, "etter": behind, "q": search},
        "can_create": permissions.can_create(request.user, municipality)[0],
    })


@login_required
def overview(request):
    """Every agreement of the municipality with its compliance, and the state grant income (a report)."""
    municipality = _municipality(request)
    rows = selectors.agreement_table(request.user, municipality=municipality, today=timezone.localdate())
    running = [a for a in rows if a.compliance.running]
    return render(request, "alis/overview.html", {
        "rows": rows, "running": len(running), "behind": sum(1 for a in running if a.compliance.behind),
        "by_status": {label: sum(1 for a in rows if a.status == value) for value, label in Status.choices},
        "grant_years": selectors.state_grant_totals(rows),
        "requirements": selectors.requirement_rows(),
    })


@login_required
def agreement_edit(request, pk=None):
    if pk:
        agreement = selectors.agreement_for(request.user, pk)
        require(permissions.can_edit(request.user, agreement))
        municipality = agreement.municipality
    else:
        municipality = _municipality(request)
        require(permissions.can_create(request.user, municipality))
        agreement = AlisAgreement(municipality=municipality)
    form = AgreementForm(request.POST or None, instance=agreement, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        save = services.agreement_update if pk else services.agreement_create
        if form_service(form, save, agreement=form.save(commit=False), user=request.user):
            messages.success(request, _("Avtalen er lagret som utkast."))
            return redirect("alis:agreement_detail", pk=agreement.pk)
    title = _("Endre ALIS-avtale %(nr)s") % {"nr": agreement.avtalenummer} if pk else _("Ny ALIS-avtale")
    return render(request, "alis/agreement_form.html", {"form": form, "title": title, "agreement": agreement})


def _detail_context(request, agreement, *, session_form=None, change_form=None, decision_form=None):
    today = timezone.localdate()
    timeline = selectors.supervisor_timeline(agreement)
    agreement._timeline = timeline
    supervisors = {entry["supervisor"].pk: entry["supervisor"] for entry in timeline}.values()
    can_log = permissions.can_log_supervision(request.user, agreement)
    actions = {action: permissions.can_act(request.user, agreement, action) for action in DECISIONS}
    allowed_now = {t.action for t in rules.WORKFLOW.allowed(agreement.status)}
    # a submitted agreement is judged on the doctors' data now, as approval will (services.agreement_transition)
    checks = [c.as_dict() for c in services.checks_for(agreement)] if agreement.status in (
        rules.UTKAST, rules.INNSENDT) else agreement.checks
    return {
        "agreement": agreement, "today": today,
        "compliance": selectors.compliance_for([agreement], today=today)[agreement.pk],
        "timeline": timeline,
        "current_supervisor": next((e for e in reversed(timeline) if e["from_date"] <= today), timeline[0])[
            "supervisor"],
        "events": agreement.events.select_related("user"),
        "letters": letters.letters_of(agreement),
        "sessions": Paginator(selectors.sessions_of(agreement), SESSIONS_PER_PAGE).get_page(request.GET.get("side")),
        "can_edit": permissions.can_edit(request.user, agreement),
        "can_log": can_log,
        "can_change_supervisor": permissions.can_change_supervisor(request.user, agreement),
        "actions": {a: r for a, r in actions.items() if a in allowed_now and is_member(request.user,
                                                                                   agreement.municipality)},
        "checks": checks, "checks_failing": any(not c["ok"] for c in checks),
        "session_form": session_form or (SessionForm(agreement=agreement, supervisors=supervisors)
                                         if can_log[0] else None),
        "change_form": change_form or SupervisorChangeForm(),
        "decision_form": decision_form or DecisionForm(),
        "paying": agreement.annual_payment > 0,
    }


@login_required
def agreement_detail(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    return render(request, "alis/agreement_detail.html", _detail_context(request, agreement))


@login_required
@require_GET
def agreement_letter_pdf(request, pk, event_pk):
    """A decision's PDF as it was made (docs/alis.md), to the users who may see the agreement."""
    agreement = selectors.agreement_for(request.user, pk)
    event = get_object_or_404(agreement.events.filter(action__in=letters.LETTER_ACTIONS), pk=event_pk)
    letter = letters.letter_for(agreement, event)
    if letter is None:
        raise Http404
    return FileResponse(letter.file.open("rb"), as_attachment=True, filename=letter.filename,
                        content_type="application/pdf")


@login_required
@require_POST
def agreement_action(request, pk, action):
    """submit, approve, reject, terminate: the view names the button, the service decides."""
    agreement = selectors.agreement_for(request.user, pk)
    if action not in DECISIONS:
        raise Http404
    form = DecisionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        services.agreement_transition(agreement, action=action, user=request.user, reason=data.get("reason", ""),
                                      override_reason=data.get("override_reason", ""), on=data.get("date"))
    except Forbidden as error:
        require((False, str(error)))
    except TransitionNotAllowed:
        messages.error(request, permissions.can_act(request.user, agreement, action)[1])
    except ServiceError as error:
        messages.error(request, str(error))
        add_service_errors(form, error)
        context = _detail_context(request, agreement, decision_form=form)
        context["failed_action"] = action
        return render(request, "alis/agreement_detail.html", context, status=400)
    else:
        done = {"submit": _("Avtalen er sendt inn til saksbehandler."), "approve": _("Avtalen er godkjent."),
                "reject": _("Avtalen er avslått."), "terminate": _("Avtalen er avsluttet.")}
        messages.success(request, done[action])
    return redirect("alis:agreement_detail", pk=agreement.pk)


@login_required
@require_POST
def supervisor_change(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    require(permissions.can_change_supervisor(request.user, agreement))
    form = SupervisorChangeForm(request.POST)
    if form.is_valid() and form_service(form, services.supervisor_change, agreement=agreement, user=request.user,
                                        **form.cleaned_data):
        messages.success(request, _("Bytte av veileder er registrert."))
        return redirect("alis:agreement_detail", pk=agreement.pk)
    context = _detail_context(request, agreement, change_form=form)
    context["open_change"] = True
    return render(request, "alis/agreement_detail.html", context, status=400)


def _session_fields(form) -> dict:
    data = form.cleaned_data
    return {"date": data["date"], "kind": data["kind"], "hours": data["hours"], "supervisor": data.get("supervisor"),
            "group_leader": data.get("group_leader", ""), "note": data.get("note", "")}


def _supervision_response(request, agreement, form, *, status=200, logged=False):
    """The supervision section alone for htmx (log, form and compliance bars), else the whole page; `logged`
    confirms a session just saved."""
    context = _detail_context(request, agreement, session_form=form)
    context["logged"] = logged
    context["htmx"] = bool(request.headers.get("HX-Request"))  # also swaps the behind flag in the heading
    template = "alis/_supervision.html" if context["htmx"] else "alis/agreement_detail.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def session_add(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    require(permissions.can_log_supervision(request.user, agreement))
    supervisors = [e["supervisor"] for e in selectors.supervisor_timeline(agreement)]
    form = SessionForm(request.POST, agreement=agreement, supervisors=supervisors)
    if form.is_valid() and form_service(form, services.session_add, agreement=agreement, user=request.user,
                                        **_session_fields(form)):
        if not request.headers.get("HX-Request"):
            messages.success(request, _("Veiledningen er registrert."))
            return redirect("alis:agreement_detail", pk=agreement.pk)
        agreement.refresh_from_db()
        return _supervision_response(request, agreement, None, logged=True)
    return _supervision_response(request, agreement, form, status=200 if request.headers.get("HX-Request") else 400)


@login_required
def session_edit(request, pk, session_pk):
    session = selectors.session_for(request.user, pk, session_pk)
    agreement = selectors.agreement_for(request.user, pk)
    require(permissions.can_log_supervision(request.user, agreement))
    supervisors = [e["supervisor"] for e in selectors.supervisor_timeline(agreement)]
    form = SessionForm(request.POST or None, instance=session, agreement=agreement, supervisors=supervisors)
    if request.method == "POST" and form.is_valid() and form_service(
            form, services.session_update, session=session, user=request.user, **_session_fields(form)):
        messages.success(request, _("Veiledningen er endret."))
        return redirect("alis:agreement_detail", pk=agreement.pk)
    return render(request, "alis/session_form.html", {"form": form, "agreement": agreement, "session": session})


@login_required
@require_POST
def session_delete(request, pk, session_pk):
    session = selectors.session_for(request.user, pk, session_pk)
    try:
        services.session_delete(session=session, user=request.user)
    except Forbidden as error:
        require((False, str(error)))
    messages.success(request, _("Veiledningen er slettet."))
    return redirect("alis:agreement_detail", pk=pk)


# --- CSV import of sessions -------------------------------------------------------------------------------


def _jobs(user):
    return import_jobs_for(user, kind=ImportJob.Kind.SUPERVISION)


@login_required
def import_index(request):
    allowed, reason = session_import.can_import(request.user)
    form = SessionImportForm(request.POST or None, request.FILES or None)
    job = import_views.upload(request, form, (allowed, reason), session_import.session_import_upload)
    if job is not None:
        return redirect("alis:import_detail", pk=job.pk)
    return render(request, "alis/import_index.html", {
        "form": form, "can_import": allowed, "reason": reason,
        "jobs": _jobs(request.user).select_related("user").order_by("-created_at")[:50],
    })


@login_required
def import_detail(request, pk):
    job = get_object_or_404(_jobs(request.user).select_related("user"), pk=pk)
    return render(request, "alis/import_detail.html", {
        "job": job, "can_confirm": job.user_id == request.user.pk,
        "errors": job.errors[:500], "more_errors": max(0, max(job.error_count, len(job.errors)) - 500),
    })


@login_required
@require_POST
def import_confirm(request, pk):
    job = get_object_or_404(_jobs(request.user), pk=pk)
    return import_views.confirm(request, job, session_import.session_import_confirm, "alis:import_detail")
