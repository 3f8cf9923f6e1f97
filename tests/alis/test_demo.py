"""The ALIS demo data (alis.demo.load_agreements): every status, a supervision history, idempotent."""

from datetime import date

import pytest

from alis import demo, rules
from alis.models import AlisAgreement, AlisEvent, SupervisionSession, SupervisorChange
from alis.selectors import compliance_for
from practices import demo as practices_demo
from practices.models import Municipality
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def test_demo_agreements_in_every_state_and_idempotent():
    practices_demo.load_users()
    for knr in ("0301", "4601"):
        for _ in range(2):
            factories.PracticeFactory(municipality=Municipality.objects.get(kommunenummer=knr))
    created = demo.load_agreements()
    assert len(created) == len(demo.AGREEMENTS)
    statuses = set(AlisAgreement.objects.values_list("status", flat=True))
    assert statuses == {rules.UTKAST, rules.INNSENDT, rules.GODKJENT, rules.AVSLATT, rules.FULLFORT,
                        rules.AVSLUTTET}
    assert SupervisionSession.objects.count() > 200
    assert SupervisorChange.objects.count() == 1
    assert AlisEvent.objects.filter(action="complete", user=None).count() == 1
    assert all(h.startswith("8") for h in AlisAgreement.objects.values_list("doctor__hpr_nummer", flat=True))
    running = list(AlisAgreement.objects.filter(status=rules.GODKJENT))
    results = compliance_for(running, today=date.today())
    behind = {a.avtalenummer: results[a.pk].behind for a in running}
    assert behind["ALIS-0301-2022-01"] is False and behind["ALIS-0301-2023-02"] is True
    counts = (AlisAgreement.objects.count(), SupervisionSession.objects.count(), AlisEvent.objects.count())
    assert demo.load_agreements() == []
    assert (AlisAgreement.objects.count(), SupervisionSession.objects.count(), AlisEvent.objects.count()) == counts
