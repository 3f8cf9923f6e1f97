"""Demo data for the ledger: the 2020 months of Oslo closed by two caseworkers (idempotent)."""

from datetime import date

from django.contrib.auth import get_user_model

from config.months import add_months
from grants.models import PaymentMonth
from grants.services import ledger
from practices.demo import DEMO_MUNICIPALITIES
from practices.models import Municipality


def load_payments():
    """Compute every demo month (the import's recompute does this already when tasks run eagerly) and close
    January–December 2020 in Oslo: attested by ola.saksbehandler, authorised by siri.saksbehandler."""
    users = get_user_model().objects
    first, second = users.get(username="ola.saksbehandler"), users.get(username="siri.saksbehandler")
    for municipality in Municipality.objects.filter(kommunenummer__in=DEMO_MUNICIPALITIES):
        for index in range(30):
            month = add_months(date(2020, 1, 1), index)
            if not PaymentMonth.objects.filter(municipality=municipality, month=month, computed_at__isnull=False
                                               ).exists():
                ledger.recompute_month(municipality_id=municipality.pk, month=month)
    oslo = Municipality.objects.get(kommunenummer="0301")
    for payment_month in PaymentMonth.objects.filter(municipality=oslo, month__year=2020).order_by("month"):
        if payment_month.status == PaymentMonth.Status.OPEN:
            payment_month = ledger.attest_month(payment_month=payment_month, user=first)
        if payment_month.status == PaymentMonth.Status.ATTESTED:
            ledger.authorise_month(payment_month=payment_month, user=second)
