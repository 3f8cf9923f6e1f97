"""Who a person is at the municipality's identity provider, which memberships that provider's groups granted, and
which notices a user wants by e-mail (docs/operations.md, «Innlogging med kommunens konto» and «E-postvarsler»)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from practices.models import Membership, Notice


class OidcIdentity(models.Model):
    """A user's subject at the provider: a login is matched on (issuer, subject), never on the e-mail again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities",
                             verbose_name=_("bruker"))
    issuer = models.CharField(_("utsteder"), max_length=300)
    subject = models.CharField(_("subjekt"), max_length=255)
    tenant = models.CharField(_("tenant"), max_length=100, blank=True)  # Entra ID's `tid`
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="unique_oidc_subject")]
        verbose_name = _("innloggingsidentitet")
        verbose_name_plural = _("innloggingsidentiteter")

    def __str__(self):
        return f"{self.user} – {self.issuer} {self.subject}"


class OidcGrantedMembership(models.Model):
    """Marks a membership the group mapping (OIDC_GROUP_ROLES) created: only these are removed when the groups
    no longer give them; memberships given by hand in the product stay."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="oidc_grant")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.membership)


class NoticeKind(models.TextChoices):
    EXPIRY = "expiry", _("Saker og avtaler som slutter innen 60 dager")
    DECISION = "decision", _("Vedtak i saker jeg har sendt inn")
    MONTH = "month", _("Utbetalingsmåneder som venter på attestering eller anvisning")
    IMPORT = "import", _("Importer som feilet")


class NoticePreference(models.Model):
    """Which kinds of notices also come by e-mail; every kind is on until the user turns it off."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference")
    email_expiry = models.BooleanField(NoticeKind.EXPIRY.label, default=True)
    email_decision = models.BooleanField(NoticeKind.DECISION.label, default=True)
    email_month = models.BooleanField(NoticeKind.MONTH.label, default=True)
    email_import = models.BooleanField(NoticeKind.IMPORT.label, default=True)

    class Meta:
        verbose_name = _("varselinnstilling")
        verbose_name_plural = _("varselinnstillinger")

    def __str__(self):
        return str(self.user)

    def wants(self, kind: str) -> bool:
        return getattr(self, f"email_{kind}")


class NoticeMail(models.Model):
    """The e-mail of one in-app notice: written with the notice, `sent_at` set once the mail has left (the task
    may run twice; the mail goes once)."""

    notice = models.OneToOneField(Notice, on_delete=models.CASCADE, related_name="mail")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"{self.notice_id} {self.kind} {self.sent_at or '–'}"
