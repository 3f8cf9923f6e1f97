"""Rate tables and the monthly payment ledger (SPEC.md §4, §5, §8). Grant cases come in their own issue."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grants import rules
from practices.models import Doctor, Municipality, PatientList


class RateSchedule(models.Model):
    """One dated row of basistilskudd rates; the row in force on the 1st applies to the whole month.

    Data, never code: superusers edit rows in the admin (with history) and a new row needs no deploy."""

    class Model(models.TextChoices):
        FLAT = rules.MODEL_FLAT, _("Flat sats")
        KNEKKPUNKT = rules.MODEL_KNEKKPUNKT, _("Knekkpunkt")
        PASIENTTILPASSET = rules.MODEL_PASIENTTILPASSET, _("Pasienttilpasset")

    class Method(models.TextChoices):
        MONTHLY = rules.METHOD_MONTHLY, _("Årssats / 12 × pasienter den 1.")
        DAILY = rules.METHOD_DAILY, _("Årssats / 365 × dager i måneden × pasienter")

    class Status(models.TextChoices):
        BEKREFTET = rules.STATUS_BEKREFTET, _("Bekreftet")
        ESTIMAT = rules.STATUS_ESTIMAT, _("Anslag")

    valid_from = models.DateField(_("gjelder fra"), unique=True)
    model = models.CharField(_("modell"), max_length=20, choices=Model.choices)
    knekkpunkt = models.PositiveIntegerField(_("knekkpunkt"), null=True, blank=True)
    rate_under = models.DecimalField(_("sats under knekkpunkt (kr/år)"), max_digits=10, decimal_places=2,
                                     validators=[MinValueValidator(0)])
    rate_over = models.DecimalField(_("sats over knekkpunkt (kr/år)"), max_digits=10, decimal_places=2,
                                    null=True, blank=True, validators=[MinValueValidator(0)])
    paid_up_to = models.PositiveIntegerField(_("betalt opp til (pasienter)"), null=True, blank=True)
    method = models.CharField(_("beregningsmåte"), max_length=20, choices=Method.choices,
                              default=Method.MONTHLY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    source = models.TextField(_("kilde"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["valid_from"]
        verbose_name = _("sats for basistilskudd")
        verbose_name_plural = _("satser for basistilskudd")

    def __str__(self):
        return f"{self.valid_from:%Y-%m-%d} {self.get_model_display()} ({self.get_status_display()})"

    def clean(self):
        from django.core.exceptions import ValidationError

        try:
            self.as_rule()
        except (ValueError, TypeError) as error:
            raise ValidationError(str(error)) from error

    def as_rule(self) -> rules.Rate:
        return rules.Rate(valid_from=self.valid_from, model=self.model, rate_under=self.rate_under,
                          knekkpunkt=self.knekkpunkt, rate_over=self.rate_over, paid_up_to=self.paid_up_to,
                          method=self.method, status=self.status)


class PaymentMonth(models.Model):
    """A municipality's ledger for one month: open → attested → closed (authorised), SPEC.md §5."""

    class Status(models.TextChoices):
        OPEN = "open", _("Åpen")
        ATTESTED = "attested", _("Attestert")
        CLOSED = "closed", _("Anvist og lukket")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="payment_months")
    month = models.DateField(_("måned"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    computed_at = models.DateTimeField(_("sist beregnet"), null=True, blank=True)
    uses_estimate = models.BooleanField(_("beregnet med anslått sats"), default=False)
    missing_counts = models.JSONField(_("mangler listetall"), default=list, blank=True)
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("attestert av"))
    attested_at = models.DateTimeField(_("attestert"), null=True, blank=True)
    authorised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("anvist av"))
    authorised_at = models.DateTimeField(_("anvist"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["municipality", "-month"]
        constraints = [models.UniqueConstraint(fields=["municipality", "month"], name="unique_payment_month")]
        verbose_name = _("utbetalingsmåned")
        verbose_name_plural = _("utbetalingsmåneder")

    def __str__(self):
        return f"{self.municipality.kommunenummer} {self.month:%Y-%m} ({self.get_status_display()})"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class PaymentLine(models.Model):
    """One line of the ledger with its explanation (SPEC.md §5). Computed lines are replaced by every
    recompute of an open month; `korreksjon` lines are booked once and kept."""

    class Kind(models.TextChoices):
        BASIS = rules.KIND_BASIS, _("Basistilskudd")
        BASIS_UNDER = rules.KIND_BASIS_UNDER, _("Basistilskudd under knekkpunkt")
        BASIS_OVER = rules.KIND_BASIS_OVER, _("Basistilskudd over knekkpunkt")
        GRUNNTILSKUDD = rules.KIND_GRUNNTILSKUDD, _("Grunntilskudd")
        INTRODUKSJON = rules.KIND_INTRODUKSJON, _("Introduksjonsavtale")
        ALIS = rules.KIND_ALIS, _("ALIS")
        KORREKSJON = rules.KIND_KORREKSJON, _("Korreksjon")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="payment_lines")
    month = models.DateField(_("måned"))
    patient_list = models.ForeignKey(PatientList, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="payment_lines")
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, null=True, blank=True, related_name="payment_lines",
                               help_text=_("listeinnehaver eller avtalens lege"))
    kept_by_municipality = models.BooleanField(_("beholdes av kommunen"), default=False)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    corrected_kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)  # korreksjon only
    corrects_month = models.DateField(null=True, blank=True)  # korreksjon only: the closed month
    quantity = models.IntegerField(_("antall"), null=True, blank=True)
    annual_rate = models.DecimalField(_("sats"), max_digits=12, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("beløp"), max_digits=12, decimal_places=2)
    explanation = models.TextField(_("forklaring"))
    estimate = models.BooleanField(default=False)  # computed with an `estimat` rate
    case_ref = models.CharField(max_length=40, blank=True)  # "grunntilskudd:12", "alis:3", …

    class Meta:
        ordering = ["municipality", "month", "patient_list", "kind"]
        indexes = [
            models.Index(fields=["municipality", "month", "kind"], name="line_month_kind"),
            models.Index(fields=["municipality", "corrects_month"], name="line_corrects"),
        ]
        verbose_name = _("utbetalingslinje")
        verbose_name_plural = _("utbetalingslinjer")

    def __str__(self):
        return f"{self.month:%Y-%m} {self.kind} {self.amount}"


class PaymentRun(models.Model):
    """One recompute of a municipality-month: progress and outcome, polled by the browser (SPEC.md §8)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kø")
        RUNNING = "running", _("Beregner")
        DONE = "done", _("Ferdig")
        FAILED = "failed", _("Feilet")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="payment_runs")
    month = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    trigger = models.CharField(max_length=20, default="manual")  # manual, import, decision, nightly, cli
    lines = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    missing = models.PositiveIntegerField(default=0)
    corrections = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.municipality.kommunenummer} {self.month:%Y-%m} {self.status}"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
