from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput

from .models import Doctor, Municipality, PatientList, Practice, Role
from .selectors import municipalities_for


class _CrispyModelForm(forms.ModelForm):
    submit_label = _("Lagre")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


class OrgnrField(forms.CharField):
    """Accepts `961 793 386` as people write it; validated without the spaces."""

    def to_python(self, value):
        return super().to_python(value).replace(" ", "")

    def widget_attrs(self, widget):
        # the browser must let "961 793 386" be typed: nine digits and two spaces; the nine are checked after
        return {**super().widget_attrs(widget), "maxlength": "11", "inputmode": "numeric"}


class PracticeForm(_CrispyModelForm):
    class Meta:
        model = Practice
        fields = ["organisasjonsnummer", "name", "municipality", "address"]
        field_classes = {"organisasjonsnummer": OrgnrField}
        help_texts = {"organisasjonsnummer": _("Ni sifre; mellomrom fjernes.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities_for(user, roles=[Role.ADMINISTRATOR])
        if self.instance.pk:  # a practice belongs to its municipality for good (practices.services)
            self.fields["municipality"].disabled = True
            self.fields["municipality"].help_text = _("Et legekontor hører til kommunen sin og kan ikke flyttes.")
            self.fields["municipality"].queryset = Municipality.objects.filter(pk=self.instance.municipality_id)


class PatientListForm(_CrispyModelForm):
    class Meta:
        model = PatientList
        fields = ["municipality", "listenummer", "practice", "listetak", "active_from", "active_to"]
        widgets = {"active_from": DateInput(),
                   "active_to": DateInput()}
        help_texts = {"listetak": _("Største antall pasienter på listen (0–2 500).")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        municipalities = municipalities_for(user, roles=[Role.ADMINISTRATOR])
        if self.instance.pk:  # a list belongs to its municipality for good (practices.services)
            municipalities = Municipality.objects.filter(pk=self.instance.municipality_id)
            self.fields["municipality"].disabled = True
            self.fields["municipality"].help_text = _("En liste hører til kommunen sin og kan ikke flyttes.")
        self.fields["municipality"].queryset = municipalities
        self.fields["practice"].queryset = Practice.objects.filter(municipality__in=municipalities)

    def clean(self):
        cleaned = super().clean()
        practice, municipality = cleaned.get("practice"), cleaned.get("municipality")
        if practice and municipality and practice.municipality_id != municipality.pk:
            self.add_error("practice", _("Legekontoret ligger ikke i den valgte kommunen."))
        start, end = cleaned.get("active_from"), cleaned.get("active_to")
        if start and end and end < start:
            self.add_error("active_to", _("Sluttdatoen kan ikke være før startdatoen."))
        return cleaned


class DoctorForm(_CrispyModelForm):
    class Meta:
        model = Doctor
        fields = ["hpr_nummer", "name", "specialist_general_practice", "specialist_since"]
        widgets = {"specialist_since": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the HPR number is who the doctor is
            self.fields["hpr_nummer"].disabled = True
            self.fields["hpr_nummer"].help_text = _("HPR-nummeret er legens identitet og kan ikke endres.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("specialist_since") and not cleaned.get("specialist_general_practice"):
            self.add_error("specialist_since", _("Datoen gjelder bare for spesialister i allmennmedisin."))
        return cleaned


def import_file_field(label) -> forms.FileField:
    """The CSV file of an import. An empty file is accepted here so that the import service rejects it with its own
    message and logs it."""
    return forms.FileField(label=label, allow_empty_file=True,
                           help_text=_("Semikolon, komma eller tabulator; UTF-8 eller Windows-1252 (Excel). "
                                       "Høyst 20 MB."))


class ImportForm(forms.Form):
    file = import_file_field(_("CSV-fil med listetall"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Last opp og kontroller")))
