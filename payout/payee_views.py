"""Thin views for payees and the municipality's payout settings (docs/payments.md, «Utbetalingsmottakere»): form →
service → redirect; scoped by the current municipality (lists, new objects) and by membership (objects by id)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import form_service
from core.workflow import Forbidden
from grants.models import PaymentLine
from payout import rules, selectors
from payout.models import AccountString, MunicipalityAccount
from payout.payee_forms import PayeeForm, SettingsForm
from payout.permissions import can_confirm_payee, can_enter_payees
from payout.services import payees as services
from practices.models import Doctor
from practices.permissions import require
from practices.selectors import doctor_municipalities

STATUSES = (("venter", gettext_lazy("Venter på bekreftelse")), ("bekreftet", gettext_lazy("Bekreftet")))


def _municipality(request):
    if request.municipality is None:
        raise Http404
    return request.municipality


def _payee(request, pk):
    return get_object_or_404(selectors.payees_for(request.user), pk=pk)


@login_required
def payee_index(request):
    """The current municipality's payees: status, filter on pending, search by name or HPR number."""
    municipality = _municipality(request)
    payees = selectors.payees_for(request.user).filter(municipality=municipality)
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    filtered = payees
    if status == "venter":
        filtered = filtered.filter(confirmed_at__isnull=True)
    elif status == "bekreftet":
        filtered = filtered.filter(confirmed_at__isnull=False)
    if query:
        filtered = filtered.filter(Q(name__icontains=query) | Q(doctor__name__icontains=query)
                                   | Q(doctor__hpr_nummer=query))
    counts = payees.order_by().aggregate(all=Count("pk"), venter=Count("pk", filter=Q(confirmed_at__isnull=True)))
    counts["bekreftet"] = counts["all"] - counts["venter"]
    page = Paginator(filtered.order_by("doctor__name", "doctor__hpr_nummer", "-valid_from", "pk"), 50)
    return render(request, "payout/payees_index.html", {
        "municipality": municipality, "page": page.get_page(request.GET.get("side")), "status": status,
        "query": query, "statuses": [(value, label, counts[value]) for value, label in STATUSES],
        "total": counts["all"], "can_enter": can_enter_payees(request.user, municipality)})


def _doctor_here(hpr: str, municipality) -> Doctor | None:
    """The doctor of a `?lege=` link when she appears in the municipality (a prefill, never a write)."""
    if not (hpr.isascii() and hpr.isdigit() and len(hpr) <= 9):
        return None
    doctor = Doctor.objects.filter(hpr_nummer=hpr).first()
    if doctor is None or municipality.pk not in doctor_municipalities([doctor.pk])[doctor.pk]:
        return None
    return doctor


@login_required
def payee_create(request):
    """A new payee in the current municipality (administrators); `?lege=<hpr>` fills in the doctor."""
    municipality = _municipality(request)
    require(can_enter_payees(request.user, municipality))
    initial = {}
    doctor = _doctor_here(request.GET.get("lege", ""), municipality)
    if doctor is not None:
        initial = {"hpr_nummer": doctor.hpr_nummer, "name": doctor.name}
    form = PayeeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payee = form_service(form, services.save_payee, user=request.user, municipality=municipality,
                             doctor=form.doctor, name=data["name"], organisasjonsnummer=data["organisasjonsnummer"],
                             kontonummer=data["kontonummer"], valid_from=data["valid_from"])
        if payee:
            messages.success(request, _("Mottakeren er registrert. Kontonummeret venter på bekreftelse fra en "
                                        "saksbehandler."))
            return redirect("payout:payee_detail", pk=payee.pk)
    return render(request, "payout/payees_form.html", {"form": form, "municipality": municipality, "payee": None,
                                                       "doctor": doctor})


@login_required
def payee_edit(request, pk):
    """Change a payee (administrators of its municipality); a changed account is pending again."""
    payee = _payee(request, pk)
    require(can_enter_payees(request.user, payee.municipality))
    form = PayeeForm(request.POST or None, payee=payee)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        before = (payee.kontonummer, payee.organisasjonsnummer)
        saved = form_service(form, services.save_payee, user=request.user, municipality=payee.municipality,
                             doctor=payee.doctor, name=data["name"], organisasjonsnummer=data["organisasjonsnummer"],
                             kontonummer=data["kontonummer"], valid_from=data["valid_from"], payee=payee)
        if saved:
            if (saved.kontonummer, saved.organisasjonsnummer) != before:
                messages.success(request, _("Endringen er lagret. Det nye kontonummeret venter på bekreftelse fra "
                                            "en saksbehandler."))
            else:
                messages.success(request, _("Endringen er lagret."))
            return redirect("payout:payee_detail", pk=saved.pk)
    return render(request, "payout/payees_form.html", {"form": form, "municipality": payee.municipality,
                                                       "payee": payee, "doctor": payee.doctor})


@login_required
def payee_detail(request, pk):
    """A payee with its status, the confirm button (or why not) and every change and confirmation."""
    payee = _payee(request, pk)
    return render(request, "payout/payees_detail.html", {
        "payee": payee, "kontonummer": rules.format_kontonummer(payee.kontonummer),
        "history": selectors.payee_history(payee), "can_confirm": can_confirm_payee(request.user, payee),
        "can_edit": can_enter_payees(request.user, payee.municipality)})


@login_required
@require_POST
def payee_confirm(request, pk):
    """Confirm the pending kontonummer: a caseworker of the municipality, not the one who entered it."""
    payee = _payee(request, pk)
    try:
        services.confirm_payee(user=request.user, payee=payee)
    except Forbidden as error:
        require((False, str(error)))
    messages.success(request, _("Kontonummeret er bekreftet. Mottakeren kan nå få utbetalinger."))
    return redirect("payout:payee_detail", pk=payee.pk)


@login_required
def settings(request):
    """«Innstillinger for utbetaling» of the current municipality: its account and the account string per payment
    kind (KOSTRA defaults where none is set). Administrators edit; the others read."""
    municipality = _municipality(request)
    can_edit = can_enter_payees(request.user, municipality)
    account = MunicipalityAccount.objects.filter(municipality=municipality).first()
    stored = {row.kind: row for row in AccountString.objects.filter(municipality=municipality)}
    strings = {kind: ({part: getattr(stored[kind], part) for part in rules.DEFAULT_ACCOUNT_STRING} if kind in stored
                      else dict(rules.DEFAULT_ACCOUNT_STRING)) for kind in PaymentLine.Kind.values}
    form = None
    if can_edit[0]:
        form = SettingsForm(request.POST or None, account=account, strings=strings)
        if request.method == "POST" and form.is_valid():
            done = form_service(form, _save_settings, user=request.user, municipality=municipality,
                                account=form.account(), strings=form.strings())
            if done:
                messages.success(request, _("Innstillingene for utbetaling er lagret."))
                return redirect("payout:settings")
    elif request.method == "POST":
        require(can_edit)
    return render(request, "payout/settings.html", {
        "municipality": municipality, "account": account, "form": form, "can_edit": can_edit,
        "kontonummer": rules.format_kontonummer(account.kontonummer) if account else "",
        "strings": [(kind, label, strings[kind], kind in stored) for kind, label in PaymentLine.Kind.choices],
        "defaults": rules.DEFAULT_ACCOUNT_STRING})


def _save_settings(**kwargs):
    services.save_settings(**kwargs)
    return True
