"""Municipalities, memberships (roles), practices, doctors, lists and monthly list counts (docs/architecture.md)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from stdnum.no import orgnr

four_digits = RegexValidator(r"^\d{4}$", _("Kommunenummer består av fire sifre, for eksempel 0301."))
hpr_digits = RegexValidator(r"^\d{1,9}$", _("HPR-nummer består av 1–9 sifre."))


def validate_orgnr(value):
    if not orgnr.is_valid(value or ""):
        raise ValidationError(_("Organisasjonsnummeret %(value)s er ugyldig: det må ha ni sifre med riktig "
                                "kontrollsiffer (det siste sifferet)."),
                              params={"value": value})


class Municipality(models.Model):
    kommunenummer = models.CharField(_("kommunenummer"), max_length=4, unique=True, validators=[four_digits])
    name = models.CharField(_("navn"), max_length=100)
    county = models.CharField(_("fylke"), max_length=100, blank=True)

    class Meta:
        ordering = ["kommunenummer"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")

    def __str__(self):
        return f"{self.kommunenummer} {self.name}"

    @property
    def norwegian_name(self) -> str:
        """The Norwegian of SSB's name: "Oslo - Oslove" → "Oslo", "Hábmer - Hamarøy" → "Hamarøy", "Herøy (Nordland)"
        → "Herøy". Most bilingual names put the Norwegian first; the Sami-first ones are named in SAMI_FIRST."""
        name = self.name.split(" (")[0]
        parts = [part.strip() for part in name.split(" - ")]
        return next((part for part in parts if part not in SAMI_FIRST), parts[0])

    @property
    def letter_name(self) -> str:
        """How a letter names the municipality: "Oslo kommune", "Hamarøy kommune" (docs/grants.md)."""
        return f"{self.norwegian_name} kommune"


# The Sami names SSB writes before the Norwegian one (kommuner.csv, 2024 numbers); the letter uses the Norwegian.
SAMI_FIRST = frozenset({"Aarborte", "Hábmer", "Snåase", "Raarvihke", "Dielddanuorri", "Loabák", "Gáivuotna",
                        "Kárášjohka", "Guovdageaidnu", "Deatnu", "Unjárga"})


POPULATION_SOURCE = "SSB, tabell 07459 (folkemengde 1. januar)"


class Population(models.Model):
    """A municipality's inhabitants on 1 January of `year` (SSB table 07459): decides whether it is small enough for
    utjamningstilskudd (docs/rates.md, «Utjamningstilskudd»). Entered by superusers or `import_population`;
    every change kept in the history."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="populations",
                                     verbose_name=_("kommune"))
    year = models.PositiveSmallIntegerField(_("år"), validators=[MinValueValidator(2000), MaxValueValidator(2099)])
    inhabitants = models.PositiveIntegerField(_("innbyggere"), validators=[MaxValueValidator(2_000_000)])
    source = models.CharField(_("kilde"), max_length=200, default=POPULATION_SOURCE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["municipality", "-year"]
        constraints = [models.UniqueConstraint(fields=["municipality", "year"], name="unique_population_year")]
        verbose_name = _("innbyggertall")
        verbose_name_plural = _("innbyggertall")

    def __str__(self):
        return f"{self.municipality.kommunenummer} {self.year}: {self.inhabitants}"


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Kommuneadministrator")
    CASEWORKER = "caseworker", _("Saksbehandler")
    AUDITOR = "auditor", _("Revisor")


class Membership(models.Model):
    """A user's role in one municipality; a user may have several (docs/architecture.md)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "municipality", "role"], name="unique_membership")]
        verbose_name = _("medlemskap")
        verbose_name_plural = _("medlemskap")

    def __str__(self):
        return f"{self.user} – {self.municipality} ({self.get_role_display()})"


class Practice(models.Model):
    organisasjonsnummer = models.CharField(
        _("organisasjonsnummer"), max_length=9, unique=True, validators=[validate_orgnr]
    )
    name = models.CharField(_("navn"), max_length=200)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="practices",
                                     verbose_name=_("kommune"))
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("legekontor")
        verbose_name_plural = _("legekontor")

    def __str__(self):
        return self.name


class Doctor(models.Model):
    """National: one HPR number, possibly lists in several municipalities."""

    hpr_nummer = models.CharField(_("HPR-nummer"), max_length=9, unique=True, validators=[hpr_digits])
    name = models.CharField(_("navn"), max_length=200)
    specialist_general_practice = models.BooleanField(_("spesialist i allmennmedisin"), default=False)
    specialist_since = models.DateField(_("spesialist fra"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("lege")
        verbose_name_plural = _("leger")

    def __str__(self):
        return f"{self.name} (HPR {self.hpr_nummer})"


class PatientList(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="lists",
                                     verbose_name=_("kommune"))
    listenummer = models.CharField(_("listenummer"), max_length=20)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="lists",
                                 verbose_name=_("legekontor"))
    listetak = models.PositiveIntegerField(_("listetak"), validators=[MaxValueValidator(2500)])
    active_from = models.DateField(_("aktiv fra"), null=True, blank=True)
    active_to = models.DateField(_("aktiv til"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["municipality__kommunenummer", "listenummer"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "listenummer"], name="unique_list_number",
                                    violation_error_message=_("Kommunen har allerede en liste med dette "
                                                              "listenummeret. Velg et annet nummer.")),
            models.CheckConstraint(condition=models.Q(listetak__lte=2500), name="listetak_max_2500"),
        ]
        verbose_name = _("fastlegeliste")
        verbose_name_plural = _("fastlegelister")

    def __str__(self):
        return f"{self.municipality.kommunenummer}/{self.listenummer}"


class Driftsform(models.TextChoices):
    NAERINGSDRIVENDE = "naeringsdrivende", _("Næringsdrivende")
    FASTLONNET = "fastlonnet", _("Fastlønnet")
    UBESATT = "ubesatt", _("Ubesatt")


class ListHolder(models.Model):
    """Who holds a list from a month on; a doctor, or nobody (`ubesatt`). History is the rows themselves."""

    patient_list = models.ForeignKey(PatientList, on_delete=models.CASCADE, related_name="holders")
    from_month = models.DateField(_("fra måned"))
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, null=True, blank=True, related_name="holdings",
                               verbose_name=_("lege"))
    driftsform = models.CharField(_("driftsform"), max_length=20, choices=Driftsform.choices,
                                  default=Driftsform.NAERINGSDRIVENDE)
    avtale_fra = models.DateField(_("fastlegeavtale fra"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient_list", "from_month"]
        constraints = [
            models.UniqueConstraint(fields=["patient_list", "from_month"], name="unique_holder_month"),
            models.CheckConstraint(
                condition=(models.Q(driftsform="ubesatt", doctor__isnull=True)
                           | (~models.Q(driftsform="ubesatt") & models.Q(doctor__isnull=False))),
                name="holder_doctor_matches_driftsform",
            ),
        ]
        verbose_name = _("listeinnehaver")
        verbose_name_plural = _("listeinnehavere")

    def __str__(self):
        return f"{self.patient_list} fra {self.from_month:%Y-%m}: {self.doctor or _('ubesatt')}"


class ListCount(models.Model):
    """Patients on the list on the 1st of the month, with that month's listetak (docs/architecture.md).

    Written in bulk by the import; the ImportJob is the audit record."""

    # no index of its own: unique_count_month (patient_list, month) serves every lookup by list, and one index less
    # is a tenth off writing a national file's 60,000 counts (docs/performance.md)
    patient_list = models.ForeignKey(PatientList, on_delete=models.CASCADE, related_name="counts", db_index=False)
    month = models.DateField(_("måned"))
    antall_pasienter = models.PositiveIntegerField(_("antall pasienter"), validators=[MaxValueValidator(9999)])
    listetak = models.PositiveIntegerField(_("listetak"), validators=[MaxValueValidator(2500)])
    behovsindeks = models.DecimalField(_("behovsindeks"), max_digits=8, decimal_places=4, null=True, blank=True,
                                       validators=[MinValueValidator(0)])
    import_job = models.ForeignKey("ImportJob", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["patient_list", "month"]
        constraints = [
            models.UniqueConstraint(fields=["patient_list", "month"], name="unique_count_month"),
            models.CheckConstraint(condition=models.Q(antall_pasienter__lte=9999), name="count_max_9999"),
            models.CheckConstraint(condition=models.Q(behovsindeks__isnull=True) | models.Q(behovsindeks__gt=0),
                                   name="behovsindeks_positive"),
        ]
        indexes = [models.Index(fields=["month", "patient_list"], name="count_month_list")]
        verbose_name = _("listetall")
        verbose_name_plural = _("listetall")

    def __str__(self):
        return f"{self.patient_list_id} {self.month:%Y-%m}: {self.antall_pasienter}"


class ImportJob(models.Model):
    """One upload (browser, CLI or API): the file, its report and its outcome. The audit record of counts."""

    class Kind(models.TextChoices):
        LISTS = "lister", _("Listetall")
        SUPERVISION = "veiledning", _("Veiledning")

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Forhåndsvisning")
        QUEUED = "queued", _("I kø")
        RUNNING = "running", _("Importerer")
        DONE = "done", _("Fullført")
        FAILED = "failed", _("Avvist")

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LISTS)
    source = models.CharField(max_length=10, default="web")  # web, cli, api
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="import_jobs")
    municipalities = models.ManyToManyField(Municipality, blank=True, related_name="import_jobs")
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    dry_run = models.BooleanField(default=False)
    data_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, polled by the browser
    errors = models.JSONField(default=list, blank=True)  # [{"rad", "kolonne", "melding"}], the first 1 000
    error_count = models.PositiveIntegerField(default=0)  # all of them
    warnings = models.JSONField(default=list, blank=True)  # the first 1 000
    warning_count = models.PositiveIntegerField(default=0)  # all of them
    changed_sample = models.JSONField(default=list, blank=True)  # the first changed rows, for the preview
    months = models.JSONField(default=list, blank=True)  # ["2020-05", ...] touched, for the recompute
    # docs/import.md «Bare mine kommuner»: the uploader chose to import only the rows of her municipalities
    only_mine = models.BooleanField(default=False)
    # {kommunenummer: rows} outside the uploader's import rights: left out (only_mine), or, on a refused file whose
    # only errors they are, the rows she may choose to leave out
    skipped = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("importer")

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename} ({self.get_status_display()})"

    @property
    def more_warnings(self) -> int:
        """Warnings beyond the stored first 1 000."""
        return max(0, self.warning_count - len(self.warnings))

    @property
    def offers_only_mine(self) -> bool:
        """A refused file whose only errors are rows of municipalities where the uploader may not import."""
        return self.status == self.Status.FAILED and bool(self.skipped) and not self.only_mine

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())


class Notice(models.Model):
    """An in-app notice to a user (expiries, failed imports); shown on the dashboard."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=100)  # makes writing a notice idempotent
    text = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_notice_key")]

    def __str__(self):
        return self.text
