"""The superusers' population page (docs/import.md, «Innbyggertall»): inhabitants on 1 January per municipality and
year (SSB table 07459), entered or corrected one at a time; files go through `import_population`."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import form_service

from .models import Municipality, Population
from .services.population import save_population


class PopulationForm(forms.Form):
    municipality = forms.ModelChoiceField(label=gettext_lazy("Kommune"), queryset=Municipality.objects.order_by(
        "kommunenummer"))
    year = forms.IntegerField(label=gettext_lazy("År (1. januar)"), min_value=2000, max_value=2099)
    inhabitants = forms.IntegerField(label=gettext_lazy("Innbyggere"), min_value=0)


@login_required
def population(request):
    if not request.user.is_superuser:
        raise PermissionDenied(_("Bare superbrukere kan registrere innbyggertall."))
    form = PopulationForm(request.POST or None, initial={
        "municipality": request.GET.get("kommune"), "year": request.GET.get("aar")})
    if request.method == "POST" and form.is_valid():
        saved = form_service(form, save_population, user=request.user, **form.cleaned_data)
        if saved is not None:
            messages.success(request, _("Lagret: %(municipality)s %(year)s, %(inhabitants)s innbyggere.") % {
                "municipality": saved.municipality, "year": saved.year, "inhabitants": saved.inhabitants})
            return redirect("practices:population")
    rows = Population.objects.select_related("municipality").order_by("-year", "municipality__kommunenummer")
    year = request.GET.get("filter_aar", "").strip()
    if year.isdigit():
        rows = rows.filter(year=int(year))
    page = Paginator(rows, 100).get_page(request.GET.get("side"))
    return render(request, "practices/population.html", {"form": form, "page": page, "filter_year": year})
