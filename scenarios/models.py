""""Hva om": saved scenarios (an alternative rate schedule over a scope and a period) and their runs.

A scenario never changes real data: a run reads the real counts and decisions and stores its outcome here,
in ScenarioRun.result and ScenarioResultRow, never in the ledger (docs/scenarios.md)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.progress import Run
from grants.models import RateSchedule
from practices.models import Doctor, Municipality, PatientList
from scenarios import rules


class Scenario(models.Model):
    """An alternative rate schedule, a scope (municipalities, or all for a superuser) and a period of months.

    Empty schedule fields follow the real rate row in force each month (docs/scenarios.md)."""

    name = models.CharField(_("navn"), max_length=200)
    description = models.TextField(_("beskrivelse"), blank=True)
    all_municipalities = models.BooleanField(_("hele landet"), default=False,
                                             help_text=_("Alle kommuner med lister (bare superbrukere)."))
    municipalities = models.ManyToManyField(Municipality, blank=True, related_name="+", verbose_name=_("kommuner"))
    period_from = models.DateField(_("fra måned"))
    period_to = models.DateField(_("til måned"))
    model = models.CharField(_("modell"), max_length=20, blank=True, choices=RateSchedule.Model.choices)
    knekkpunkt = models.PositiveIntegerField(_("knekkpunkt (pasienter)"), null=True, blank=True,
                                             validators=[MinValueValidator(1), MaxValueValidator(9999)])
    rate_under = models.DecimalField(_("sats under knekkpunkt (kr/år)"), max_digits=10, decimal_places=2,
                                     null=True, blank=True, validators=[MinValueValidator(0)])
    rate_over = models.DecimalField(_("sats over knekkpunkt (kr/år)"), max_digits=10, decimal_places=2,
                                    null=True, blank=True, validators=[MinValueValidator(0)])
    paid_up_to = models.PositiveIntegerField(_("betalt opp til (pasienter)"), null=True, blank=True,
                                             validators=[MaxValueValidator(9999)])
    no_paid_up_to = models.BooleanField(_("ingen øvre grense"), default=False)
    grunntilskudd_floor = models.PositiveIntegerField(_("grunntilskudd: betales som for (pasienter)"),
                                                      default=rules.GRUNNTILSKUDD_FLOOR,
                                                      validators=[MinValueValidator(1), MaxValueValidator(2500)])
    grunntilskudd_months = models.PositiveSmallIntegerField(_("grunntilskudd: varighet (måneder)"),
                                                            default=rules.GRUNNTILSKUDD_MONTHS,
                                                            validators=[MinValueValidator(1), MaxValueValidator(120)])
    introduksjon_percent = models.DecimalField(_("introduksjonsavtaler: % av avtalt tilskudd"), max_digits=6,
                                               decimal_places=2, default=100,
                                               validators=[MinValueValidator(0), MaxValueValidator(1000)])
    alis_percent = models.DecimalField(_("ALIS: % av avtalt utbetaling"), max_digits=6, decimal_places=2,
                                       default=100, validators=[MinValueValidator(0), MaxValueValidator(1000)])
    utjamning_reference = models.PositiveIntegerField(_("utjamning: referanseliste (pasienter)"), null=True,
                                                      blank=True, validators=[MinValueValidator(1),
                                                                              MaxValueValidator(9999)])
    utjamning_population_limit = models.PositiveIntegerField(_("utjamning: innbyggergrense (færre enn)"), null=True,
                                                             blank=True, validators=[MinValueValidator(1),
                                                                                     MaxValueValidator(2_000_000)])
    copied_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies",
                                    verbose_name=_("kopiert fra"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("laget av"))
    created_at = models.DateTimeField(_("laget"), auto_now_add=True)
    updated_at = models.DateTimeField(_("endret"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[municipalities])

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period_to__gte=F("period_from")), name="scenario_period_order",
                                   violation_error_message=_("«Til måned» kan ikke være før «fra måned».")),
            models.CheckConstraint(condition=~(Q(no_paid_up_to=True) & Q(paid_up_to__isnull=False)),
                                   name="scenario_one_paid_up_to",
                                   violation_error_message=_("Velg enten «betalt opp til» eller «ingen øvre "
                                                             "grense», ikke begge.")),
        ]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarioer")

    def __str__(self):
        return self.name

    def schedule(self) -> rules.Schedule:
        return rules.Schedule(
            model=self.model, knekkpunkt=self.knekkpunkt, rate_under=self.rate_under, rate_over=self.rate_over,
            paid_up_to=self.paid_up_to, no_paid_up_to=self.no_paid_up_to,
            grunntilskudd_floor=self.grunntilskudd_floor, grunntilskudd_months=self.grunntilskudd_months,
            introduksjon_percent=self.introduksjon_percent, alis_percent=self.alis_percent,
            utjamning_reference=self.utjamning_reference, utjamning_population_limit=self.utjamning_population_limit)

    def months(self) -> list:
        return rules.period_months(self.period_from, self.period_to)


class ScenarioRun(Run):
    """One computation of a scenario, or of the built-in report "Effekt av handlingsplanen": the scope, period
    and schedule it used (a snapshot, so the result stays readable after the scenario is edited), progress
    and outcome, polled by the browser (docs/operations.md)."""

    class Kind(models.TextChoices):
        SCENARIO = "scenario", _("Scenario")
        HANDLINGSPLAN = "handlingsplan", _("Effekt av handlingsplanen")

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SCENARIO)
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, null=True, blank=True, related_name="runs")
    all_municipalities = models.BooleanField(default=False)
    municipalities = models.ManyToManyField(Municipality, blank=True, related_name="+")
    scope_key = models.CharField(max_length=64, blank=True)  # "all" or a digest of the ids: finds a report's run
    period_from = models.DateField()
    period_to = models.DateField()
    parameters = models.JSONField(default=dict)  # rules.Schedule.as_dict()
    progress = models.PositiveSmallIntegerField(default=0)  # final percent; live progress is in the cache
    result = models.JSONField(default=dict, blank=True)  # the summary the result page draws (services.summary)
    lists = models.PositiveIntegerField(default=0)
    actual_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    scenario_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)  # seconds per phase

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "scope_key", "-created_at"], name="scenario_run_report")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.scenario_id or ''} {self.status}"

    @property
    def difference(self):
        if self.actual_total is None or self.scenario_total is None:
            return None
        return self.scenario_total - self.actual_total

    def schedule(self) -> rules.Schedule:
        return rules.Schedule.from_dict(self.parameters)

    def months(self) -> list:
        return rules.period_months(self.period_from, self.period_to)


class ScenarioResultRow(models.Model):
    """One list over a run's period: what it gets with the real schedule and with the scenario's."""

    run = models.ForeignKey(ScenarioRun, on_delete=models.CASCADE, related_name="rows")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    patient_list = models.ForeignKey(PatientList, on_delete=models.CASCADE, related_name="+")
    doctor = models.ForeignKey(Doctor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kept_by_municipality = models.BooleanField(default=False)
    patients = models.PositiveIntegerField(null=True, blank=True)  # in the period's last month
    months = models.PositiveSmallIntegerField(default=0)
    actual = models.DecimalField(max_digits=14, decimal_places=2)
    scenario = models.DecimalField(max_digits=14, decimal_places=2)
    difference = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["run", "municipality", "patient_list"]
        constraints = [models.UniqueConstraint(fields=["run", "patient_list"], name="unique_scenario_row")]

    def __str__(self):
        return f"{self.patient_list_id}: {self.actual} → {self.scenario}"
