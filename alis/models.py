"""ALIS agreements, their supervisors, supervision sessions and the dated requirement table (docs/alis.md).

Fields, constraints and tiny properties only: the rules are in alis/rules.py, every write in alis/services.py."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alis import rules
from core.cases import Case, CaseEventBase
from core.letters import DecisionLetterBase
from core.months import effective_end
from practices.models import Doctor, Municipality, Practice


class Status(models.TextChoices):
    UTKAST = rules.UTKAST, _("Utkast")
    INNSENDT = rules.INNSENDT, _("Innsendt")
    GODKJENT = rules.GODKJENT, _("Godkjent")
    AVSLATT = rules.AVSLATT, _("Avslått")
    FULLFORT = rules.FULLFORT, _("Fullført")
    AVSLUTTET = rules.AVSLUTTET, _("Avsluttet")


class EmploymentForm(models.TextChoices):
    NAERINGSDRIVENDE = rules.NAERINGSDRIVENDE, _("Næringsdrivende")
    ANSATT = rules.ANSATT, _("Ansatt")


class SessionKind(models.TextChoices):
    INDIVIDUELL = rules.INDIVIDUELL, _("Individuell")
    GRUPPE = rules.GRUPPE, _("Gruppe")


class AlisAgreement(Case):
    """An agreement between a municipality, a practice, an ALIS doctor and a supervisor (docs/alis.md).

    `supervisor` is the supervisor named in the agreement from its start; later changes are SupervisorChange
    rows. The state grant (*Nasjonal ALIS og veiledning*) is income for the municipality, never a payment line.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="alis_agreements",
                                     verbose_name=_("kommune"))
    avtalenummer = models.CharField(_("avtalenummer"), max_length=40)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="alis_agreements",
                                 verbose_name=_("legekontor"))
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="alis_agreements",
                               verbose_name=_("ALIS (lege i spesialisering)"))
    supervisor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="alis_supervisions",
                                   verbose_name=_("veileder ved start"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("planlagt slutt"))
    position_percent = models.PositiveSmallIntegerField(
        _("stillingsprosent"), default=100, validators=[MinValueValidator(1), MaxValueValidator(100)])
    employment_form = models.CharField(_("tilknytning"), max_length=20, choices=EmploymentForm.choices,
                                       default=EmploymentForm.NAERINGSDRIVENDE)
    annual_payment = models.DecimalField(_("årlig utbetaling til ALIS (kr)"), max_digits=12, decimal_places=2,
                                         default=0, validators=[MinValueValidator(0)])
    state_grant_per_year = models.DecimalField(_("statstilskudd per år (kr)"), max_digits=12, decimal_places=2,
                                               default=0, validators=[MinValueValidator(0)])
    state_grant_period_from = models.DateField(_("tilskuddsperiode fra"), null=True, blank=True)
    state_grant_period_to = models.DateField(_("tilskuddsperiode til"), null=True, blank=True)
    state_grant_reference = models.CharField(_("tilskuddsbrev (referanse)"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UTKAST)
    override_reason = models.TextField(_("begrunnelse for å godkjenne tross vilkår"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["municipality", "avtalenummer"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "avtalenummer"], name="unique_alis_avtalenummer"),
            models.CheckConstraint(condition=models.Q(end_date__gt=models.F("start_date")),
                                   name="alis_end_after_start",
                                   violation_error_message=_("Planlagt slutt må være etter start.")),
            models.CheckConstraint(condition=models.Q(position_percent__gte=1, position_percent__lte=100),
                                   name="alis_position_1_100",
                                   violation_error_message=_("Stillingsprosent må være fra 1 til 100.")),
            models.CheckConstraint(condition=models.Q(annual_payment__gte=0), name="alis_payment_not_negative",
                                   violation_error_message=_("Årlig utbetaling kan ikke være negativ.")),
            models.CheckConstraint(condition=~models.Q(employment_form=rules.ANSATT) | models.Q(annual_payment=0),
                                   name="alis_ansatt_no_payment",
                                   violation_error_message=_("En ansatt ALIS skal ha årlig utbetaling 0 kr.")),
            models.CheckConstraint(condition=~models.Q(supervisor=models.F("doctor")),
                                   name="alis_supervisor_not_doctor",
                                   violation_error_message=_("Veilederen kan ikke være ALIS-legen selv.")),
        ]
        indexes = [models.Index(fields=["status", "end_date"], name="alis_status_end")]
        verbose_name = _("ALIS-avtale")
        verbose_name_plural = _("ALIS-avtaler")

    def __str__(self):
        return f"ALIS-avtale {self.avtalenummer}"

    @property
    def effective_end(self):
        return effective_end(self.end_date, self.terminated_on)

    @property
    def ever_approved(self) -> bool:
        return self.status in rules.EVER_APPROVED


class AlisEvent(CaseEventBase):
    """One transition of an agreement: the timeline (who, when, why). `user` is empty for the daily job."""

    agreement = models.ForeignKey(AlisAgreement, on_delete=models.CASCADE, related_name="events")

    LABELS = rules.EVENT_LABELS

    class Meta(CaseEventBase.Meta):
        verbose_name = _("hendelse")
        verbose_name_plural = _("hendelser")


class AlisDecisionLetter(DecisionLetterBase):
    """The PDF of one decision on an agreement (approval, rejection, termination), docs/alis.md."""

    event = models.OneToOneField(AlisEvent, on_delete=models.PROTECT, related_name="letter")

    class Meta(DecisionLetterBase.Meta):
        verbose_name = _("vedtaksbrev")
        verbose_name_plural = _("vedtaksbrev")


class SupervisorChange(models.Model):
    """A new supervisor from a date; individual sessions from then on must be given by them (docs/alis.md)."""

    agreement = models.ForeignKey(AlisAgreement, on_delete=models.CASCADE, related_name="supervisor_changes")
    supervisor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="+", verbose_name=_("ny veileder"))
    from_date = models.DateField(_("fra dato"))
    reason = models.TextField(_("begrunnelse"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "from_date"]
        constraints = [models.UniqueConstraint(fields=["agreement", "from_date"], name="unique_supervisor_change")]
        verbose_name = _("bytte av veileder")
        verbose_name_plural = _("bytter av veileder")

    def __str__(self):
        return f"{self.agreement} fra {self.from_date:%d.%m.%Y}: {self.supervisor}"


class SupervisionSession(models.Model):
    """Veiledning given: individual (by the supervisor of record that day) or in a group (by a group leader)."""

    agreement = models.ForeignKey(AlisAgreement, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("dato"))
    kind = models.CharField(_("type"), max_length=12, choices=SessionKind.choices)
    hours = models.DecimalField(_("timer"), max_digits=4, decimal_places=2,
                                validators=[MinValueValidator(rules.HOURS_MIN), MaxValueValidator(rules.HOURS_MAX)])
    supervisor = models.ForeignKey(Doctor, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("veileder"))
    group_leader = models.CharField(_("gruppeleder"), max_length=200, blank=True)
    note = models.TextField(_("notat"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    import_job = models.ForeignKey("practices.ImportJob", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "-date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gte=rules.HOURS_MIN, hours__lte=rules.HOURS_MAX),
                                   name="session_hours_range"),
            # whole quarter hours: hours × 4 is an integer (a numeric modulo works on PostgreSQL and SQLite)
            models.CheckConstraint(condition=models.Q(hours__in=[rules.HOURS_STEP * n for n in range(1, 33)]),
                                   name="session_hours_quarter"),
            models.CheckConstraint(
                condition=(models.Q(kind=rules.INDIVIDUELL, supervisor__isnull=False)
                           | models.Q(kind=rules.GRUPPE) & ~models.Q(group_leader="")),
                name="session_supervisor_or_leader"),
        ]
        indexes = [models.Index(fields=["agreement", "date"], name="session_agreement_date")]
        verbose_name = _("veiledning")
        verbose_name_plural = _("veiledninger")

    def __str__(self):
        return f"{self.agreement} {self.date:%d.%m.%Y} {self.kind} {self.hours} t"

    @property
    def given_by(self) -> str:
        return self.supervisor.name if self.supervisor_id else self.group_leader


class SupervisionRequirement(models.Model):
    """A dated row of required supervision, like rates: data, editable by superusers, with history.

    Individual rows are hours per month; the group row is hours in total over `span_years` (docs/alis.md)."""

    class Per(models.TextChoices):
        MAANED = rules.PER_MAANED, _("per måned")
        TOTALT = rules.PER_TOTALT, _("totalt")

    class RequirementStatus(models.TextChoices):
        BEKREFTET = rules.BEKREFTET, _("Bekreftet")
        ESTIMAT = rules.ESTIMAT, _("Anslag")

    valid_from = models.DateField(_("gjelder fra"))
    kind = models.CharField(_("type"), max_length=12, choices=SessionKind.choices)
    hours = models.DecimalField(_("timer"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    per = models.CharField(_("per"), max_length=10, choices=Per.choices)
    span_years = models.PositiveSmallIntegerField(_("over antall år"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequirementStatus.choices)
    source = models.TextField(_("kilde"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="unique_requirement_kind_from"),
            models.CheckConstraint(
                condition=(models.Q(kind=rules.INDIVIDUELL, per=rules.PER_MAANED)
                           | models.Q(kind=rules.GRUPPE, per=rules.PER_TOTALT, span_years__gte=1)),
                name="requirement_per_matches_kind"),
        ]
        verbose_name = _("veiledningskrav")
        verbose_name_plural = _("veiledningskrav")

    def __str__(self):
        return f"{self.get_kind_display()} {self.hours} t {self.get_per_display()} fra {self.valid_from:%Y-%m-%d}"

    def as_rule(self) -> rules.Requirement:
        return rules.Requirement(valid_from=self.valid_from, kind=self.kind, hours=self.hours, per=self.per,
                                 status=self.status, span_years=self.span_years)
