"""Celery tasks: ids in, one service call, idempotent (docs/operations.md)."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5)
def send_notice_mail_task(self, notice_id: int) -> bool:
    from accounts.notices import send_notice_mail

    sent = send_notice_mail(notice_id=notice_id)
    if not sent and not self.request.is_eager:
        from accounts.models import NoticeMail

        if NoticeMail.objects.filter(notice_id=notice_id, sent_at__isnull=True).exists():  # SMTP failed: later
            raise self.retry(countdown=60 * (self.request.retries + 1))
    return sent
