"""Login with the municipality's account (issue 21) through a real OpenID Connect provider on loopback: the
`oidc-provider` npm package in tests/oidc/provider.mjs (npm ci in tests/oidc, done by .ci/run), the authorisation
code flow with PKCE in Chromium, the ID token checked against the provider's JWKS."""

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from accounts.models import OidcGrantedMembership, OidcIdentity
from practices.models import Membership
from tests import factories
from tests.conftest import service_missing

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

OIDC_DIR = Path(__file__).resolve().parent.parent / "oidc"
ACCOUNTS = {
    "kari": {"email": "kari@oslo.kommune.no", "email_verified": True, "name": "Kari Nordmann"},
    "ukjent": {"email": "ukjent@example.org", "email_verified": True},
    "per": {"email": "per@bergen.kommune.no", "email_verified": True, "preferred_username": "per.bergen",
            "groups": ["fastlege-bergen-saksbehandlere"]},
}
GROUP_ROLES = {"fastlege-bergen-saksbehandlere": {"kommune": "4601", "rolle": "caseworker"}}


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    node = shutil.which("node")
    if not node:
        service_missing("Node.js is not installed (the test OpenID Connect provider runs on it)")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        service_missing("tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc` (.ci/run does)")
    env = {**os.environ, "OIDC_CLIENT_ID": "fastlege", "OIDC_CLIENT_SECRET": "test-secret-" + os.urandom(8).hex(),
           "OIDC_REDIRECT_URI": f"{live_server.url}/oidc/callback/",
           "OIDC_POST_LOGOUT_URI": f"{live_server.url}/konto/logg-inn/", "OIDC_ACCOUNTS": json.dumps(ACCOUNTS)}
    process = subprocess.Popen([node, str(OIDC_DIR / "provider.mjs")], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()  # the provider prints its issuer once it listens
        if not line:
            pytest.fail(f"the OpenID Connect provider did not start (exit {process.poll()})")
        yield {"issuer": json.loads(line)["issuer"], "client_id": env["OIDC_CLIENT_ID"],
               "client_secret": env["OIDC_CLIENT_SECRET"]}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    issuer = oidc_provider["issuer"]
    settings.OIDC_RP_CLIENT_ID = oidc_provider["client_id"]
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider["client_secret"]
    settings.OIDC_OP_DISCOVERY_URL = f"{issuer}/.well-known/openid-configuration"
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_GROUP_ROLES = GROUP_ROLES
    # as config/settings.py does for a configured provider: the logout form goes on to its end-session endpoint
    policy = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])}
    policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], issuer]
    settings.CONTENT_SECURITY_POLICY = policy
    return oidc_provider


def tamper(provider, on: bool):
    request = urllib.request.Request(f"{provider['issuer']}/__test/tamper", data=b"on" if on else b"off",
                                     method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response) == {"tamper": on}


def login_at_provider(page, login: str):
    page.goto(page.base_url + "/konto/logg-inn/")
    page.get_by_role("link", name="Logg inn med kommunens konto").click()
    page.wait_for_url(lambda url: not url.startswith(page.base_url))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(page.base_url))
    page.wait_for_load_state()


def test_a_known_user_logs_in_lands_on_the_dashboard_and_logs_out_at_the_provider(page, oidc_settings, oslo):
    user = factories.member(oslo, "caseworker", username="kari.oslo")
    user.email = "KARI@oslo.kommune.no"
    user.save()
    login_at_provider(page, "kari")
    assert page.locator("h1").inner_text() == "Oversikt"
    assert "0301 Oslo" in page.get_by_test_id("current-municipality").inner_text()
    page.screenshot(path="test-artifacts/oidc-dashboard.png", full_page=True)
    identity = OidcIdentity.objects.get(user=user)
    assert (identity.subject, identity.issuer) == ("kari", oidc_settings["issuer"])
    page.get_by_role("button", name="Logg ut").click()  # ends the provider's session too
    page.wait_for_url(lambda url: url.startswith(oidc_settings["issuer"]))
    page.locator("button[autofocus], button[type=submit]").first.click()  # the provider asks «sign out?»
    page.wait_for_url(f"{page.base_url}/konto/logg-inn/")
    assert page.get_by_role("link", name="Logg inn med kommunens konto").is_visible()
    page.screenshot(path="test-artifacts/oidc-login-page.png", full_page=True)


def test_an_unknown_person_is_refused_with_a_norwegian_message(page, oidc_settings):
    login_at_provider(page, "ukjent")
    assert "/konto/logg-inn/" in page.url
    assert "Du er ikke registrert som bruker av Fastlegefinansiering" in page.locator("main").inner_text()
    assert not OidcIdentity.objects.exists()


def test_a_group_mapping_creates_the_user_and_the_membership(page, oidc_settings, bergen):
    login_at_provider(page, "per")
    assert page.locator("h1").inner_text() == "Oversikt"
    assert "4601 Bergen" in page.get_by_test_id("current-municipality").inner_text()
    membership = Membership.objects.get(user__username="per.bergen")
    assert (membership.municipality, membership.role) == (bergen, "caseworker")
    assert OidcGrantedMembership.objects.filter(membership=membership).exists()


def test_a_tampered_id_token_is_refused(page, oidc_settings, oslo):
    factories.member(oslo, "caseworker", username="kari.oslo").__class__.objects.filter(
        username="kari.oslo").update(email="kari@oslo.kommune.no")
    tamper(oidc_settings, True)
    try:
        login_at_provider(page, "kari")
    finally:
        tamper(oidc_settings, False)
    assert "/konto/logg-inn/" in page.url
    assert "kunne ikke bekreftes" in page.locator("main").inner_text()
    assert not OidcIdentity.objects.exists()
