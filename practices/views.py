"""Thin views for practices, lists and doctors (docs/architecture.md); import views are in import_views.py."""


from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.months import format_month

from .forms import DoctorForm, PatientListForm, PracticeForm
from .middleware import SESSION_KEY
from .models import Role
from .permissions import can_administer, can_edit_doctor, require
from .selectors import (
    DOCTOR_DOCUMENTS,
    doctors_for,
    list_counts,
    list_holders,
    list_table,
    municipalities_for,
    practices_for,
)
from .selectors import (
    list_detail as select_list,
)
from .services import doctor_save, list_save, practice_save

PAGE_SIZE = 50
LIST_SORTS = {
    "listenummer": "listenummer", "legekontor": "practice__name", "lege": "holder_name",
    "pasienter": "latest_count", "listetak": "listetak", "fyllingsgrad": "fill_permille",
}


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("side"))


def _sorted(request, queryset, sorts, default):
    key = request.GET.get("sorter", default)
    field = sorts.get(key.lstrip("-"), sorts[default])
    return queryset.order_by(("-" if key.startswith("-") else "") + field, "pk"), key


def _save(form, service):
    """The saved object, or None when the form (or the service's check) has errors to show."""
    if form.is_bound and form.is_valid():
        try:
            return service(form.save(commit=False))
        except ValidationError as error:
            form.add_error(None, error)
    return None


@login_required
def list_index(request):
    queryset = list_table(request.user, municipality=request.municipality)
    search = request.GET.get("q", "").strip()
    if search:
        queryset = queryset.filter(Q(listenummer__icontains=search) | Q(practice__name__icontains=search)
                                   | Q(holders__doctor__name__icontains=search)).distinct()
    if request.GET.get("ubesatt"):
        queryset = queryset.filter(holder_driftsform="ubesatt")
    queryset, sort = _sorted(request, queryset, LIST_SORTS, "listenummer")
    can_edit = request.municipality and can_administer(request.user, request.municipality)[0]
    return render(request, "practices/list_index.html", {
        "page": _page(request, queryset), "sort": sort, "q": search, "can_edit": can_edit,
    })


@login_required
def list_detail(request, pk):
    patient_list = select_list(request.user, pk)
    counts = list(list_counts(patient_list))
    chart = {
        "labels": [format_month(c.month) for c in counts],
        "patients": [c.antall_pasienter for c in counts],
        "listetak": [c.listetak for c in counts],
    }
    return render(request, "practices/list_detail.html", {
        "list": patient_list, "counts": counts[::-1], "holders": list_holders(patient_list),
        "chart": chart, "can_edit": can_administer(request.user, patient_list.municipality)[0],
    })


def _edit(request, instance, form_class, save, *, refused, detail_view, title):
    """The page that creates (`instance` None) or edits a list or practice: an administrator of its municipality
    may edit it, one of any municipality may create one. `title()` is called after validation, when a rejected
    form has put the posted values on the instance."""
    if instance:
        require(can_administer(request.user, instance.municipality))
    elif not municipalities_for(request.user, roles=[Role.ADMINISTRATOR]).exists():
        require((False, refused))
    form = form_class(request.POST or None, instance=instance, user=request.user)
    saved = _save(form, save)
    if saved:
        return redirect(detail_view, pk=saved.pk)
    return render(request, "practices/form.html", {"form": form, "title": title()})


@login_required
def list_edit(request, pk=None):
    instance = select_list(request.user, pk) if pk else None
    return _edit(
        request, instance, PatientListForm, lambda obj: list_save(patient_list=obj, user=request.user),
        refused=_("Bare kommuneadministratorer kan opprette lister."), detail_view="practices:list_detail",
        title=lambda: _("Endre liste %(list)s") % {"list": instance} if instance else _("Ny liste"),
    )


@login_required
def practice_index(request):
    queryset = practices_for(request.user).select_related("municipality")
    municipality = request.GET.get("kommune", "")
    if municipality:
        queryset = queryset.filter(municipality__kommunenummer=municipality)
    elif request.municipality:
        queryset = queryset.filter(municipality=request.municipality)
    search = request.GET.get("q", "").strip()
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(organisasjonsnummer__icontains=search))
    queryset, sort = _sorted(request, queryset, {"navn": "name", "orgnr": "organisasjonsnummer"}, "navn")
    can_edit = request.municipality and can_administer(request.user, request.municipality)[0]
    return render(request, "practices/practice_index.html", {
        "page": _page(request, queryset), "sort": sort, "q": search, "kommune": municipality,
        "can_edit": can_edit,
    })


@login_required
def practice_detail(request, pk):
    practice = get_object_or_404(practices_for(request.user).select_related("municipality"), pk=pk)
    lists = list_table(request.user).filter(practice=practice).order_by("listenummer")
    return render(request, "practices/practice_detail.html", {
        "practice": practice, "lists": lists,
        "can_edit": can_administer(request.user, practice.municipality)[0],
    })


@login_required
def practice_edit(request, pk=None):
    instance = get_object_or_404(practices_for(request.user), pk=pk) if pk else None
    return _edit(
        request, instance, PracticeForm, lambda obj: practice_save(practice=obj, user=request.user),
        refused=_("Bare kommuneadministratorer kan opprette legekontor."), detail_view="practices:practice_detail",
        title=lambda: _("Endre %(name)s") % {"name": instance} if instance else _("Nytt legekontor"),
    )


@login_required
def doctor_detail(request, pk):
    doctor = get_object_or_404(doctors_for(request.user), pk=pk)
    holdings = doctor.holdings.filter(patient_list__municipality__in=request.municipalities).select_related(
        "patient_list__municipality", "patient_list__practice").order_by("-from_month")
    can_edit = can_edit_doctor(request.user, doctor)[0]
    documents = [row for source in DOCTOR_DOCUMENTS for row in source(doctor, request.municipalities)]
    return render(request, "practices/doctor_detail.html", {
        "doctor": doctor, "holdings": holdings, "can_edit": can_edit, "documents": documents})


@login_required
def doctor_edit(request, pk):
    doctor = get_object_or_404(doctors_for(request.user), pk=pk)
    require(can_edit_doctor(request.user, doctor))
    form = DoctorForm(request.POST or None, instance=doctor)
    if _save(form, lambda obj: doctor_save(doctor=obj, user=request.user)):
        return redirect("practices:doctor_detail", pk=doctor.pk)
    return render(request, "practices/form.html", {"form": form, "title": _("Endre %(name)s") % {"name": doctor}})


@login_required
@require_POST
def switch_municipality(request):
    """Remember the chosen municipality; only one of the user's own can be chosen."""
    chosen = request.POST.get("municipality", "")
    for municipality in request.municipalities:
        if str(municipality.pk) == chosen:
            request.session[SESSION_KEY] = municipality.pk
            break
    target = request.POST.get("next", "")
    # Only a path on this site; anything else (a view name, "x", a foreign host) goes to the dashboard. Not
    # redirect(target): it would try `target` as a view name and fail with a 500 on text like "abc".
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                                        require_https=request.is_secure())):
        target = reverse("dashboard")
    return HttpResponseRedirect(target)
