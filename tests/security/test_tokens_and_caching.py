"""Issue 15, finding 6: API tokens that end (API_TOKEN_TTL, logout, lock-out, deactivation), `Cache-Control:
no-store` on everything a logged-in user is sent, the schema and docs behind a login, and a too-large API body
answered in JSON."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grants.services import ledger
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
EXPIRED = "Ugyldig eller utløpt token. Hent et nytt med POST /api/v1/auth/token/."


def token_client(token: Token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def age(token: Token, seconds: int) -> None:
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(seconds=seconds))


# --- tokens expire ----------------------------------------------------------------------------------------


def test_the_token_lifetime_defaults_to_8_hours(settings):
    assert settings.API_TOKEN_TTL == 8 * 3600  # seconds; CI does not set API_TOKEN_TTL


def test_a_token_older_than_the_ttl_is_refused_and_deleted(administrator, settings):
    settings.API_TOKEN_TTL = 3600
    token = Token.objects.create(user=administrator)
    age(token, 3590)
    assert token_client(token).get("/api/v1/municipalities/0301/").status_code == 200
    age(token, 3601)
    response = token_client(token).get("/api/v1/municipalities/0301/")
    assert response.status_code == 401 and response.json() == {"detail": EXPIRED}
    assert response["WWW-Authenticate"] == "Token"
    assert not Token.objects.filter(pk=token.pk).exists()


def test_an_unknown_token_gets_the_same_norwegian_message(administrator):
    response = token_client(Token(key="feil")).get("/api/v1/municipalities/0301/")
    assert response.status_code == 401 and response.json() == {"detail": EXPIRED}


def test_logging_in_again_after_expiry_gives_a_new_token(administrator, settings):
    settings.API_TOKEN_TTL = 3600
    credentials = {"username": "admin.oslo", "password": factories.PASSWORD}
    first = APIClient().post("/api/v1/auth/token/", credentials, format="json")
    assert first.status_code == 200 and "no-store" in first["Cache-Control"]  # the token is a secret
    old = Token.objects.get(key=first.json()["token"])
    assert APIClient().post("/api/v1/auth/token/", credentials, format="json").json()["token"] == old.key
    age(old, 3601)
    new = APIClient().post("/api/v1/auth/token/", credentials, format="json").json()["token"]
    assert new != old.key and list(Token.objects.filter(user=administrator).values_list("key", flat=True)) == [new]
    assert token_client(Token(key=new)).get("/api/v1/municipalities/0301/").status_code == 200


# --- tokens end with the user's access --------------------------------------------------------------------


def test_logging_out_in_the_browser_deletes_the_token(administrator):
    token = Token.objects.create(user=administrator)
    browser = Client()
    browser.force_login(administrator)
    assert browser.post(reverse("logout")).status_code == 302
    assert not Token.objects.filter(user=administrator).exists()
    assert token_client(token).get("/api/v1/municipalities/0301/").status_code == 401


@pytest.mark.parametrize("where", ["api", "browser"])
def test_a_lock_out_deletes_the_token(administrator, auditor, settings, where):
    token = Token.objects.create(user=administrator)
    other = Token.objects.create(user=auditor)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        if where == "api":
            APIClient().post("/api/v1/auth/token/", {"username": "admin.oslo", "password": "feil"}, format="json")
        else:
            Client().post(reverse("login"), {"username": "admin.oslo", "password": "feil"})
    assert not Token.objects.filter(pk=token.pk).exists()
    assert token_client(token).get("/api/v1/municipalities/0301/").status_code == 401
    assert Token.objects.filter(pk=other.pk).exists()  # only the locked-out username's


def test_deactivating_a_user_deletes_the_token(administrator):
    token = Token.objects.create(user=administrator)
    administrator.first_name = "Endret"
    administrator.save()
    assert Token.objects.filter(pk=token.pk).exists()
    administrator.is_active = False
    administrator.save()
    assert not Token.objects.filter(user=administrator).exists()
    get_user_model().objects.filter(pk=administrator.pk).update(is_active=True)  # reactivated: the old key is dead
    assert token_client(token).get("/api/v1/municipalities/0301/").status_code == 401


# --- Cache-Control ----------------------------------------------------------------------------------------


def test_everything_a_logged_in_user_gets_is_no_store(client, oslo, auditor):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1))
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    client.force_login(auditor)
    export = reverse("grants:export_lines", kwargs={"kommunenummer": "0301", "month": "2020-06", "fmt": "csv"})
    for url in ("/", reverse("grants:payments_index"), export, "/api/v1/lists/", "/api/schema/", "/api/docs/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    token = Token.objects.create(user=auditor)
    response = token_client(token).get("/api/v1/payment-lines/", {"kommunenummer": "0301", "month": "2020-06"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_anonymous_pages_and_static_files_are_not_marked(client, auditor):
    assert "no-store" not in client.get(reverse("accessibility")).get("Cache-Control", "")
    client.force_login(auditor)
    static = client.get("/static/vendor/htmx/htmx.min.js")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


def test_a_stricter_cache_header_is_left_as_it_is(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password=factories.PASSWORD))
    response = client.get("/admin/")  # never_cache
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


# --- schema and docs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/schema/", "/api/schema/?format=json", "/api/docs/"])
def test_schema_and_docs_need_a_login(client, auditor, url):
    response = client.get(url)
    assert response.status_code == 401 and response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Du er ikke logget inn")
    assert token_client(Token.objects.create(user=auditor)).get(url).status_code == 200
    client.force_login(auditor)
    assert client.get(url).status_code == 200


# --- body size --------------------------------------------------------------------------------------------


def test_a_body_over_the_upload_limit_is_a_json_413(administrator):
    token = Token.objects.create(user=administrator)
    body = b"[" + b" " * (26 * 1024 * 1024 - 2) + b"]"
    response = Client().post("/api/v1/list-counts/", body, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Forespørselen er for stor (26 MB). Største tillatte størrelse er 25 MB; "
                                         "del dataene opp."}
