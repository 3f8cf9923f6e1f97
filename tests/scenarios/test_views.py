""""Hva om" pages (docs/architecture.md): each role allowed or denied, another municipality's scenario a 404,
auditors read only, exports, the report "Effekt av handlingsplanen", and query counts of the pages."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from grants.models import CaseStatus, GrunntilskuddApplication
from scenarios import services
from scenarios.models import Scenario, ScenarioRun
from tests import factories
from tests.helpers import scenario_form_data as form_data

pytestmark = pytest.mark.django_db
JUNE = date(2020, 6, 1)


def lists(municipality, sizes=(800, 1500), month=JUNE):
    for n in sizes:
        holder = factories.ListHolderFactory(patient_list__practice__municipality=municipality)
        factories.ListCountFactory(patient_list=holder.patient_list, month=month, antall_pasienter=n)


def make(user, municipalities, **fields) -> Scenario:
    fields = {"name": "Knekkpunkt 1 200", "period_from": JUNE, "period_to": JUNE, "knekkpunkt": 1200, **fields}
    return services.save_scenario(scenario=Scenario(**fields), municipalities=municipalities, user=user)


@pytest.mark.parametrize("role", ["administrator", "caseworker"])
def test_administrators_and_caseworkers_create_and_see_the_result(client, oslo, role):
    lists(oslo)
    user = factories.member(oslo, role)
    client.force_login(user)
    assert client.get(reverse("scenarios:index")).status_code == 200
    page = client.get(reverse("scenarios:create")).content.decode()
    assert "Lagre og beregn" in page and 'name="all_municipalities"' not in page
    response = client.post(reverse("scenarios:create"), form_data([oslo]))
    scenario = Scenario.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("scenarios:detail", args=[scenario.pk])
    page = client.get(response["Location"]).content.decode()
    # the 1 500-list gets 200 patients more at 577 instead of 499: 200 × 78 / 12
    assert "+1\xa0300,00 kr" in page and 'data-testid="comparison-chart"' in page
    assert "1 får mer, 0 får mindre, 1 uendret" in page
    assert "scenario-months" in page and "js/scenarios.js" in page
    assert "Scenarioet er endret etter" not in page
    for name in ("Beregn på nytt", "Endre", "Kopier", "Slett"):
        assert f">{name}</" in page


def test_auditors_read_and_export_but_cannot_create_or_run(client, oslo, caseworker, auditor):
    lists(oslo)
    scenario = make(caseworker, [oslo])
    client.force_login(auditor)
    assert client.get(reverse("scenarios:index")).status_code == 200
    assert "Nytt scenario" not in client.get(reverse("scenarios:index")).content.decode()
    page = client.get(reverse("scenarios:detail", args=[scenario.pk])).content.decode()
    assert "+1\xa0300,00 kr" in page and ">Beregn på nytt<" not in page and ">Endre<" not in page
    assert "Bare kommuneadministratorer og saksbehandlere i 0301 Oslo" in page
    response = client.get(reverse("scenarios:create"))
    assert response.status_code == 403 and "Som revisor kan du se" in response.content.decode()
    assert client.post(reverse("scenarios:create"), form_data([oslo])).status_code == 403
    for name in ("run", "copy", "delete"):
        assert client.post(reverse(f"scenarios:{name}", args=[scenario.pk])).status_code == 403
    assert client.get(reverse("scenarios:edit", args=[scenario.pk])).status_code == 403
    run = scenario.runs.get()
    assert client.get(reverse("scenarios:export", args=[run.pk, "lister", "csv"])).status_code == 200
    assert Scenario.objects.count() == 1 and ScenarioRun.objects.count() == 1


def test_another_municipalitys_scenario_is_a_404(client, oslo, bergen, caseworker, outsider):
    lists(oslo)
    scenario = make(caseworker, [oslo])
    run = scenario.runs.get()
    client.force_login(outsider)
    assert "Knekkpunkt 1 200" not in client.get(reverse("scenarios:index")).content.decode()
    for name in ("detail", "edit"):
        assert client.get(reverse(f"scenarios:{name}", args=[scenario.pk])).status_code == 404
    for name in ("run", "copy", "delete"):
        assert client.post(reverse(f"scenarios:{name}", args=[scenario.pk])).status_code == 404
    assert client.get(reverse("scenarios:run_progress", args=[run.pk])).status_code == 404
    assert client.get(reverse("scenarios:export", args=[run.pk, "maaneder", "csv"])).status_code == 404
    # nor can a form reach into a municipality where the user has no role
    response = client.post(reverse("scenarios:create"), form_data([oslo]))
    assert response.status_code == 200 and "Velg et gyldig valg" in response.content.decode()


def test_a_scenario_over_two_municipalities_needs_both(client, oslo, bergen, caseworker):
    lists(oslo)
    lists(bergen)
    factories.member(bergen, "caseworker", username="saksbehandler.begge")
    both = factories.member(oslo, "caseworker", username="saksbehandler.begge")
    scenario = make(both, [oslo, bergen])
    assert scenario.runs.get().difference == Decimal("2600.00")
    client.force_login(caseworker)  # Oslo only
    assert client.get(reverse("scenarios:detail", args=[scenario.pk])).status_code == 404
    client.force_login(both)
    assert client.get(reverse("scenarios:detail", args=[scenario.pk])).status_code == 200


def test_only_the_creator_changes_or_deletes_others_copy(client, oslo, caseworker, caseworker2):
    lists(oslo)
    scenario = make(caseworker, [oslo])
    client.force_login(caseworker2)
    page = client.get(reverse("scenarios:detail", args=[scenario.pk])).content.decode()
    assert ">Endre<" not in page and "Bare den som laget scenarioet" in page
    assert client.get(reverse("scenarios:edit", args=[scenario.pk])).status_code == 403
    assert client.post(reverse("scenarios:delete", args=[scenario.pk])).status_code == 403
    assert client.post(reverse("scenarios:run", args=[scenario.pk])).status_code == 302  # anyone may recompute
    response = client.post(reverse("scenarios:copy", args=[scenario.pk]))
    copy = Scenario.objects.exclude(pk=scenario.pk).get()
    assert response["Location"] == reverse("scenarios:edit", args=[copy.pk]) and copy.created_by == caseworker2
    client.force_login(caseworker)
    response = client.post(reverse("scenarios:edit", args=[scenario.pk]), form_data([oslo], knekkpunkt="1300"))
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.knekkpunkt == 1300 and scenario.runs.count() == 1  # the newest result is kept
    page = client.get(reverse("scenarios:detail", args=[scenario.pk])).content.decode()
    history = page.split('data-testid="scenario-history">')[1].split("</ul>")[0]
    assert history.count("<li>") == 2 and "endret av" in history and "opprettet av" in history
    assert client.post(reverse("scenarios:delete", args=[scenario.pk])).status_code == 302
    assert not Scenario.objects.filter(pk=scenario.pk).exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"period_to": "2020-05"}, "«Til måned» kan ikke være før «fra måned»."),
    ({"period_to": "2031-01"}, "Perioden kan være høyst 120 måneder."),
    ({"period_from": "2020-13"}, "Måned må skrives som ÅÅÅÅ-MM"),
    ({"model": "knekkpunkt", "period_from": "2020-04", "knekkpunkt": ""},
     "2020-04: gjeldende sats har ikke knekkpunkt. Fyll inn knekkpunkt og sats over knekkpunkt."),
    ({"paid_up_to": "2000", "no_paid_up_to": "on"}, "Velg enten «betalt opp til» eller «ingen øvre grense»"),
    ({"municipalities": []}, "Velg minst én kommune."),
    ({"rate_under": "-1"}, "Verdien må være større enn eller lik 0."),
])
def test_form_errors_name_the_field_and_the_fix(client, oslo, caseworker, changes, message):
    client.force_login(caseworker)
    response = client.post(reverse("scenarios:create"), form_data([oslo], **changes))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Scenario.objects.exists()


def test_superuser_may_scope_the_whole_country(client, oslo, bergen):
    lists(oslo)
    lists(bergen, (1100,))
    superuser = factories.UserFactory(username="super", is_superuser=True)
    client.force_login(superuser)
    assert 'name="all_municipalities"' in client.get(reverse("scenarios:create")).content.decode()
    response = client.post(reverse("scenarios:create"), form_data([], all_municipalities="on"))
    assert response.status_code == 302
    run = Scenario.objects.get().runs.get()
    assert run.all_municipalities and run.lists == 3
    assert "Hele landet" in client.get(reverse("scenarios:index")).content.decode()


def test_exports(client, oslo, caseworker):
    lists(oslo)
    run = make(caseworker, [oslo], name="=SUM(A1)").runs.get()
    client.force_login(caseworker)
    response = client.get(reverse("scenarios:export", args=[run.pk, "maaneder", "csv"]))
    assert response["Content-Disposition"] == 'attachment; filename="hva-om-suma1-maaneder.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["maaned", "type", "faktisk", "scenario", "differanse", "linjer_faktisk", "linjer_scenario"],
        ["2020-06", "basis_under", "86550.00", "96166.67", "9616.67", "2", "2"],  # 48 083,33 → 57 700,00
        ["2020-06", "basis_over", "20791.67", "12475.00", "-8316.67", "1", "1"]]
    response = client.get(reverse("scenarios:export", args=[run.pk, "lister", "xlsx"]))
    sheet = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert sheet[0][:2] == ("Kommunenr.", "Listenr.") and len(sheet) == 4
    assert sorted(float(row[-1]) for row in sheet[1:-1]) == [0.0, 1300.0] and sheet[-1][0] == "Sum"
    assert client.get(reverse("scenarios:export", args=[run.pk, "lister", "pdf"])).status_code == 404


def test_progress_is_polled_until_done(client, oslo, caseworker):
    lists(oslo)
    scenario = make(caseworker, [oslo])
    run = scenario.runs.get()
    client.force_login(caseworker)
    response = client.get(reverse("scenarios:run_progress", args=[run.pk]))
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    queued = ScenarioRun.objects.create(scenario=scenario, period_from=JUNE, period_to=JUNE, started_by=caseworker)
    queued.municipalities.set([oslo])
    page = client.get(reverse("scenarios:run_progress", args=[queued.pk])).content.decode()
    assert "Beregningen står i kø" in page
    page = client.get(reverse("scenarios:detail", args=[scenario.pk])).content.decode()
    assert 'data-testid="scenario-progress"' in page and "+1\xa0300,00 kr" in page  # the last result meanwhile


def test_detail_page_queries_do_not_grow_with_lists(client, oslo, bergen, caseworker, django_assert_max_num_queries):
    lists(oslo, [900 + 50 * i for i in range(30)])
    big = make(caseworker, [oslo])
    client.force_login(caseworker)
    client.get(reverse("scenarios:detail", args=[big.pk]))
    with django_assert_max_num_queries(16):
        assert client.get(reverse("scenarios:detail", args=[big.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("scenarios:index")).status_code == 200


def test_report_effekt_av_handlingsplanen(client, oslo, bergen, caseworker, auditor):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000)
    for month in (date(2020, 4, 1), date(2020, 5, 1), JUNE):
        factories.ListCountFactory(patient_list=holder.patient_list, month=month, antall_pasienter=300, listetak=1000)
    GrunntilskuddApplication.objects.create(municipality=oslo, patient_list=holder.patient_list,
                                            doctor=holder.doctor, avtale_fra=date(2020, 5, 15),
                                            status=CaseStatus.INNVILGET, created_by=caseworker)
    lists(oslo, (1500,))
    client.force_login(auditor)  # reading a report is for every role
    page = client.get(reverse("scenarios:report")).content.decode()
    assert "Beregn rapporten" in page and "report-table" not in page
    assert client.post(reverse("scenarios:report")).status_code == 302
    page = client.get(reverse("scenarios:report")).content.decode()
    # 2020-05: 300 × (577 − 499) / 12 = 1 950,00; 2020-06: + 1 500 (68 875,00 − 62 375,00) = 8 450,00
    assert 'data-testid="report-2020-05"' in page and 'data-testid="report-2020-04"' not in page
    assert "+10\xa0400,00 kr" in page  # the knekkpunkt effect over the period
    assert "19\xa0233,34 kr" in page  # grunntilskudd: 2 × (24 041,67 − 14 425,00)
    response = client.get(reverse("scenarios:report") + "?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["maaned", "basistilskudd", "flat_499", "knekkpunkteffekt"]
    assert [row[:6] for row in rows[1:]] == [["2020-05", "14425.00", "12475.00", "1950.00", "9616.67", "1"],
                                             ["2020-06", "83300.00", "74850.00", "8450.00", "9616.67", "1"]]
    assert client.get(reverse("scenarios:report") + "?kommune=4601").status_code == 404
    run = ScenarioRun.objects.get(kind="handlingsplan")
    client.force_login(factories.member(bergen, "administrator"))
    assert client.get(reverse("scenarios:export", args=[run.pk, "maaneder", "csv"])).status_code == 404


def test_navigation_has_hva_om(client, oslo, auditor):
    client.force_login(auditor)
    assert f'href="{reverse("scenarios:index")}"' in client.get(reverse("dashboard")).content.decode()
