"""Foundation: scope, roles, login throttling, language, commands, production settings, real services. The demo
login in a browser is tests/e2e/test_login.py."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.urls import reverse

from practices.models import Membership, Municipality
from practices.permissions import can_administer, can_casework, can_view
from practices.selectors import municipalities_for
from tests import factories
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def test_all_municipalities_are_loaded_by_the_data_migration():
    assert Municipality.objects.count() == 357
    assert Municipality.objects.get(kommunenummer="0301").name.startswith("Oslo")
    assert Municipality.objects.get(kommunenummer="4601").name == "Bergen"


def test_each_role_sees_only_its_municipalities(administrator, caseworker, auditor, outsider, oslo, bergen):
    for user in (administrator, caseworker, auditor):
        assert list(municipalities_for(user)) == [oslo]
    assert list(municipalities_for(outsider)) == [bergen]
    superuser = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    assert municipalities_for(superuser).count() == 357


def test_role_table_of_spec_section_10(administrator, caseworker, auditor, outsider, oslo):
    assert can_administer(administrator, oslo)[0] and not can_casework(administrator, oslo)[0]
    assert can_casework(caseworker, oslo)[0] and not can_administer(caseworker, oslo)[0]
    assert can_view(auditor, oslo)[0]
    assert not can_administer(auditor, oslo)[0] and not can_casework(auditor, oslo)[0]
    allowed, reason = can_view(outsider, oslo)
    assert not allowed and reason == "Du har ikke tilgang til denne kommunen."
    allowed, reason = can_casework(administrator, oslo)
    assert reason == "Bare saksbehandlere i 0301 Oslo - Oslove kan gjøre dette."


def test_a_user_with_several_municipalities_switches_but_only_to_their_own(client, oslo, bergen):
    user = factories.member(oslo, "caseworker")
    Membership.objects.create(user=user, municipality=bergen, role="auditor")
    client.force_login(user)
    page = client.get(reverse("dashboard"))
    assert page.context["request"].municipality == oslo
    assert 'id="municipality-switch"' in page.content.decode()
    client.post(reverse("switch_municipality"), {"municipality": bergen.pk, "next": "/"})
    assert client.get(reverse("dashboard")).context["request"].municipality == bergen
    trondheim = Municipality.objects.get(kommunenummer="5001")
    client.post(reverse("switch_municipality"), {"municipality": trondheim.pk, "next": "/"})
    assert client.get(reverse("dashboard")).context["request"].municipality == bergen


def test_dashboard_requires_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith("/konto/logg-inn/")


def test_login_page_is_norwegian(client):
    body = client.get(reverse("login")).content.decode()
    assert "Logg inn" in body and "Brukernavn" in body and 'lang="nb"' in body


def test_login_throttling_locks_after_five_failures(client, caseworker):
    url = reverse("login")
    for _ in range(4):
        response = client.post(url, {"username": caseworker.username, "password": "feil-passord"})
        assert response.status_code == 200
        assert "Skriv inn korrekt brukernavn og passord" in response.content.decode()
    response = client.post(url, {"username": caseworker.username, "password": "feil-passord"})
    assert response.status_code == 429
    response = client.post(url, {"username": caseworker.username, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "Kontoen er midlertidig sperret" in response.content.decode()


def test_language_switch_to_english_and_back(client, caseworker):
    client.force_login(caseworker)
    assert "Oversikt" in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("dashboard")).content.decode()
    assert 'lang="en"' in body and "Overview" in body and "Log out" in body
    client.post(reverse("set_language"), {"language": "nn", "next": "/"})
    body = client.get(reverse("dashboard")).content.decode()
    assert 'lang="nn"' in body and "Logg ut" in body
    client.post(reverse("set_language"), {"language": "nb", "next": "/"})
    assert "Oversikt" in client.get(reverse("dashboard")).content.decode()


def test_nb_number_and_date_formats(settings):
    import datetime as dt
    from decimal import Decimal

    from django.template import Context, Template
    from django.utils import translation

    with translation.override("nb"):
        html = Template("{% load l10n humanize %}{{ d }}|{{ n }}").render(
            Context({"d": dt.date(2020, 5, 31), "n": Decimal("1234.50")})
        )
    assert html == "31.05.2020|1\xa0234,50"


def test_add_user_is_idempotent(capsys):
    call_command("add_user", "per", "--password", "hemmelig-passord-1", "--municipality", "301", "--role", "auditor")
    call_command("add_user", "per", "--password", "nytt-passord-22", "--municipality", "0301", "--role", "auditor")
    call_command("add_user", "per", "--password", "nytt-passord-22", "--municipality", "4601", "--role",
                 "caseworker")
    user = Membership.objects.filter(user__username="per")
    assert sorted(user.values_list("municipality__kommunenummer", "role")) == [
        ("0301", "auditor"), ("4601", "caseworker")]
    assert user.first().user.check_password("nytt-passord-22")
    out = capsys.readouterr().out
    assert "Bruker per opprettet, auditor i 0301" in out and "Bruker per oppdatert" in out


@pytest.mark.parametrize("args", [
    ["--password", "x", "--municipality", "9999", "--role", "auditor"],
    ["--password", "x", "--municipality", "0301"],
])
def test_add_user_bad_arguments_exit_1(args):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("add_user", "per", *args)
    result = subprocess.run([sys.executable, "manage.py", "add_user", "per", *args], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "DEBUG": "1"})
    assert result.returncode == 1


def test_load_demo_is_idempotent_and_prints_logins(capsys):
    call_command("load_demo")
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "ola.saksbehandler" in out and "demo-fastlege-2020" in out
    assert Membership.objects.filter(user__username="kari.admin").count() == 2


def test_check_deploy_is_clean_under_production_settings():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DEBUG": "0", "SECRET_KEY": "x" * 60 + "-production-like-secret-key-0123456789",
           "ALLOWED_HOSTS": "fastlege.kommune.no"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_security_headers(client, caseworker):
    client.force_login(caseworker)
    response = client.get(reverse("dashboard"))
    assert response["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_task_round_trips_through_a_real_worker_on_redis(celery_worker):
    from config.celery import ping

    result = ping.delay({"hei": "verden"})
    assert result.get(timeout=30) == {"hei": "verden"}


def test_progress_shows_the_cache_only_while_a_run_runs():
    from core.progress import progress_of, set_progress

    set_progress("import", 987654, 100)  # left by a run of a database since re-created with the same ids
    assert progress_of("import", 987654, "queued") == 0
    assert progress_of("import", 987654, "running", running=5) == 100
    assert progress_of("import", 987655, "running", running=5) == 5
    assert progress_of("import", 987655, "failed") == 100
