from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from core.months import format_month, parse_month
from grants.models import RateSchedule
from practices.models import Municipality
from practices.selectors import municipalities_for
from scenarios import permissions
from scenarios.models import Scenario
from scenarios.services import scenario_errors

AS_IN_FORCE = _("Tomt: som gjeldende sats den måneden.")


class MonthField(forms.Field):
    """A month as `2020-05` (an <input type="month">), cleaned to the 1st of the month."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "ÅÅÅÅ-MM"})

    def prepare_value(self, value):
        return format_month(value) if hasattr(value, "year") else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_month(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class ScenarioForm(forms.ModelForm):
    period_from = MonthField(label=_("Fra måned"))
    period_to = MonthField(label=_("Til måned"))
    model = forms.ChoiceField(label=_("Modell"), required=False,
                              choices=[("", _("Som gjeldende sats"))] + list(RateSchedule.Model.choices))

    class Meta:
        model = Scenario
        fields = ["name", "description", "municipalities", "all_municipalities", "period_from", "period_to",
                  "model", "knekkpunkt", "rate_under", "rate_over", "paid_up_to", "no_paid_up_to",
                  "grunntilskudd_floor", "grunntilskudd_months", "introduksjon_percent", "alis_percent",
                  "utjamning_reference", "utjamning_population_limit"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "knekkpunkt": AS_IN_FORCE, "rate_under": _("Eller sats per pasient ved flat og pasienttilpasset modell. ")
            + AS_IN_FORCE, "rate_over": AS_IN_FORCE,
            "paid_up_to": _("Pasienter over dette tallet gir ikke basistilskudd. ") + AS_IN_FORCE,
            "grunntilskudd_floor": _("En liste med grunntilskudd får basistilskudd som om den hadde så mange "
                                     "pasienter (i dag 500)."),
            "grunntilskudd_months": _("Hvor lenge et innvilget grunntilskudd varer (i dag 24 måneder)."),
            "introduksjon_percent": _("100 = som avtalt i hver avtale."),
            "alis_percent": _("100 = som avtalt i hver avtale."),
            "utjamning_reference": _("Tomt: som parametertabellen (i dag 1 200)."),
            "utjamning_population_limit": _("Tomt: som parametertabellen (i dag færre enn 5 000 innbyggere)."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        allowed = (Municipality.objects.all() if user.is_superuser
                   else municipalities_for(user, roles=permissions.CREATE_ROLES))
        field = self.fields["municipalities"]
        field.queryset = allowed.order_by("kommunenummer")
        field.required = False
        field.help_text = _("Kommunene der du er kommuneadministrator eller saksbehandler.")
        field.widget = (forms.CheckboxSelectMultiple() if len(field.queryset) <= 20
                        else forms.SelectMultiple(attrs={"size": 10}))
        field.widget.choices = field.choices
        if not user.is_superuser:
            del self.fields["all_municipalities"]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Navn og omfang"), "name", "description", "municipalities",
                     *(["all_municipalities"] if user.is_superuser else [])),
            Fieldset(_("Periode"), Row(Column("period_from"), Column("period_to"))),
            Fieldset(_("Alternativ satsplan for basistilskudd (kr per pasient og år)"),
                     HTML('<p class="small text-body-secondary">{}</p>'.format(
                         _("La et felt stå tomt for å bruke den virkelige satsen som gjaldt hver måned."))),
                     Row(Column("model"), Column("knekkpunkt")), Row(Column("rate_under"), Column("rate_over")),
                     Row(Column("paid_up_to"), Column("no_paid_up_to", css_class="pt-md-4"))),
            Fieldset(_("Grunntilskudd"), Row(Column("grunntilskudd_floor"), Column("grunntilskudd_months"))),
            Fieldset(_("Introduksjonsavtaler og ALIS"), Row(Column("introduksjon_percent"), Column("alis_percent"))),
            Fieldset(_("Utjamningstilskudd (fra juli 2023)"),
                     Row(Column("utjamning_reference"), Column("utjamning_population_limit"))),
        )
        self.helper.add_input(Submit("submit", _("Lagre og beregn")))

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = Scenario(**{name: cleaned.get(name) for name in self.Meta.fields
                                if name != "municipalities" and name in cleaned})
        candidate.all_municipalities = bool(cleaned.get("all_municipalities"))
        allowed, reason = permissions.can_create(self.user, cleaned.get("municipalities") or [],
                                                 all_municipalities=candidate.all_municipalities)
        if not allowed:
            self.add_error(None, reason)
        for field, message in scenario_errors(candidate, cleaned.get("municipalities") or []).items():
            self.add_error(field, message)
        return cleaned
