"""Access matrix (issue 10): every URL pattern, enumerated from the resolver so a new view cannot escape, for
every role. Objects of Oslo are requested by anonymous users, Oslo's administrator, caseworker and auditor,
Bergen's administrator (another municipality) and a superuser without memberships."""

import pytest
from django.urls import reverse

from tests import factories
from tests.matrix import MONTH, SECRET, kwargs_for, url_names

pytestmark = pytest.mark.django_db


# Pages anyone may see, and URLs that are not pages (their behaviour is tested elsewhere).
SUPERUSER_ONLY = {"grants:personal_data"}  # refused with 403 before any object is looked up
PUBLIC = {"login", "accessibility", "set_language", "api:token",
          "api:docs_v1", "api:schema_v1",  # redirects to the docs, which need a login
          "oidc_authentication_init", "oidc_authentication_callback"}  # 404 while OIDC is off (tests/accounts/)


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
            assert response.status_code in ((200, 302, 400, 404, 405) if name.startswith("oidc_") else
                                            (200, 302, 400, 405)), url
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
    response = client.post(reverse("grants:recompute", kwargs=MONTH))
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
