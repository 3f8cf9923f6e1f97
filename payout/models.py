"""From an authorised month to the bank and the books (docs/payments.md, «Betaling og bilag»): who receives a
doctor's lines (payees with a kontonummer a second person has confirmed), the municipality's own account and its
account strings, and the payment file made once per month."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grants.models import PaymentLine, PaymentMonth
from payout import rules
from practices.models import Doctor, Municipality, validate_orgnr


def validate_kontonummer(value):
    if rules.kontonummer_error(value):
        raise ValidationError(rules.kontonummer_error(value))


class MunicipalityAccount(models.Model):
    """The municipality as debtor (its settings page or `municipality_account`): the account the payments leave
    from, the organisasjonsnummer the bank knows it by, and the balance account of the voucher's contra line."""

    municipality = models.OneToOneField(Municipality, on_delete=models.PROTECT, related_name="account",
                                        verbose_name=_("kommune"))
    kontonummer = models.CharField(_("kontonummer"), max_length=11, validators=[validate_kontonummer])
    organisasjonsnummer = models.CharField(_("organisasjonsnummer"), max_length=9, blank=True,
                                           validators=[validate_orgnr])
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    balance_account = models.CharField(_("balansekonto for motposten"), max_length=20, default="2190",
                                       help_text=_("Kontoen motposten i regnskapsbilaget føres på."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kommunens konto")
        verbose_name_plural = _("kommunenes kontoer")

    def __str__(self):
        return f"{self.municipality.kommunenummer} {rules.format_kontonummer(self.kontonummer)}"


class AccountString(models.Model):
    """The account string a payment kind is booked on in a municipality's accounts (KOSTRA: art, ansvar, funksjon,
    prosjekt). Without a row a kind uses rules.DEFAULT_ACCOUNT_STRING (art 370, funksjon 241)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="account_strings")
    kind = models.CharField(_("type"), max_length=20, choices=PaymentLine.Kind.choices)
    art = models.CharField(_("art"), max_length=10, default=rules.DEFAULT_ACCOUNT_STRING["art"])
    ansvar = models.CharField(_("ansvar"), max_length=10, blank=True)
    funksjon = models.CharField(_("funksjon"), max_length=10, default=rules.DEFAULT_ACCOUNT_STRING["funksjon"])
    prosjekt = models.CharField(_("prosjekt"), max_length=10, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipality", "kind"], name="unique_account_string")]
        verbose_name = _("konteringsstreng")
        verbose_name_plural = _("konteringsstrenger")

    def __str__(self):
        return f"{self.municipality_id} {self.kind}: {self.art}/{self.ansvar}/{self.funksjon}/{self.prosjekt}"


class Payee(models.Model):
    """Who receives a doctor's lines in a municipality from `valid_from`: the doctor personally (no
    organisasjonsnummer) or the doctor's company. A new or changed kontonummer is pending until a caseworker of
    the municipality other than the one who entered it confirms it (`confirmed_by`)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="payees",
                                     verbose_name=_("kommune"))
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="payees", verbose_name=_("lege"))
    valid_from = models.DateField(_("gyldig fra"), null=True, blank=True,
                                  help_text=_("Tom: fra starten."))
    name = models.CharField(_("mottakerens navn"), max_length=200)
    organisasjonsnummer = models.CharField(_("organisasjonsnummer"), max_length=9, blank=True,
                                           validators=[validate_orgnr],
                                           help_text=_("Tom når legen får utbetalingen personlig."))
    kontonummer = models.CharField(_("kontonummer"), max_length=11, validators=[validate_kontonummer])
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("registrert av"))
    entered_at = models.DateTimeField(_("registrert"), auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("kontonummer bekreftet av"))
    confirmed_at = models.DateTimeField(_("kontonummer bekreftet"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["municipality", "doctor", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["municipality", "doctor", "valid_from"],
                                               name="unique_payee_from", nulls_distinct=False)]
        verbose_name = _("utbetalingsmottaker")
        verbose_name_plural = _("utbetalingsmottakere")

    def __str__(self):
        return f"{self.name} ({rules.format_kontonummer(self.kontonummer)})"

    @property
    def is_pending(self) -> bool:
        return self.confirmed_at is None


class PaymentFile(models.Model):
    """The ISO 20022 pain.001.001.03 file of an authorised month, made once and kept: asking again gives the same
    bytes, and the month can no longer be reopened (grants.services.ledger.reopen_month)."""

    payment_month = models.OneToOneField(PaymentMonth, on_delete=models.PROTECT, related_name="payment_file")
    execution_date = models.DateField(_("ønsket betalingsdato"))
    message_id = models.CharField(max_length=35, unique=True)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    transactions = models.PositiveIntegerField(_("transaksjoner"))
    control_sum = models.DecimalField(_("sum"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("betalingsfil")
        verbose_name_plural = _("betalingsfiler")

    def __str__(self):
        return self.message_id
