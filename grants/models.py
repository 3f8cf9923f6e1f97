"""Rate tables, the monthly payment ledger and the grant cases (docs/rates.md, docs/payments.md, docs/grants.md)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.cases import Case, CaseEventBase
from core.letters import DecisionLetterBase
from core.months import effective_end
from core.progress import Run
from grants import rules
from practices.models import Doctor, Municipality, PatientList, Practice


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
        try:
            self.as_rule()
        except (ValueError, TypeError) as error:
            raise ValidationError(str(error)) from error

    def as_rule(self) -> rules.Rate:
        return rules.Rate(valid_from=self.valid_from, model=self.model, rate_under=self.rate_under,
                          knekkpunkt=self.knekkpunkt, rate_over=self.rate_over, paid_up_to=self.paid_up_to,
                          method=self.method, status=self.status)


class UtjamningParameter(models.Model):
    """One dated row of the utjamningstilskudd parameters (docs/rates.md, «Utjamningstilskudd»): like the rates, data
    that superusers edit in the admin with history; no row before 2023-07-01, so earlier months get no line."""

    valid_from = models.DateField(_("gjelder fra"), unique=True)
    reference = models.PositiveIntegerField(_("referanseliste (pasienter)"), default=rules.UTJAMNING_REFERENCE,
                                            validators=[MinValueValidator(1)])
    population_limit = models.PositiveIntegerField(_("innbyggergrense (færre enn)"),
                                                   default=rules.UTJAMNING_POPULATION_LIMIT,
                                                   validators=[MinValueValidator(1)])
    annual_rate = models.DecimalField(_("sats (kr/år)"), max_digits=10, decimal_places=2,
                                      validators=[MinValueValidator(0)])
    status = models.CharField(_("status"), max_length=10, choices=RateSchedule.Status.choices)
    source = models.TextField(_("kilde"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["valid_from"]
        verbose_name = _("parametre for utjamningstilskudd")
        verbose_name_plural = _("parametre for utjamningstilskudd")

    def __str__(self):
        return f"{self.valid_from:%Y-%m-%d} {self.annual_rate} ({self.get_status_display()})"

    def clean(self):
        try:
            self.as_rule()
        except (ValueError, TypeError) as error:
            raise ValidationError(str(error)) from error

    def as_rule(self) -> rules.UtjamningParameter:
        return rules.UtjamningParameter(valid_from=self.valid_from, annual_rate=self.annual_rate,
                                        reference=self.reference, population_limit=self.population_limit,
                                        status=self.status)


class PaymentMonth(models.Model):
    """A municipality's ledger for one month: open → attested → closed (authorised), docs/payments.md."""

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
    # rules.UtjamningOutcome.as_dict(): status, innbyggere, snitt, … of the last computation (docs/payments.md)
    utjamning = models.JSONField(_("utjamningstilskudd"), default=dict, blank=True)
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

    @property
    def utjamning_status(self) -> str:
        return (self.utjamning or {}).get("status", "")

    @property
    def utjamning_message(self) -> str:
        """What the month page and the run report say about utjamning ("" when nothing to say)."""
        return str(UTJAMNING_MESSAGES.get(self.utjamning_status, ""))


UTJAMNING_MESSAGES = {
    rules.UTJAMNING_BEFORE: _("utjamning er ikke beregnet før juli 2023"),
    rules.UTJAMNING_NO_POPULATION: _("mangler innbyggertall"),
}


# PaymentLine.is_control as a filter: an utjamning line (or its korreksjon) whose parameter row is not bekreftet — a
# control calculation against Helfo's figure, shown but never paid (docs/payments.md)
CONTROL_CALCULATION = models.Q(estimate=True) & (models.Q(kind=rules.KIND_UTJAMNING)
                                                 | models.Q(corrected_kind=rules.KIND_UTJAMNING))


class PaymentLine(models.Model):
    """One line of the ledger with its explanation (docs/payments.md). Computed lines are replaced by every
    recompute of an open month; `korreksjon` lines are booked once and kept."""

    class Kind(models.TextChoices):
        BASIS = rules.KIND_BASIS, _("Basistilskudd")
        BASIS_UNDER = rules.KIND_BASIS_UNDER, _("Basistilskudd under knekkpunkt")
        BASIS_OVER = rules.KIND_BASIS_OVER, _("Basistilskudd over knekkpunkt")
        GRUNNTILSKUDD = rules.KIND_GRUNNTILSKUDD, _("Grunntilskudd")
        INTRODUKSJON = rules.KIND_INTRODUKSJON, _("Introduksjonsavtale")
        ALIS = rules.KIND_ALIS, _("ALIS")
        KORREKSJON = rules.KIND_KORREKSJON, _("Korreksjon")
        UTJAMNING = rules.KIND_UTJAMNING, _("Utjamningstilskudd")

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
    # patients or days; for utjamning 1 200 − a with up to 4 decimals (docs/payments.md)
    quantity = models.DecimalField(_("antall"), max_digits=12, decimal_places=4, null=True, blank=True)
    annual_rate = models.DecimalField(_("sats"), max_digits=12, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("beløp"), max_digits=12, decimal_places=2)
    explanation = models.TextField(_("forklaring"))
    # computed with an `estimat` rate; on utjamning lines (and their korreksjon): a parameter row not `bekreftet`,
    # so the line is a control calculation that the payment file and the voucher leave out (docs/payments.md)
    estimate = models.BooleanField(default=False)
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

    @property
    def is_control(self) -> bool:
        """A control calculation against Helfo's figure: shown, never paid (utjamning while a parameter is an
        estimate, or a korreksjon of such a line)."""
        return self.estimate and rules.KIND_UTJAMNING in (self.kind, self.corrected_kind)


