"""The dashboard (docs/architecture.md): key figures, charts' data, constant queries."""

from datetime import date

import pytest
from django.urls import reverse

from grants.services import ledger
from tests import factories

pytestmark = pytest.mark.django_db


def add_lists(municipality, sizes):
    practice = factories.PracticeFactory(municipality=municipality)
    for size in sizes:
        holder = factories.ListHolderFactory(patient_list__practice=practice, patient_list__listetak=1000,
                                             driftsform="ubesatt" if size == 0 else "naeringsdrivende",
                                             doctor=None if size == 0 else factories.DoctorFactory())
        factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=size,
                                   listetak=1000)


def test_key_figures_and_chart_data(client, oslo, caseworker):
    add_lists(oslo, [800, 1100, 0])
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    client.force_login(caseworker)
    response = client.get(reverse("dashboard"))
    context = response.context
    # free places 200 + 0 (1 100 on a listetak of 1 000 gives none, not −100) + 1 000 on the vacant list
    assert (context["lists"], context["free_capacity"], context["vacant"], context["over_listetak"]) == (3, 1200, 1, 1)
    assert context["charts"]["patients"] == {"labels": ["juni 2020"], "values": [1900]}
    assert context["as_of"] == date(2020, 6, 1) and context["chart_period"] == (date(2020, 6, 1), date(2020, 6, 1))
    assert context["charts"]["sizes"]["axis"] == "Antall lister"
    assert context["charts"]["sizes"]["values"][8] == 1 and context["charts"]["sizes"]["values"][11] == 1
    assert {s["label"] for s in context["charts"]["payments"]["series"]} == {
        "Basistilskudd under knekkpunkt", "Basistilskudd over knekkpunkt"}
    body = response.content.decode()
    assert 'id="patients" type="application/json"' in body and "?ubesatt=1" in body
    assert "Nøkkeltall per juni 2020, fra hver listes siste listetall." in body


def test_key_figures_say_when_a_list_has_an_older_count_and_charts_share_24_months(client, oslo, caseworker):
    add_lists(oslo, [800, 900])
    practice = factories.PracticeFactory(municipality=oslo)
    holder = factories.ListHolderFactory(patient_list__practice=practice)
    for month in (date(2018, 1, 1), date(2020, 5, 1)):
        factories.ListCountFactory(patient_list=holder.patient_list, month=month, antall_pasienter=500)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    client.force_login(caseworker)
    response = client.get(reverse("dashboard"))
    charts = response.context["charts"]
    assert response.context["chart_period"] == (date(2018, 7, 1), date(2020, 6, 1))
    assert len(charts["patients"]["labels"]) == 24 and charts["patients"]["labels"] == charts["payments"]["labels"]
    assert charts["patients"]["values"][-2:] == [500, 1700] and charts["patients"]["values"][0] is None
    assert "1 liste har et eldre listetall." in response.content.decode()


def test_dashboard_query_count_is_constant(client, oslo, caseworker, django_assert_max_num_queries):
    client.force_login(caseworker)
    add_lists(oslo, [800])
    with django_assert_max_num_queries(40) as small:
        assert client.get(reverse("dashboard")).status_code == 200
    add_lists(oslo, [300, 900, 1200] * 10)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("dashboard")).status_code == 200
