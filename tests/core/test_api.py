"""API frame (docs/api.md): token and session login, the OpenAPI schema and the docs page with vendored assets,
JSON errors everywhere under /api/, and bad input that must be a 400, never a 500."""

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


# --- login ------------------------------------------------------------------------------------------------


def test_token_login_then_the_token_header(administrator):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "admin.oslo", "password": factories.PASSWORD},
                           format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert list(response.json()) == ["token"] and Token.objects.get(user=administrator).key == token
    again = client.post("/api/v1/auth/token/", {"username": "admin.oslo", "password": factories.PASSWORD},
                        format="json")
    assert again.json()["token"] == token  # one token per user
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/municipalities/0301/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token feil")
    response = client.get("/api/v1/municipalities/0301/")
    assert response.status_code == 401 and "token" in response.json()["detail"].lower()


@pytest.mark.parametrize("body", [{"username": "admin.oslo", "password": "feil-passord"},
                                  {"username": "ukjent", "password": "x"}])
def test_token_login_with_wrong_credentials_is_400(administrator, body):
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400 and response.json() == {"detail": "Feil brukernavn eller passord."}


def test_token_login_validation_and_inactive_users(administrator):
    assert set(APIClient().post("/api/v1/auth/token/", {}, format="json").json()) == {"username", "password"}
    assert APIClient().post("/api/v1/auth/token/", "[", content_type="application/json").status_code == 400
    get_user_model().objects.filter(pk=administrator.pk).update(is_active=False)
    response = APIClient().post("/api/v1/auth/token/", {"username": "admin.oslo", "password": factories.PASSWORD},
                                format="json")
    assert response.status_code == 400


def test_token_login_is_throttled_like_the_browser(administrator, settings):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "admin.oslo", "password": "feil"}, format="json")
    response = client.post("/api/v1/auth/token/", {"username": "admin.oslo", "password": factories.PASSWORD},
                           format="json")
    assert response.status_code == 429 and "For mange" in response.json()["detail"]


def test_session_login_works_and_writes_need_the_csrf_token(client, administrator):
    client.force_login(administrator)
    assert client.get("/api/v1/lists/").status_code == 200
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(administrator)
    response = csrf_client.post("/api/v1/doctors/", {"hpr_nummer": "1", "name": "A"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


# --- schema and docs --------------------------------------------------------------------------------------


def test_schema_is_openapi_3_with_every_endpoint_of_the_contract(client, auditor):
    client.force_login(auditor)  # the schema needs a login (tests/security/test_tokens_and_caching.py)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in ("/api/v1/auth/token/", "/api/v1/municipalities/", "/api/v1/practices/", "/api/v1/lists/",
                 "/api/v1/doctors/", "/api/v1/doctors/{hpr_nummer}/", "/api/v1/lists/{kommunenummer}/{listenummer}/",
                 "/api/v1/list-counts/", "/api/v1/grunntilskudd/", "/api/v1/introduksjonsavtaler/",
                 "/api/v1/alis-agreements/", "/api/v1/supervision-sessions/", "/api/v1/payment-lines/",
                 "/api/v1/payment-months/", "/api/v1/payment-months/{kommunenummer}/{month}/recompute/",
                 "/api/v1/payment-runs/{id}/", "/api/v1/payment-months/{kommunenummer}/{month}/attest/",
                 "/api/v1/payment-months/{kommunenummer}/{month}/authorise/"):
        assert path in paths, path
    for kind in ("grunntilskudd", "introduksjonsavtaler", "alis-agreements"):
        for action in ("submit", "approve", "reject", "terminate"):
            operation = schema["paths"][f"/api/v1/{kind}/{{id}}/{action}/"]["post"]
            assert {"200", "400", "401", "403", "404", "409"} <= set(operation["responses"]), (kind, action)
    assert "/api/v1/grunntilskudd/{id}/appeal/" in paths and "/api/v1/alis-agreements/{id}/appeal/" not in paths
    assert "patch" in schema["paths"]["/api/v1/doctors/{hpr_nummer}/"]
    assert "put" not in schema["paths"]["/api/v1/doctors/{hpr_nummer}/"]


def test_docs_page_loads_swagger_ui_from_static_not_a_cdn(client, auditor):
    client.force_login(auditor)
    assert client.get("/api/v1/docs/").headers["Location"] == "/api/docs/"  # where a reader of /api/v1/ looks
    assert client.get("/api/v1/schema/").headers["Location"] == "/api/schema/"
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert any(s.startswith("/static/drf_spectacular_sidecar/") and s.endswith("swagger-ui-bundle.js")
               for s in sources)
    assert "<script>" not in html  # the init script is a separate request (CSP: script-src 'self')
    for source in sources:
        assert client.get(source.replace("&amp;", "&")).status_code == 200, source
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- errors -----------------------------------------------------------------------------------------------


def test_unknown_addresses_under_api_are_json_404(client, auditor):
    client.force_login(auditor)
    response = client.get("/api/v1/finnes-ikke/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Ukjent adresse")
    hint = client.get("/api/v1/lists")
    assert hint.status_code == 404 and "/api/v1/lists/" in hint.json()["detail"]
    assert client.get("/api/v1/lists/0301/a/b/c/").status_code == 404


def test_methods_that_do_not_exist_are_405(auditor):
    client = APIClient()
    client.force_authenticate(auditor)
    response = client.delete("/api/v1/municipalities/0301/")
    assert response.status_code == 405 and response.json()["detail"]
    assert client.post("/api/v1/payment-lines/", {}, format="json").status_code == 405


@pytest.mark.parametrize("body", [
    '{"hpr_nummer": "1", "name": "\\u0000"}',
    '{"hpr_nummer": "1", "name": "\\ud800"}',
    '{"hpr_nummer": "1", "name": NaN}',
    '{"hpr_nummer": "1", "name": "' + "x" * 100_000 + '"}',
    '{"hpr_nummer": 99999999999999999999999999999, "name": "A"}',
    '[' * 1000 + ']' * 1000,
    '{"hpr_nummer": "1", "name": "A", "specialist_since": "99999-01-01"}',
    '"just a string"',
    "ikke json",
])
def test_bad_input_is_400_never_500(administrator, body):
    client = APIClient()
    client.force_authenticate(administrator)
    response = client.post("/api/v1/doctors/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]


@pytest.mark.parametrize("url", [
    "/api/v1/lists/?kommunenummer=" + "9" * 10000,
    "/api/v1/payment-lines/?month=" + "2" * 5000,
    "/api/v1/supervision-sessions/?agreement=99999999999999999999999",
    "/api/v1/supervision-sessions/?agreement=-1",
    "/api/v1/grunntilskudd/?kommunenummer=%00",
    "/api/v1/doctors/%00/",
    "/api/v1/lists/%00/%00/",
    "/api/v1/payment-runs/99999999999999999999/",
    "/api/v1/municipalities/?page=99999999999999999999",
])
def test_bad_query_and_path_values_are_never_500(auditor, url):
    client = APIClient()
    client.force_authenticate(auditor)
    assert client.get(url).status_code in (200, 400, 404), url
