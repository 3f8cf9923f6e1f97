"""The one case: what grunntilskudd, introduksjonsavtaler and ALIS agreements share (docs/architecture.md).

Abstract models only (no table of their own): who created, submitted and decided a case and when, its archive
reference, the checks stored at submission or decision, the reasons, the termination; and the event row that
records each transition (who, when, why). The transition tables live in each app's rules or services and run
through core.workflow."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Case(models.Model):
    saksnummer = models.CharField(_("saksnummer (arkiv)"), max_length=50, blank=True)
    checks = models.JSONField(_("vilkår"), default=list, blank=True)  # [{"code", "ok", "message"}]
    decision_reason = models.TextField(_("begrunnelse for vedtaket"), blank=True)
    terminated_on = models.DateField(_("avsluttet fra"), null=True, blank=True)
    termination_reason = models.TextField(_("begrunnelse for avslutning"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class CaseEventBase(models.Model):
    """One transition of a case: the timeline. `user` is empty for the daily job."""

    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    LABELS: dict[str, str] = {}

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.action}: {self.from_status} → {self.to_status}"

    @property
    def label(self) -> str:
        return self.LABELS.get(self.action, self.action)
