"""Forms for ALIS agreements, supervisor changes, supervision sessions, decisions and the CSV import.

Forms check the shape of the input; the rules (and their Norwegian messages) run in the services, whose
refusal is shown on the form by core.forms.form_service."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout, Submit
from django import forms
from django.forms.models import construct_instance
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alis import rules
from alis.models import AlisAgreement, SessionKind, SupervisionSession
from core.forms import DateInput
from practices.forms import ImportForm, import_file_field
from practices.models import Doctor, Practice

DATE = DateInput()


class DoctorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} (HPR {obj.hpr_nummer})"


class HprField(forms.CharField):
    """A doctor by HPR number (doctors are national, docs/architecture.md); cleans to the Doctor."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 9)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self, value):
        value = super().clean(value).replace(" ", "")
        if not value:
            return None
        if not (value.isascii() and value.isdigit()):
            raise forms.ValidationError(_("HPR-nummer består av 1–9 sifre."))
        doctor = Doctor.objects.filter(hpr_nummer=value).first()
        if doctor is None:
            raise forms.ValidationError(_("Ingen lege med HPR-nummer %(hpr)s er registrert. Kontroller nummeret; "
                                          "leger registreres med listedataene.") % {"hpr": value})
        return doctor


class AgreementForm(forms.ModelForm):
    """Create or edit a draft in the current municipality. The rules (people, dates, payment) run in the
    service, which also fills in the default planned end."""

    doctor_hpr = HprField(label=_("ALIS (HPR-nummer)"), help_text=_("Legen i spesialisering."))
    supervisor_hpr = HprField(label=_("Veileder ved start (HPR-nummer)"),
                              help_text=_("Spesialist i allmennmedisin, ikke ALIS-legen selv."))

    class Meta:
        model = AlisAgreement
        fields = ["avtalenummer", "saksnummer", "practice", "start_date", "end_date", "position_percent",
                  "employment_form", "annual_payment", "state_grant_per_year", "state_grant_period_from",
                  "state_grant_period_to", "state_grant_reference"]
        widgets = {"start_date": DATE, "end_date": DATE, "state_grant_period_from": DATE,
                   "state_grant_period_to": DATE}
        help_texts = {
            "end_date": _("Tom: start + 5 år − 1 dag (lengden på spesialistutdanningen)."),
            "annual_payment": _("Det kommunen betaler en næringsdrivende ALIS per år etter avtalen. 0 for en "
                                "ansatt ALIS (lønnen ligger utenfor dette systemet)."),
            "state_grant_per_year": _("Nasjonal ALIS og veiledning: inntekt for kommunen, ikke en utbetaling."),
        }

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.municipality = municipality
        self.fields["end_date"].required = False
        self.fields["practice"].queryset = Practice.objects.filter(municipality=municipality).order_by("name")
        if self.instance.pk:
            self.initial.setdefault("doctor_hpr", self.instance.doctor.hpr_nummer)
            self.initial.setdefault("supervisor_hpr", self.instance.supervisor.hpr_nummer)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Avtalen"),
                     Div(Div("avtalenummer", css_class="col-md-6"), Div("saksnummer", css_class="col-md-6"),
                         css_class="row"),
                     "practice",
                     Div(Div("doctor_hpr", css_class="col-md-6"), Div("supervisor_hpr", css_class="col-md-6"),
                         css_class="row"),
                     Div(Div("start_date", css_class="col-md-6"), Div("end_date", css_class="col-md-6"),
                         css_class="row"),
                     Div(Div("position_percent", css_class="col-md-4"), Div("employment_form", css_class="col-md-4"),
                         Div("annual_payment", css_class="col-md-4"), css_class="row")),
            Fieldset(_("Statstilskudd (inntekt)"), "state_grant_per_year",
                     Div(Div("state_grant_period_from", css_class="col-md-6"),
                         Div("state_grant_period_to", css_class="col-md-6"), css_class="row"),
                     "state_grant_reference"),
        )
        self.helper.add_input(Submit("submit", _("Lagre utkast")))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("doctor_hpr"):
            self.instance.doctor = cleaned["doctor_hpr"]
        if cleaned.get("supervisor_hpr"):
            self.instance.supervisor = cleaned["supervisor_hpr"]
        return cleaned

    def _post_clean(self):
        """Only copy the values to the instance: the service validates the model (rules, constraints, the unique
        avtalenummer) with messages that name the field and the fix, shown by core.forms.form_service."""
        self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class SupervisorChangeForm(forms.Form):
    prefix = "bytte"  # the session form on the same page has a supervisor field too
    supervisor = DoctorChoiceField(queryset=Doctor.objects.filter(specialist_general_practice=True).order_by("name"),
                                   label=_("Ny veileder"))
    from_date = forms.DateField(label=_("Fra dato"), widget=DATE)
    reason = forms.CharField(label=_("Begrunnelse"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class SessionForm(forms.ModelForm):
    """One supervision session. The supervisor choices are the agreement's supervisors (of record at some date);
    the one of record today is preselected for a new session."""

    supervisor = DoctorChoiceField(queryset=Doctor.objects.none(), label=_("Veileder"), required=False,
                                   help_text=_("For individuell veiledning: veilederen for avtalen på datoen."))
    # no range validators here: the rule (alis.rules.hours_error) gives the message that names the limits
    hours = forms.DecimalField(label=_("Timer"), max_digits=5, decimal_places=2,
                               help_text=_("0,25–8 timer i hele kvarter."),
                               widget=forms.NumberInput(attrs={"step": "0.25", "min": "0.25", "max": "8"}))

    class Meta:
        model = SupervisionSession
        fields = ["date", "kind", "hours", "supervisor", "group_leader", "note"]
        widgets = {"date": DATE, "note": forms.TextInput()}
        help_texts = {"group_leader": _("For gruppeveiledning: navnet på gruppelederen.")}

    def __init__(self, *args, agreement, supervisors, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.fields["supervisor"].queryset = Doctor.objects.filter(pk__in=[s.pk for s in supervisors]).order_by("name")
        self.fields["kind"].choices = SessionKind.choices
        if not self.instance.pk and not self.is_bound:
            today = timezone.localdate()
            day = min(today, agreement.effective_end)
            self.initial.setdefault("date", day)
            self.initial.setdefault("kind", rules.INDIVIDUELL)
            facts_day = max(day, agreement.start_date)
            self.initial.setdefault("supervisor", self._of_record(facts_day, supervisors))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Div(Div(Field("date"), css_class="col-sm-4"), Div("kind", css_class="col-sm-4"),
                Div("hours", css_class="col-sm-4"), css_class="row g-2"),
            Div(Div("supervisor", css_class="col-sm-6"), Div("group_leader", css_class="col-sm-6"),
                Div("note", css_class="col-sm-6"), css_class="row g-2"))

    def _of_record(self, day, supervisors):
        timeline = getattr(self.agreement, "_timeline", None)
        if timeline:
            current = None
            for entry in timeline:
                if entry["from_date"] <= day:
                    current = entry["supervisor"].pk
            return current
        return self.agreement.supervisor_id

    def _post_clean(self):
        """No model validation here: the view passes cleaned_data to the service, whose rules name the fix."""

    def clean(self):
        cleaned = super().clean()
        # The field that does not belong to the kind is ignored (the browser may still hold its old value).
        if cleaned.get("kind") == rules.GRUPPE:
            cleaned["supervisor"] = None
        elif cleaned.get("kind") == rules.INDIVIDUELL:
            cleaned["group_leader"] = ""
        return cleaned


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Begrunnelse"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(label=_("Begrunnelse for å godkjenne tross vilkår"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    date = forms.DateField(label=_("Siste dag avtalen gjelder"), required=False, widget=DATE)


class SessionImportForm(ImportForm):
    file = import_file_field(_("CSV-fil med veiledning"))