class PaymentRun(Run):
    """One recompute of a municipality-month: progress and outcome, polled by the browser (docs/operations.md)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="payment_runs")
    month = models.DateField()
    trigger = models.CharField(max_length=20, default="manual")  # manual, import, decision, nightly, cli
    lines = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    missing = models.PositiveIntegerField(default=0)
    corrections = models.PositiveIntegerField(default=0)
    # the import whose counts it recomputes: the import's page follows its runs (docs/import.md)
    import_job = models.ForeignKey("practices.ImportJob", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.municipality.kommunenummer} {self.month:%Y-%m} {self.status}"


# --- grant cases (docs/grants.md) -------------------------------------------------------------------------------


class CaseStatus(models.TextChoices):
    UTKAST = "utkast", _("Utkast")
    INNSENDT = "innsendt", _("Innsendt")
    INNVILGET = "innvilget", _("Innvilget")
    AVSLATT = "avslatt", _("Avslått")
    PAAKLAGET = "paaklaget", _("Påklaget")
    UTLOPT = "utlopt", _("Utløpt")
    AVSLUTTET = "avsluttet", _("Avsluttet")


# A case that was ever granted pays the months it covered, whatever its status now (docs/payments.md).
EVER_GRANTED = (CaseStatus.INNVILGET, CaseStatus.UTLOPT, CaseStatus.AVSLUTTET)


class GrantCase(Case):
    """What grunntilskudd and introduksjonsavtaler share beyond core.cases.Case: the decision (*enkeltvedtak*),
    its override and the appeal."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("kommune"))
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.UTKAST)
    checked_on = models.DateField(_("vilkår vurdert"), null=True, blank=True)
    override_reason = models.TextField(_("begrunnelse for å innvilge tross vilkår"), blank=True)
    appeal_reason = models.TextField(_("klagens begrunnelse"), blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def termination(self):
        """The termination's event (who terminated it, when) for the decision letter; None unless terminated."""
        if self.status != CaseStatus.AVSLUTTET:
            return None
        return self.events.filter(action="terminate").select_related("user").last()


class GrunntilskuddApplication(GrantCase):
    """A list with fewer than 500 patients paid as if it had 500, for the 24 months from the holder's
    fastlegeavtale started (not before 2020-05), docs/grants.md."""

    patient_list = models.ForeignKey(PatientList, on_delete=models.PROTECT, related_name="grunntilskudd",
                                     verbose_name=_("fastlegeliste"))
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="grunntilskudd",
                               verbose_name=_("søker (listeinnehaver)"))
    # Known from the import when the file had `avtale_fra`; otherwise the administrator must enter it (a missing
    # date fails the eligibility check, which blocks approval without an override).
    avtale_fra = models.DateField(_("fastlegeavtalen startet"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta(GrantCase.Meta):
        verbose_name = _("søknad om grunntilskudd")
        verbose_name_plural = _("søknader om grunntilskudd")

    def __str__(self):
        return f"Grunntilskudd {self.pk} – {self.patient_list}"


class IntroductionAllotment(models.Model):
    """Helsedirektoratet's allotment of introduksjonsavtaler to a municipality (letter, number granted)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="introduction_allotments")
    letter_reference = models.CharField(_("brevreferanse"), max_length=100)
    number_granted = models.PositiveIntegerField(_("antall tildelt"), validators=[MinValueValidator(1)])
    granted_on = models.DateField(_("tildelt"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-granted_on"]
        verbose_name = _("tildeling av introduksjonsavtaler")
        verbose_name_plural = _("tildelinger av introduksjonsavtaler")

    def __str__(self):
        return f"{self.municipality.kommunenummer}: {self.number_granted} ({self.letter_reference})"


class IntroduksjonsAvtale(GrantCase):
    """Two years in open, unselected practice for a doctor who needs it, on host lists of other holders."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="introduksjonsavtaler",
                                 verbose_name=_("legekontor"))
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="introduksjonsavtaler",
                               verbose_name=_("introduksjonslege"))
    host_lists = models.ManyToManyField(PatientList, related_name="introduksjonsavtaler",
                                        verbose_name=_("vertslister"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("planlagt slutt"))
    position_percent = models.PositiveSmallIntegerField(_("stillingsprosent"))
    annual_contribution = models.DecimalField(_("kommunalt tilskudd per år (kr)"), max_digits=12, decimal_places=2,
                                              default=0, validators=[MinValueValidator(0)])
    history = HistoricalRecords()

    class Meta(GrantCase.Meta):
        verbose_name = _("introduksjonsavtale")
        verbose_name_plural = _("introduksjonsavtaler")

    def __str__(self):
        return f"Introduksjonsavtale {self.pk} – {self.doctor.name}"

    @property
    def effective_end(self):
        return effective_end(self.end_date, self.terminated_on)


class CaseEvent(CaseEventBase):
    """One transition of a grant case (docs/grants.md)."""

    grunntilskudd = models.ForeignKey(GrunntilskuddApplication, on_delete=models.CASCADE, null=True, blank=True,
                                      related_name="events")
    introduksjon = models.ForeignKey(IntroduksjonsAvtale, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="events")

    STATUS_LABELS = dict(CaseStatus.choices)
    LABELS = {"create": _("Opprettet"), "submit": _("Sendt inn"), "approve": _("Innvilget"), "reject": _("Avslått"),
              "appeal": _("Klage registrert"), "expire": _("Utløpt"), "terminate": _("Avsluttet")}




class DecisionLetter(DecisionLetterBase):
    """The PDF of one decision of a grant case (approval, rejection, appeal decision, termination), docs/grants.md."""

    event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="letter")

    class Meta(DecisionLetterBase.Meta):
        verbose_name = _("vedtaksbrev")
        verbose_name_plural = _("vedtaksbrev")
