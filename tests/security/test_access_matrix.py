"""Access matrix (issue 10): every URL pattern, enumerated from the resolver so a new view cannot escape, for
every role. Objects of Oslo are requested by anonymous users, Oslo's administrator, caseworker and auditor,
Bergen's administrator (another municipality) and a superuser without memberships."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from grants.models import GrunntilskuddApplication, IntroduksjonsAvtale, PaymentRun
from grants.services import ledger
from practices.models import ImportJob
from practices.services.list_import import import_file
from scenarios.models import Scenario, ScenarioRun
from tests import factories
from tests.factories_alis import SessionFactory, approved
from tests.matrix import url_names

pytestmark = pytest.mark.django_db
SECRET = "Hemmelig legesenter Oslo"  # must never show up for a user of another municipality


@pytest.fixture
def world(oslo, administrator, caseworker, caseworker2):
    practice = factories.PracticeFactory(municipality=oslo, name=SECRET)
    holder = factories.ListHolderFactory(patient_list__practice=practice, patient_list__listenummer="4242",
                                         doctor__hpr_nummer="1234567")
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=400)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    job = import_file(user=administrator, filename="x.csv", dry_run=True, source="web",
                      data=("kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;listenummer;listetak;"
                            f"antall_pasienter;maaned\n0301;{practice.organisasjonsnummer};{SECRET};1234567;"
                            "Lege;4242;1500;400;2020-06\n").encode())
    job.file.save("x.csv", ContentFile(b"x"))
    grunntilskudd = GrunntilskuddApplication.objects.create(
        municipality=oslo, patient_list=holder.patient_list, doctor=holder.doctor, avtale_fra=date(2020, 6, 1),
        created_by=administrator)
    intro = IntroduksjonsAvtale.objects.create(
        municipality=oslo, practice=practice, doctor=factories.DoctorFactory(), start_date=date(2022, 2, 1),
        end_date=date(2024, 1, 31), position_percent=100, annual_contribution=Decimal("0"), created_by=administrator)
    agreement = approved(practice=practice)
    session = SessionFactory(agreement=agreement, supervisor=agreement.supervisor)
    alis_job = ImportJob.objects.create(kind=ImportJob.Kind.SUPERVISION, user=administrator, filename="v.csv")
    alis_job.municipalities.set([oslo])
    run = PaymentRun.objects.create(municipality=oslo, month=date(2020, 6, 1))
    objects = {"list": holder.patient_list, "practice": practice, "doctor": holder.doctor, "job": job,
               "grunntilskudd": grunntilskudd, "intro": intro, "agreement": agreement, "session": session,
               "alis_job": alis_job, "run": run}
    scenario = Scenario.objects.create(name=SECRET, period_from=date(2020, 6, 1), period_to=date(2020, 6, 1),
                                       created_by=administrator)
    scenario.municipalities.set([oslo])
    scenario_run = ScenarioRun.objects.create(scenario=scenario, period_from=date(2020, 6, 1),
                                              period_to=date(2020, 6, 1))
    scenario_run.municipalities.set([oslo])
    objects["scenario_kwargs"] = {
        **{f"scenarios:{n}": {"pk": scenario.pk} for n in ("detail", "edit", "copy", "delete", "run")},
        "scenarios:run_progress": {"pk": scenario_run.pk},
        "scenarios:export": {"pk": scenario_run.pk, "table": "maaneder", "fmt": "csv"},
    }
    return objects


M = {"kommunenummer": "0301", "month": "2020-06"}


def kwargs_for(name, o) -> dict | None:
    """How to fill each URL pattern with an Oslo object. None: not a GET-able page (covered elsewhere)."""
    table = {
        "practices:list_detail": {"pk": o["list"].pk}, "practices:list_edit": {"pk": o["list"].pk},
        "practices:practice_detail": {"pk": o["practice"].pk}, "practices:practice_edit": {"pk": o["practice"].pk},
        "practices:doctor_detail": {"pk": o["doctor"].pk}, "practices:doctor_edit": {"pk": o["doctor"].pk},
        "practices:import_detail": {"pk": o["job"].pk}, "practices:import_confirm": {"pk": o["job"].pk},
        "practices:import_progress": {"pk": o["job"].pk}, "practices:import_download": {"pk": o["job"].pk},
        "grants:run_progress": {"pk": o["run"].pk}, "grants:payment_month": M, "grants:recompute": M,
        "grants:attest": M, "grants:authorise": M, "grants:reopen": M,
        "grants:export_lines": {**M, "fmt": "csv"}, "grants:export_payout": {**M, "fmt": "xlsx"},
        "grants:statement": {**M, "hpr": "1234567"}, "grants:personal_data": {"pk": o["doctor"].pk},
        "grants:grunntilskudd_detail": {"pk": o["grunntilskudd"].pk},
        "grants:grunntilskudd_edit": {"pk": o["grunntilskudd"].pk},
        "grants:grunntilskudd_letter": {"pk": o["grunntilskudd"].pk},
        "grants:grunntilskudd_action": {"pk": o["grunntilskudd"].pk, "action": "submit"},
        "grants:introduksjon_detail": {"pk": o["intro"].pk}, "grants:introduksjon_edit": {"pk": o["intro"].pk},
        "grants:introduksjon_letter": {"pk": o["intro"].pk},
        "grants:introduksjon_action": {"pk": o["intro"].pk, "action": "submit"},
        "alis:agreement_detail": {"pk": o["agreement"].pk}, "alis:agreement_edit": {"pk": o["agreement"].pk},
        "alis:agreement_action": {"pk": o["agreement"].pk, "action": "terminate"},
        "alis:supervisor_change": {"pk": o["agreement"].pk}, "alis:session_add": {"pk": o["agreement"].pk},
        "alis:session_edit": {"pk": o["agreement"].pk, "session_pk": o["session"].pk},
        "alis:session_delete": {"pk": o["agreement"].pk, "session_pk": o["session"].pk},
        "alis:import_detail": {"pk": o["alis_job"].pk}, "alis:import_confirm": {"pk": o["alis_job"].pk},
        "api:list-detail": {"kommunenummer": "0301", "listenummer": "4242"},
        "api:payment-month-detail": M, "api:payment-month-recompute": M, "api:payment-month-attest": M,
        "api:payment-month-authorise": M, "api:municipality-detail": {"kommunenummer": "0301"},
        "api:practice-detail": {"organisasjonsnummer": o["practice"].organisasjonsnummer},
        "api:doctor-detail": {"hpr_nummer": "1234567"}, "api:payment-run-detail": {"pk": o["run"].pk},
        "api:supervision-session-detail": {"pk": o["session"].pk},
    }
    for prefix, key in (("grunntilskudd", "grunntilskudd"), ("introduksjonsavtale", "intro"),
                        ("alis-agreement", "agreement")):
        for action in ("detail", "appeal", "approve", "reject", "submit", "terminate"):
            table[f"api:{prefix}-{action}"] = {"pk": o[key].pk}
    table.update(o.get("scenario_kwargs", {}))
    return table.get(name, {})


# Pages anyone may see, and URLs that are not pages (their behaviour is tested elsewhere).
SUPERUSER_ONLY = {"grants:personal_data"}  # refused with 403 before any object is looked up
PUBLIC = {"login", "accessibility", "set_language", "api:token"}


def fetch(client, name, objects):
    url = reverse(name, kwargs=kwargs_for(name, objects))
    return url, client.get(url)


def test_every_url_is_in_the_matrix(world):
    """A new view must be given kwargs here (or need none): reversing fails for an unknown parameter."""
    for name in url_names():
        reverse(name, kwargs=kwargs_for(name, world))


def test_anonymous_users_are_sent_to_login_or_refused(client, world):
    for name in url_names():
        url, response = fetch(client, name, world)
        if name in PUBLIC or name == "logout":
            assert response.status_code in (200, 302, 400, 405), url
            continue
        if name.startswith("api:"):
            assert response.status_code in (401, 403), (url, response.status_code)
        else:
            assert response.status_code == 302 and "/konto/logg-inn/" in response["Location"], (url,
                                                                                                 response.status_code)


def test_another_municipalitys_user_gets_404_and_never_sees_its_data(client, world, outsider):
    client.force_login(outsider)
    for name in url_names():
        url, response = fetch(client, name, world)
        assert response.status_code != 500, url
        if kwargs_for(name, world) and name not in PUBLIC and not name.startswith("api:municipality"):
            allowed = (403,) if name in SUPERUSER_ONLY else (404, 405)
            assert response.status_code in allowed, (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET.encode() not in body, url
        assert b"4242" not in body or name in PUBLIC, url


@pytest.mark.parametrize("role", ["administrator", "caseworker", "auditor"])
def test_members_of_the_municipality(client, world, role, administrator, caseworker, auditor):
    user = {"administrator": administrator, "caseworker": caseworker, "auditor": auditor}[role]
    client.force_login(user)
    for name in url_names():
        url, response = fetch(client, name, world)
        assert response.status_code in (200, 204, 302, 400, 403, 404, 405, 409), (url, response.status_code)
        if response.status_code == 403 and not name.startswith("api:"):
            assert "Ingen tilgang" in response.content.decode() and len(response.content) > 500, url
        if role == "auditor" and (name.endswith(("_edit", "_create")) or name.endswith("import_confirm")):
            assert response.status_code in (403, 405), (url, response.status_code)
        if kwargs_for(name, world) and name.endswith(("_detail", "_letter")) and "api" not in name:
            assert response.status_code in (200, 403, 404), (url, response.status_code)


def test_a_superuser_sees_but_does_not_act_without_a_membership(client, world):
    client.force_login(factories.UserFactory(username="root", is_superuser=True, is_staff=True))
    for name in url_names():
        url, response = fetch(client, name, world)
        assert response.status_code != 500, url
        if name in ("practices:list_detail", "grants:payment_month", "grants:grunntilskudd_detail",
                    "alis:agreement_detail", "grants:personal_data"):
            assert response.status_code == 200, url
    response = client.post(reverse("grants:recompute", kwargs=M))
    assert response.status_code == 403


def test_posts_from_another_municipality_change_nothing(client, world, outsider):
    client.force_login(outsider)
    for name in ("grants:grunntilskudd_action", "grants:introduksjon_action", "grants:recompute", "grants:attest",
                 "practices:import_confirm", "alis:agreement_action", "alis:session_delete"):
        response = client.post(reverse(name, kwargs=kwargs_for(name, world)), {"reason": "x", "date": "2023-01-01"})
        assert response.status_code == 404, name
    world["grunntilskudd"].refresh_from_db()
    world["agreement"].refresh_from_db()
    assert world["grunntilskudd"].status == "utkast" and world["agreement"].status == "godkjent"
    assert world["session"].__class__.objects.filter(pk=world["session"].pk).exists()
