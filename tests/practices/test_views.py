"""Pages for practices, lists and doctors: roles, scope (404 for other municipalities), query counts."""

from datetime import date

import pytest
from django.urls import reverse

from practices.models import Practice
from tests import factories

pytestmark = pytest.mark.django_db


def make_lists(municipality, n, months=3):
    practice = factories.PracticeFactory(municipality=municipality)
    lists = []
    for i in range(n):
        patient_list = factories.PatientListFactory(practice=practice, listetak=1000 + i)
        factories.ListHolderFactory(patient_list=patient_list)
        for m in range(1, months + 1):
            factories.ListCountFactory(patient_list=patient_list, month=date(2020, m, 1), antall_pasienter=500 + i)
        lists.append(patient_list)
    return practice, lists


@pytest.fixture
def oslo_lists(oslo):
    return make_lists(oslo, 3)


@pytest.fixture
def bergen_lists(bergen):
    return make_lists(bergen, 2)


def test_lists_table_shows_latest_count_and_fill_ratio(client, auditor, oslo_lists, bergen_lists):
    client.force_login(auditor)
    response = client.get(reverse("practices:list_index"), {"sorter": "-pasienter"})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [r.latest_count for r in rows] == [502, 501, 500]
    assert rows[0].fill_permille == 501  # 502 / 1002 = 50,1 %
    assert rows[0].latest_month == date(2020, 3, 1)
    body = response.content.decode()
    assert "50,1\xa0%" in body and "Ny liste" not in body  # auditors do not edit
    assert bergen_lists[1][0].listenummer not in [r.listenummer for r in rows]


def test_a_search_without_hits_says_so(client, auditor, oslo_lists):
    client.force_login(auditor)
    body = client.get(reverse("practices:list_index"), {"q": "finnes-ikke"}).content.decode()
    assert "Ingen lister passer søket «finnes-ikke». Prøv et annet søk eller fjern filteret." in body
    assert "Importer listetall" not in body
    body = client.get(reverse("practices:practice_index"), {"q": "finnes-ikke"}).content.decode()
    assert "Ingen legekontor passer søket «finnes-ikke»." in body


def test_query_counts_are_constant(client, administrator, oslo, django_assert_max_num_queries):
    client.force_login(administrator)
    practice, lists = make_lists(oslo, 2)
    pages = [reverse("practices:list_index"), reverse("practices:practice_index"),
             reverse("practices:practice_detail", args=[practice.pk]),
             reverse("practices:list_detail", args=[lists[0].pk])]
    counts = {}
    for url in pages:
        with django_assert_max_num_queries(15) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    make_lists(oslo, 30, months=6)
    for url in pages:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_other_municipalities_objects_are_404(client, outsider, oslo_lists):
    practice, lists = oslo_lists
    doctor = lists[0].holders.get().doctor
    client.force_login(outsider)
    for url in (reverse("practices:practice_detail", args=[practice.pk]),
                reverse("practices:practice_edit", args=[practice.pk]),
                reverse("practices:list_detail", args=[lists[0].pk]),
                reverse("practices:list_edit", args=[lists[0].pk]),
                reverse("practices:doctor_detail", args=[doctor.pk]),
                reverse("practices:doctor_edit", args=[doctor.pk])):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role, status", [("administrator", 302), ("caseworker", 403), ("auditor", 403)])
def test_only_administrators_edit(client, oslo, oslo_lists, role, status):
    practice, lists = oslo_lists
    user = factories.member(oslo, role)
    client.force_login(user)
    response = client.post(reverse("practices:practice_edit", args=[practice.pk]), {
        "organisasjonsnummer": practice.organisasjonsnummer, "name": "Nytt navn", "municipality": oslo.pk,
        "address": "Gata 2"})
    assert response.status_code == status
    practice.refresh_from_db()
    assert (practice.name == "Nytt navn") == (status == 302)
    if status == 403:
        assert "Bare kommuneadministratorer i 0301 Oslo - Oslove kan gjøre dette." in response.content.decode()
    else:
        assert practice.history.first().history_user == user


def test_create_practice_validates_orgnr_and_municipality(client, administrator, oslo, bergen):
    client.force_login(administrator)
    url = reverse("practices:practice_create")
    response = client.post(url, {"organisasjonsnummer": "961 793 387", "name": "X", "municipality": oslo.pk})
    assert response.status_code == 200 and "kontrollsiffer" in response.content.decode()
    response = client.post(url, {"organisasjonsnummer": "961793386", "name": "X", "municipality": bergen.pk})
    assert response.status_code == 200 and "Velg et gyldig valg" in response.content.decode()
    response = client.post(url, {"organisasjonsnummer": "961 793 386", "name": "Nytt kontor", "municipality": oslo.pk})
    assert response.status_code == 302
    assert Practice.objects.get(organisasjonsnummer="961793386").name == "Nytt kontor"


def test_a_taken_list_number_gets_a_norwegian_message(client, administrator, oslo, oslo_lists):
    client.force_login(administrator)
    practice, lists = oslo_lists
    response = client.post(reverse("practices:list_create"), {
        "municipality": oslo.pk, "listenummer": lists[0].listenummer, "practice": practice.pk, "listetak": 1500})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Kommunen har allerede en liste med dette listenummeret. Velg et annet nummer." in body
    assert "already exists" not in body and "finnes allerede" not in body


def test_list_form_rejects_listetak_over_2500_and_foreign_practice(client, administrator, oslo, bergen_lists):
    client.force_login(administrator)
    practice = factories.PracticeFactory(municipality=oslo)
    response = client.post(reverse("practices:list_create"), {
        "municipality": oslo.pk, "listenummer": "77", "practice": practice.pk, "listetak": 2501})
    assert response.status_code == 200 and "2500" in response.content.decode().replace("\xa0", "")
    response = client.post(reverse("practices:list_create"), {
        "municipality": oslo.pk, "listenummer": "77", "practice": bergen_lists[0].pk, "listetak": 1500})
    assert response.status_code == 200
    response = client.post(reverse("practices:list_create"), {
        "municipality": oslo.pk, "listenummer": "77", "practice": practice.pk, "listetak": 1500})
    assert response.status_code == 302


def test_doctor_edit_by_administrator_of_a_municipality_where_the_doctor_has_a_list(client, administrator,
                                                                                  oslo_lists):
    doctor = oslo_lists[1][0].holders.get().doctor
    client.force_login(administrator)
    response = client.post(reverse("practices:doctor_edit", args=[doctor.pk]), {
        "hpr_nummer": doctor.hpr_nummer, "name": doctor.name, "specialist_general_practice": "on",
        "specialist_since": "2021-03-01"})
    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.specialist_general_practice and doctor.specialist_since == date(2021, 3, 1)
