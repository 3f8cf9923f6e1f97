"""Notices (docs/operations.md, «E-postvarsler»): one in-app notice per user and key (never twice), and for each new
one an e-mail, sent once by a Celery task, unless the user has switched that kind off on the «Varsler» page.

The texts are the notices' own (stored in bokmål); they never hold a fødselsnummer, and a doctor's name only goes
to members of the municipality the notice is about — callers choose recipients among its members."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import NoticeKind, NoticeMail, NoticePreference
from accounts.tasks import send_notice_mail_task
from core.tasks import send
from practices.models import Membership, Notice

logger = logging.getLogger(__name__)
SUBJECT_PREFIX = "Fastlegefinansiering: "


def members(*, municipality_id: int, roles, exclude=()) -> list[int]:
    """Active users with one of `roles` in the municipality."""
    return list(Membership.objects.filter(municipality_id=municipality_id, role__in=roles, user__is_active=True)
                .exclude(user_id__in=[pk for pk in exclude if pk]).values_list("user_id", flat=True).distinct())


def notify(*, kind: str, municipality_id: int, user_ids, key: str, text: str, url: str = "") -> list[Notice]:
    """Write the notice for each user who does not have it yet (unique (user, key)), and queue its e-mail after
    commit for those who have an address and want this kind. Returns the notices written now."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return []
    have = set(Notice.objects.filter(user_id__in=user_ids, key=key).values_list("user_id", flat=True))
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=set(user_ids) - have, is_active=True)}
    off = set(NoticePreference.objects.filter(user_id__in=users, **{f"email_{kind}": False})
              .values_list("user_id", flat=True))
    written = []
    for user_id, user in users.items():
        with transaction.atomic():
            notice, created = Notice.objects.get_or_create(
                user_id=user_id, key=key[:100], defaults={"municipality_id": municipality_id, "text": text,
                                                          "url": url[:300]})
            if created and user.email and user_id not in off:
                NoticeMail.objects.create(notice=notice, kind=kind)
                transaction.on_commit(lambda pk=notice.pk: send(send_notice_mail_task, pk))
        if created:
            written.append(notice)
    return written


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def message_for(notice: Notice, kind: str) -> EmailMultiAlternatives:
    context = {"notice": notice, "user": notice.user, "link": absolute(reverse("accounts:notice_open",
                                                                              args=[notice.pk])),
               "settings_link": absolute(reverse("accounts:notice_settings")), "kind": NoticeKind(kind).label,
               "municipality": notice.municipality}
    subject = SUBJECT_PREFIX + (notice.text if len(notice.text) <= 150 else notice.text[:149] + "…")
    message = EmailMultiAlternatives(subject.replace("\n", " "), render_to_string("accounts/email/notice.txt", context),
                                     settings.DEFAULT_FROM_EMAIL, [notice.user.email])
    message.attach_alternative(render_to_string("accounts/email/notice.html", context), "text/html")
    return message


def send_notice_mail(*, notice_id: int) -> bool:
    """Send the e-mail of one notice, once: the row is locked while sending and marked sent after; a second
    delivery of the task finds it sent. An SMTP failure is recorded and logged (the task tries again)."""
    with transaction.atomic():
        row = (NoticeMail.objects.select_for_update(of=("self",))
               .select_related("notice__user", "notice__municipality").filter(notice_id=notice_id).first())
        if row is None or row.sent_at is not None:
            return False
        user = row.notice.user
        preference = NoticePreference.objects.filter(user=user).first()
        if not user.is_active or not user.email or (preference and not preference.wants(row.kind)):
            row.error = "ikke sendt: brukeren er deaktivert, mangler e-post eller har slått av varselet"
            row.sent_at = timezone.now()
            row.save(update_fields=["error", "sent_at"])
            return False
        try:
            message_for(row.notice, row.kind).send()
        except Exception as error:  # noqa: BLE001 - smtplib, socket and TLS errors: retried by the task
            logger.exception("notice mail %s to user %s failed", notice_id, user.pk)
            NoticeMail.objects.filter(pk=row.pk).update(error=f"{type(error).__name__}: {error}"[:300])
            return False
        row.sent_at, row.error = timezone.now(), ""
        row.save(update_fields=["sent_at", "error"])
    logger.info("notice mail %s (%s) sent to user %s", notice_id, row.kind, user.pk)
    return True


def unsent_notice_ids() -> list[int]:
    return list(NoticeMail.objects.filter(sent_at__isnull=True).values_list("notice_id", flat=True))
