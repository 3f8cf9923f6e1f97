"""Browser: a small municipality's month page shows the population, the average list length, that it qualifies, and
the utjamning lines marked as a control calculation (docs/rates.md «6. Utjamningstilskudd»)."""

from datetime import date

import pytest

from grants.services import ledger
from practices.models import Municipality, Population
from tests import factories
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AUGUST = date(2023, 8, 1)


def test_a_small_municipality_sees_its_utjamning_as_a_control_calculation(page):
    bindal = Municipality.objects.get(kommunenummer="1811")
    factories.member(bindal, "caseworker", username="kari")
    Population.objects.create(municipality=bindal, year=2023, inhabitants=1412)
    practice = factories.PracticeFactory(municipality=bindal, name="Bindal legekontor")
    for number, (n, driftsform) in enumerate(((700, "naeringsdrivende"), (900, "naeringsdrivende"),
                                              (850, "naeringsdrivende"), (600, "fastlonnet")), start=1):
        holder = factories.ListHolderFactory(patient_list__practice=practice, patient_list__listenummer=str(number),
                                             driftsform=driftsform)
        factories.ListCountFactory(patient_list=holder.patient_list, month=AUGUST, antall_pasienter=n)
    ledger.recompute_month(municipality_id=bindal.pk, month=AUGUST)

    login(page, "kari")
    page.goto(page.base_url + "/utbetalinger/1811/2023-08/")
    panel = page.get_by_test_id("utjamning")
    assert "1\xa0412" in panel.get_by_test_id("utjamning-population").inner_text()
    assert panel.get_by_test_id("utjamning-average").inner_text().startswith("762,5")
    assert "Ja" in panel.get_by_test_id("utjamning-qualifies").inner_text()
    assert "kontrollberegning" in panel.get_by_test_id("utjamning-control").inner_text()
    page.get_by_label("Type", exact=True).select_option("utjamning")
    page.get_by_role("button", name="Filtrer").click()
    lines = page.get_by_test_id("lines")
    assert lines.get_by_test_id("control-badge").count() == 3
    assert lines.get_by_text("kr 841,80 × (1\xa0200 − 762,5) / 12 (snitt listelengde 762,5, 1\xa0412 innbyggere)"
                             ).count() == 3
    assert lines.get_by_text("30\xa0690,63 kr").count() == 3
    page.screenshot(path="test-artifacts/utjamning-month.png", full_page=True)
    assert_accessible(page)
