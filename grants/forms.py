from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from grants.models import GrunntilskuddApplication, IntroductionAllotment, IntroduksjonsAvtale
from practices.models import PatientList, Practice, Role
from practices.selectors import municipalities_for

DATE = DateInput()


class _CaseForm(forms.ModelForm):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipalities = municipalities_for(user, roles=[Role.ADMINISTRATOR])
        if self.instance.pk:  # a case stays in its municipality: only its lists and practices to choose
            self.municipalities = self.municipalities.filter(pk=self.instance.municipality_id)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template's form carries the htmx attributes of the live check
        self.helper.add_input(Submit("submit", _("Lagre utkast")))


class GrunntilskuddForm(_CaseForm):
    class Meta:
        model = GrunntilskuddApplication
        fields = ["patient_list", "avtale_fra", "saksnummer"]
        widgets = {"avtale_fra": DATE}
        help_texts = {"avtale_fra": _("Datoen listeinnehaverens fastlegeavtale startet. Oppgi den hvis den ikke "
                                      "er kjent fra importen."),
                      "patient_list": _("Søkeren er den som har listen nå.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient_list"].queryset = PatientList.objects.filter(
            municipality__in=self.municipalities).select_related("municipality", "practice")
        self.fields["patient_list"].label_from_instance = lambda pl: f"{pl} – {pl.practice.name}"
        self.fields["avtale_fra"].required = True  # the administrator must enter it when the import did not


class IntroduksjonForm(_CaseForm):
    hpr_nummer = forms.RegexField(label=_("Introduksjonslegens HPR-nummer"), regex=r"^\d{1,9}$",
                                  error_messages={"invalid": _("HPR-nummer består av 1–9 sifre.")})
    doctor_name = forms.CharField(label=_("Introduksjonslegens navn"), max_length=200,
                                  help_text=_("Brukes når legen ikke er registrert fra før."))

    class Meta:
        model = IntroduksjonsAvtale
        fields = ["practice", "host_lists", "start_date", "end_date", "position_percent", "annual_contribution",
                  "saksnummer"]
        widgets = {"start_date": DATE, "end_date": DATE, "host_lists": forms.CheckboxSelectMultiple}
        help_texts = {"end_date": _("Høyst 2 år i full stilling, forholdsmessig lenger ved lavere stillingsprosent."),
                      "annual_contribution": _("Kommunens tilskudd per år, hvis partene har avtalt det (0 ellers).")}

    field_order = ["hpr_nummer", "doctor_name", "practice", "host_lists"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice"].queryset = Practice.objects.filter(municipality__in=self.municipalities)
        self.fields["host_lists"].queryset = PatientList.objects.filter(
            municipality__in=self.municipalities).select_related("municipality", "practice")
        if self.instance.pk:
            self.fields["hpr_nummer"].initial = self.instance.doctor.hpr_nummer
            self.fields["doctor_name"].initial = self.instance.doctor.name

    def clean(self):
        cleaned = super().clean()
        position = cleaned.get("position_percent")
        if position is not None and not 50 <= position <= 100:
            self.add_error("position_percent", _("Stillingsprosenten må være 50–100."))
        return cleaned


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Begrunnelse"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    override_reason = forms.CharField(label=_("Begrunnelse for å innvilge selv om vilkår ikke er oppfylt"),
                                      widget=forms.Textarea(attrs={"rows": 2}), required=False)
    date = forms.DateField(label=_("Avsluttes fra"), widget=DATE, required=False)


class AllotmentForm(forms.ModelForm):
    class Meta:
        model = IntroductionAllotment
        fields = ["municipality", "letter_reference", "number_granted", "granted_on"]
        widgets = {"granted_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities_for(user, roles=[Role.ADMINISTRATOR])
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", _("Registrer tildeling")))
