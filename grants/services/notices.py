"""Payment months that wait for a caseworker (docs/operations.md, «E-postvarsler»): a month that has ended and
been computed waits for attestation, an attested month for authorisation by another caseworker. The notice goes
to the municipality's caseworkers (not to the one who attested: she may not authorise), once per step."""

from datetime import date

from django.urls import reverse
from django.utils import translation

from accounts import notices
from accounts.models import NoticeKind
from core.months import first_of_month, format_month, month_label
from grants.models import PaymentMonth
from practices.models import Role


def month_waiting(payment_month: PaymentMonth, *, today: date) -> list:
    pm, M = payment_month, PaymentMonth.Status
    if pm.status == M.ATTESTED and pm.attested_at:
        key, exclude = f"maaned-{pm.pk}-anvisning-{pm.attested_at:%Y%m%d%H%M%S}", [pm.attested_by_id]
        waits = "er attestert og venter på anvisning av en annen saksbehandler"
    elif pm.status == M.OPEN and pm.computed_at and pm.month < first_of_month(today):
        key, exclude = f"maaned-{pm.pk}-attestering", []
        waits = "er beregnet og venter på attestering"
    else:
        return []
    with translation.override("nb"):  # stored in bokmål, as the other notices
        label = month_label(pm.month)
    text = f"Utbetalingsmåneden {label} for {pm.municipality} {waits}."
    url = reverse("grants:payment_month", kwargs={"kommunenummer": pm.municipality.kommunenummer,
                                                  "month": format_month(pm.month)})
    return notices.notify(kind=NoticeKind.MONTH, municipality_id=pm.municipality_id, key=key, text=text, url=url,
                          user_ids=notices.members(municipality_id=pm.municipality_id, roles=[Role.CASEWORKER],
                                                   exclude=exclude))


def months_waiting(*, today: date) -> int:
    """The daily job's sweep: ended, computed months still open, and attested months."""
    waiting = PaymentMonth.objects.filter(status__in=[PaymentMonth.Status.OPEN, PaymentMonth.Status.ATTESTED],
                                          computed_at__isnull=False, month__lt=first_of_month(today),
                                          ).select_related("municipality")
    return sum(len(month_waiting(pm, today=today)) for pm in waiting)
