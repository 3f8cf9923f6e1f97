"""Security settings and CSRF (issue 10, docs/architecture.md): every URL that accepts a POST refuses one without the
CSRF token, htmx sends the token, uploads are kept outside the static root and only handed out by the scoped
view as attachments, and every page carries the security headers."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from practices.models import ImportJob
from tests.conftest import ROOT
from tests.matrix import kwargs_for, url_names

pytestmark = pytest.mark.django_db


def test_every_post_without_the_csrf_token_is_refused(world, administrator, caseworker):
    """For each member role, every URL (pages and API) answers a POST without the token with 403 and changes
    nothing; the login form too. A URL that does not take POST answers 405 before CSRF is checked."""
    refused = 0
    for user in (administrator, caseworker):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        for name in url_names():
            if name in ("api:token",):  # token login for integrations: no session, so no CSRF (docs/api.md)
                continue
            url = reverse(name, kwargs=kwargs_for(name, world))
            if name.startswith("api:"):  # the API parses JSON only
                response = client.post(url, '{"reason": "x"}', content_type="application/json")
            else:
                response = client.post(url, {"reason": "x"})
            assert response.status_code in (403, 405), (url, response.status_code)
            refused += response.status_code == 403
    world["grunntilskudd"].refresh_from_db()
    assert world["grunntilskudd"].status == "utkast"
    assert refused >= 80  # the sweep covers the forms, not only GET-only URLs
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post(reverse("login"), {"username": "x", "password": "y"}).status_code == 403


def test_htmx_sends_the_token_and_the_cookie_is_not_readable_by_scripts(client, administrator):
    script = (ROOT / "static" / "js" / "app.js").read_text()
    assert 'headers["X-CSRFToken"]' in script and 'meta[name="csrf-token"]' in script
    client.force_login(administrator)
    page = client.get(reverse("dashboard"))
    assert '<meta name="csrf-token" content="' in page.content.decode()
    assert settings.CSRF_COOKIE_HTTPONLY and settings.SESSION_COOKIE_HTTPONLY


def test_uploads_live_outside_the_static_root_and_are_handed_out_only_as_attachments(client, world,
                                                                                   administrator, outsider):
    job: ImportJob = world["job"]
    stored = Path(job.file.path).resolve()
    assert Path(settings.MEDIA_ROOT).resolve() in stored.parents
    assert Path(settings.STATIC_ROOT).resolve() not in stored.parents
    assert all(Path(d).resolve() not in stored.parents for d in settings.STATICFILES_DIRS)
    assert client.get("/media/" + job.file.name).status_code == 404  # MEDIA_ROOT is never served directly
    client.force_login(administrator)
    response = client.get(reverse("practices:import_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"].startswith("text/csv") and response["X-Content-Type-Options"] == "nosniff"
    client.force_login(outsider)
    assert client.get(reverse("practices:import_download", args=[job.pk])).status_code == 404


def test_every_page_carries_the_security_headers(client, administrator):
    client.force_login(administrator)
    for url in (reverse("login"), reverse("dashboard"), reverse("practices:list_index")):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_sessions_expire_and_passwords_are_validated():
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    validators = {v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "UserAttributeSimilarityValidator",
            "NumericPasswordValidator"} <= validators
