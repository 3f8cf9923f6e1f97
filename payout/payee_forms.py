"""Forms of the payee pages and the municipality's payout settings (docs/payments.md, «Utbetalingsmottakere»). They
check types; every rule (kontonummer, organisasjonsnummer, the doctor's municipality) is the service's."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from grants.models import PaymentLine
from payout import rules
from practices.forms import OrgnrField
from practices.models import Doctor


class PayeeForm(forms.Form):
    hpr_nummer = forms.RegexField(label=_("Legens HPR-nummer"), regex=r"^\s*\d{1,9}\s*$", max_length=20,
                                  error_messages={"invalid": _("HPR-nummer består av 1–9 sifre.")})
    name = forms.CharField(label=_("Mottakerens navn"), max_length=200,
                           help_text=_("Legens navn, eller selskapets navn når utbetalingen går til legens selskap."))
    organisasjonsnummer = OrgnrField(label=_("Organisasjonsnummer"), required=False, max_length=20,
                                     help_text=_("Tom når legen får utbetalingen personlig."))
    kontonummer = forms.CharField(label=_("Kontonummer"), max_length=20,
                                  help_text=_("11 sifre; mellomrom og punktum kan tas med, for eksempel "
                                              "8601.11.17947."))
    valid_from = forms.DateField(label=_("Gyldig fra"), required=False, widget=DateInput(),
                                 help_text=_("Tom: fra starten."))

    def __init__(self, *args, payee=None, **kwargs):
        if payee is not None:
            kwargs.setdefault("initial", {
                "hpr_nummer": payee.doctor.hpr_nummer, "name": payee.name,
                "organisasjonsnummer": payee.organisasjonsnummer,
                "kontonummer": rules.format_kontonummer(payee.kontonummer), "valid_from": payee.valid_from})
        super().__init__(*args, **kwargs)
        self.fields["kontonummer"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["hpr_nummer"].widget.attrs.update({"inputmode": "numeric"})
        if payee is not None:  # a payee belongs to its doctor for good (payout.services.payees)
            self.fields["hpr_nummer"].disabled = True
            self.fields["hpr_nummer"].help_text = _("En mottaker hører til legen sin; registrer en ny for en annen "
                                                    "lege.")
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Lagre")))

    def clean_hpr_nummer(self):
        hpr = self.cleaned_data["hpr_nummer"].strip()
        self.doctor = Doctor.objects.filter(hpr_nummer=hpr).first()
        if self.doctor is None:
            raise forms.ValidationError(_("Finner ingen lege med HPR-nummer %(hpr)s. Kontroller nummeret.")
                                        % {"hpr": hpr})
        return hpr


ACCOUNT_PARTS = ("art", "ansvar", "funksjon", "prosjekt")


class SettingsForm(forms.Form):
    """The municipality's account and, per payment kind, the account string (`<kind>-art` …)."""

    kontonummer = forms.CharField(label=_("Kommunens kontonummer"), max_length=20,
                                  help_text=_("Kontoen utbetalingene går fra. 11 sifre, for eksempel 8601.11.17947."))
    organisasjonsnummer = OrgnrField(label=_("Kommunens organisasjonsnummer"), required=False, max_length=20,
                                     help_text=_("Står i betalingsfilen som avsender når det er fylt inn."))
    bic = forms.CharField(label=_("BIC"), required=False, max_length=20,
                          help_text=_("Bankens BIC (SWIFT), for eksempel DNBANOKKXXX. Kan stå tom."))
    balance_account = forms.CharField(label=_("Balansekonto for motposten"), max_length=20,
                                      help_text=_("Kontoen motposten i regnskapsbilaget føres på."))

    def __init__(self, *args, account=None, strings=None, **kwargs):
        initial = {"balance_account": "2190"}
        if account is not None:
            initial.update({"kontonummer": rules.format_kontonummer(account.kontonummer),
                            "organisasjonsnummer": account.organisasjonsnummer, "bic": account.bic,
                            "balance_account": account.balance_account})
        for kind, values in (strings or {}).items():
            initial.update({f"{kind}-{part}": values[part] for part in ACCOUNT_PARTS})
        super().__init__(*args, initial=initial, **kwargs)
        self.kinds = []
        for kind, label in PaymentLine.Kind.choices:
            row = []
            for part in ACCOUNT_PARTS:
                name = f"{kind}-{part}"
                self.fields[name] = forms.CharField(label=f"{label}: {part}", max_length=10,
                                                    required=part in ("art", "funksjon"))
                row.append(self[name])
            self.kinds.append((kind, label, row))

    def account(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("kontonummer", "organisasjonsnummer", "bic", "balance_account")}

    def strings(self) -> dict:
        return {kind: {part: self.cleaned_data[f"{kind}-{part}"] for part in ACCOUNT_PARTS}
                for kind, _label, _row in self.kinds}
