"""Thin views for grunntilskudd and introduksjonsavtaler: one set of views, two kinds of case (docs/grants.md)."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.forms import form_service
from core.months import first_of_month
from core.workflow import Forbidden, ServiceError, TransitionNotAllowed
from grants import rules, selectors
from grants.forms import AllotmentForm, DecisionForm, GrunntilskuddForm, IntroduksjonForm
from grants.models import EVER_GRANTED, CaseStatus, GrunntilskuddApplication, IntroductionAllotment, IntroduksjonsAvtale
from grants.services import cases, letters
from practices.models import Doctor, Role
from practices.permissions import can_administer, is_member, require
from practices.selectors import municipalities_for


@dataclass(frozen=True)
class Kind:
    slug: str
    model: type
    form: type
    title: str
    singular: str
    noun: str  # the case as the subject of a confirmation: "Søknaden er innvilget."


KINDS = {
    "grunntilskudd": Kind("grunntilskudd", GrunntilskuddApplication, GrunntilskuddForm, gettext_lazy("Grunntilskudd"),
                          gettext_lazy("søknad om grunntilskudd"), gettext_lazy("Søknaden")),
    "introduksjon": Kind("introduksjon", IntroduksjonsAvtale, IntroduksjonForm, gettext_lazy("Introduksjonsavtaler"),
                         gettext_lazy("introduksjonsavtale"), gettext_lazy("Avtalen")),
}


def _kind(slug) -> Kind:
    return KINDS[slug]


def _case(request, kind: Kind, pk):
    related = ["municipality", "created_by", "submitted_by", "decided_by", "doctor"]
    if kind.slug == "grunntilskudd":
        related += ["patient_list__practice"]
    else:
        related += ["practice"]
    return get_object_or_404(selectors.cases_for(request.user, kind.model).select_related(*related), pk=pk)


def _can_create(user) -> tuple[bool, str]:
    if municipalities_for(user, roles=[Role.ADMINISTRATOR]).exists():
        return True, ""
    return False, _("Bare kommuneadministratorer kan opprette saker.")


@login_required
def case_index(request, kind):
    kind = _kind(kind)
    queryset = selectors.cases_for(request.user, kind.model).filter(municipality=request.municipality)
    status = request.GET.get("status", "")
    if status in CaseStatus.values:
        queryset = queryset.filter(status=status)
    queryset = queryset.select_related("doctor", *(["patient_list"] if kind.slug == "grunntilskudd" else
                                                   ["practice"])).order_by("-created_at")
    counts = dict(selectors.cases_for(request.user, kind.model).filter(municipality=request.municipality)
                  .order_by().values_list("status").annotate(n=Count("pk")))
    context = {"kind": kind, "page": Paginator(queryset, 50).get_page(request.GET.get("side")),
               "status": status, "statuses": [(s, label, counts.get(s, 0)) for s, label in CaseStatus.choices],
               "can_create": _can_create(request.user)}
    if kind.slug == "introduksjon" and request.municipality:
        context["allotments"] = IntroductionAllotment.objects.filter(municipality=request.municipality)
        context["allotted"] = cases.allotted(request.municipality)
        context["allotment_form"] = AllotmentForm(user=request.user, initial={"municipality": request.municipality})
    return render(request, "grants/case_index.html", context)


@login_required
def case_edit(request, kind, pk=None):
    kind = _kind(kind)
    instance = _case(request, kind, pk) if pk else None
    # A draft is edited in its own municipality, never moved (the service checks the same).
    require(can_administer(request.user, instance.municipality) if instance else _can_create(request.user))
    form = kind.form(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if kind.slug == "grunntilskudd":
            case = form_service(form, cases.save_grunntilskudd_draft, user=request.user, case=instance,
                                patient_list=data["patient_list"], avtale_fra=data["avtale_fra"],
                                saksnummer=data["saksnummer"])
        else:
            case = form_service(form, cases.save_introduksjon_draft, user=request.user, case=instance,
                                practice=data["practice"], hpr_nummer=data["hpr_nummer"],
                                doctor_name=data["doctor_name"], host_lists=data["host_lists"],
                                start_date=data["start_date"], end_date=data["end_date"],
                                position_percent=data["position_percent"],
                                annual_contribution=data["annual_contribution"], saksnummer=data["saksnummer"])
        if case:
            messages.success(request, _("Utkastet er lagret. Se vilkårene og send inn saken."))
            return redirect(f"grants:{kind.slug}_detail", pk=case.pk)
    return render(request, "grants/case_form.html", {"form": form, "kind": kind, "case": instance})


@login_required
@require_POST
def case_checks(request, kind):
    """The live eligibility panel (htmx) while the administrator fills in the form."""
    kind = _kind(kind)
    form = kind.form(request.POST, user=request.user)
    form.is_valid()
    data, checks = form.cleaned_data, []
    try:
        if kind.slug == "grunntilskudd" and data.get("patient_list"):
            holder = cases.holder_on(data["patient_list"], cases.today())
            checks = cases.grunntilskudd_checks(patient_list=data["patient_list"], doctor=holder.doctor if holder
                                                else None, avtale_fra=data.get("avtale_fra"), on=cases.today())
        elif kind.slug == "introduksjon" and data.get("practice") and data.get("start_date") and data.get(
                "end_date") and data.get("position_percent"):
            doctor = Doctor.objects.filter(hpr_nummer=data.get("hpr_nummer", "")).first() or Doctor(
                pk=0, hpr_nummer="", name="")
            checks = cases.introduksjon_checks(
                municipality=data["practice"].municipality, practice=data["practice"], doctor=doctor,
                host_lists=list(data.get("host_lists") or []), start=data["start_date"], end=data["end_date"],
                position_percent=data["position_percent"])
    except (TypeError, ValueError, ZeroDivisionError):
        checks = []
    return render(request, "grants/_checks.html", {"checks": [c.as_dict() for c in checks], "live": True})


@login_required
def case_detail(request, kind, pk):
    kind = _kind(kind)
    case = _case(request, kind, pk)
    live_checks = []
    if case.status == CaseStatus.UTKAST:
        live_checks = [c.as_dict() for c in cases.checks_for(case, on=cases.today())]
    context = {"kind": kind, "case": case, "events": case.events.select_related("user"),
               "letters": letters.letters_of(case),
               "member": is_member(request.user, case.municipality), "decision_form": DecisionForm(),
               "checks": case.checks or live_checks, "checks_failing": any(not c["ok"] for c in case.checks),
               "can_edit": case.status == CaseStatus.UTKAST and can_administer(request.user, case.municipality)[0]}
    context["actions"] = cases.ENGINE.actions(request.user, case) if context["member"] else []
    if kind.slug == "grunntilskudd":
        context["coverage"] = rules.grunntilskudd_coverage(case.avtale_fra) if case.avtale_fra else None
        context["payments"] = selectors.grunntilskudd_months(case, until=first_of_month(cases.today()))
    else:
        context["host_lists"] = case.host_lists.select_related("municipality")
    if case.status in EVER_GRANTED:
        context["payments_state"] = selectors.case_payments_state(case, today=cases.today())
    return render(request, "grants/case_detail.html", context)


DONE = {  # what the user is told after a step; %(what)s is "Søknaden" or "Avtalen"
    "submit": _("Saken er sendt inn. En saksbehandler avgjør den."),
    "approve": _("%(what)s er innvilget. Utbetalingene beregnes på nytt for månedene vedtaket gjelder."),
    "reject": _("%(what)s er avslått."),
    "appeal": _("Klagen er registrert. En saksbehandler avgjør saken på nytt."),
    "terminate": _("%(what)s er avsluttet. Utbetalingene beregnes på nytt fra avslutningsdatoen."),
}


@login_required
@require_POST
def case_action(request, kind, pk, action):
    kind = _kind(kind)
    case = _case(request, kind, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        cases.transition(case, action=action, user=request.user, reason=form.cleaned_data.get("reason", ""),
                         override_reason=form.cleaned_data.get("override_reason", ""),
                         on=form.cleaned_data.get("date"))
    except Forbidden as error:
        require((False, str(error)))
    except (ServiceError, TransitionNotAllowed) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, DONE[action] % {"what": kind.noun})
    return redirect(f"grants:{kind.slug}_detail", pk=case.pk)


@login_required
def case_letter(request, kind, pk):
    """The latest decision letter (*enkeltvedtak*) for print, or the notice of a registered appeal."""
    kind = _kind(kind)
    case = _case(request, kind, pk)
    if case.status in (CaseStatus.UTKAST, CaseStatus.INNSENDT):
        raise Http404
    event = None if case.status == CaseStatus.PAAKLAGET else letters.letter_events(case).last()
    if event is None and case.status != CaseStatus.PAAKLAGET:
        raise Http404
    return render(request, "grants/case_letter.html", {"kind": kind, **letters.context(case, event)})


@login_required
@require_GET
def case_letter_pdf(request, kind, pk, event_pk):
    """A decision's PDF as it was made (docs/grants.md), to the users who may see the case."""
    kind = _kind(kind)
    case = _case(request, kind, pk)
    event = get_object_or_404(case.events.filter(action__in=letters.LETTER_ACTIONS), pk=event_pk)
    letter = letters.letter_for(case, event)
    if letter is None:
        raise Http404(_("Brevet til dette vedtaket finnes ikke."))
    return FileResponse(letter.file.open("rb"), as_attachment=True, filename=letter.filename,
                        content_type="application/pdf")


@login_required
@require_POST
def allotment_create(request):
    form = AllotmentForm(request.POST, user=request.user)
    if not form.is_valid():
        require((False, _("Bare kommuneadministratorer kan registrere tildelinger.")) if "municipality" in
                form.errors else (True, ""))
        messages.error(request, _("Tildelingen ble ikke lagret: ") + "; ".join(
            f"{form.fields[f].label if f in form.fields else ''} {' '.join(e)}" for f, e in form.errors.items()))
        return redirect("grants:introduksjon_index")
    try:
        cases.record_allotment(allotment=form.save(commit=False), user=request.user)
    except Forbidden as error:
        require((False, str(error)))
    messages.success(request, _("Tildelingen er registrert."))
    return redirect("grants:introduksjon_index")
