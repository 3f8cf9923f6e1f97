import json
from datetime import date

import pytest
from django.urls import reverse

from grants.personal_data import erase_blockers
from tests import factories

pytestmark = pytest.mark.django_db


def test_superuser_exports_everything_and_erases_when_retention_allows(client, oslo):
    root = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    old = factories.ListHolderFactory(from_month=date(2015, 1, 1), patient_list__practice__municipality=oslo)
    recent = factories.ListHolderFactory(from_month=date(2024, 1, 1), patient_list__practice__municipality=oslo)
    client.force_login(root)
    exported = json.loads(client.get(reverse("grants:personal_data", args=[old.doctor.pk]), {"format": "json"})
                          .content)
    assert exported["lege"]["navn"] == old.doctor.name and exported["listeinnehaver"][0]["fra"] == "2015-01"
    assert erase_blockers(recent.doctor) == ["Legen har hatt en fastlegeliste de siste fem årene."]
    response = client.post(reverse("grants:personal_data", args=[recent.doctor.pk]))
    recent.doctor.refresh_from_db()
    assert response.status_code == 302 and not recent.doctor.name.startswith("Slettet")
    client.post(reverse("grants:personal_data", args=[old.doctor.pk]))
    old.doctor.refresh_from_db()
    assert old.doctor.name == f"Slettet lege {old.doctor.pk}" and old.doctor.hpr_nummer.startswith("0")
    assert [h.name for h in old.doctor.history.all()] == [old.doctor.name]


def test_only_superusers(client, oslo, administrator):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    client.force_login(administrator)
    assert client.get(reverse("grants:personal_data", args=[holder.doctor.pk])).status_code == 403
