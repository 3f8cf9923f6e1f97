"""Who a provider's claims log in as (accounts.oidc.login_user, docs/operations.md): the stored subject, a verified
e-mail at the first login, refusals, and memberships from OIDC_GROUP_ROLES re-evaluated at every login while
hand-given memberships stay. The whole flow through a real provider is tests/e2e/test_oidc.py."""

import pytest
from django.urls import reverse

from accounts.checks import oidc_settings
from accounts.models import OidcGrantedMembership, OidcIdentity
from accounts.oidc import Refused, login_user
from practices.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db
ISSUER = "https://login.example/v2.0"
GROUPS = {"bergen-saksbehandlere": {"kommune": "4601", "rolle": "caseworker"},
          "oslo-revisorer": [{"kommune": "0301", "rolle": "auditor"}]}


def claims(sub="abc", **extra):
    return {"iss": ISSUER, "sub": sub, **extra}


def test_first_login_by_verified_email_stores_the_subject_then_the_subject_decides(oslo):
    user = factories.member(oslo, "caseworker", username="kari")
    user.email = "Kari@Oslo.kommune.no"
    user.save()
    assert login_user(claims(email="kari@oslo.kommune.no", email_verified=True)) == user
    assert OidcIdentity.objects.get(user=user).subject == "abc"
    # the address changed at the provider: the subject still finds her
    assert login_user(claims(email="kari.ny@oslo.kommune.no", email_verified=False)) == user


@pytest.mark.parametrize("extra, code", [
    ({"email": "kari@oslo.kommune.no", "email_verified": False}, "unknown"),  # unverified: never by e-mail
    ({"email": "kari@oslo.kommune.no"}, "unknown"),
    ({"email": "nobody@example.org", "email_verified": True}, "unknown"),
])
def test_refusals(oslo, extra, code):
    user = factories.member(oslo, "caseworker", username="kari")
    user.email = "kari@oslo.kommune.no"
    user.save()
    with pytest.raises(Refused) as refused:
        login_user(claims(**extra))
    assert refused.value.code == code and "Du er ikke registrert" in refused.value.message
    assert not OidcIdentity.objects.exists()


def test_an_address_bound_to_another_subject_is_not_taken_over(oslo):
    user = factories.member(oslo, "caseworker", username="kari")
    OidcIdentity.objects.create(user=user, issuer=ISSUER, subject="first")
    user.email = "kari@oslo.kommune.no"
    user.save()
    with pytest.raises(Refused) as refused:
        login_user(claims(sub="second", email="kari@oslo.kommune.no", email_verified=True))
    assert refused.value.code == "email-taken"


def test_deactivated_users_are_refused(oslo):
    user = factories.member(oslo, "caseworker", username="kari")
    OidcIdentity.objects.create(user=user, issuer=ISSUER, subject="abc")
    user.is_active = False
    user.save()
    with pytest.raises(Refused, match="inactive"):
        login_user(claims())


def test_group_mapping_is_re_evaluated_at_every_login_and_hand_given_memberships_stay(settings, oslo, bergen):
    settings.OIDC_GROUP_ROLES = GROUPS
    user = login_user(claims(groups=["bergen-saksbehandlere", "oslo-revisorer"], preferred_username="per",
                             email="per@example.org", email_verified=True))
    assert user.username == "per" and not user.has_usable_password()
    roles = lambda: set(Membership.objects.filter(user=user).values_list("municipality__kommunenummer", "role"))  # noqa: E731
    assert roles() == {("4601", "caseworker"), ("0301", "auditor")}
    Membership.objects.create(user=user, municipality=oslo, role="administrator")  # given by hand in the product
    assert login_user(claims(groups=["oslo-revisorer"])) == user
    assert roles() == {("0301", "auditor"), ("0301", "administrator")}
    login_user(claims())  # no groups claim at all: memberships left as they were
    assert roles() == {("0301", "auditor"), ("0301", "administrator")}
    login_user(claims(groups=[]))
    assert roles() == {("0301", "administrator")}
    assert not OidcGrantedMembership.objects.exists()


def test_a_hand_given_membership_the_groups_also_give_is_not_taken_by_the_mapping(settings, bergen):
    settings.OIDC_GROUP_ROLES = GROUPS
    user = factories.member(bergen, "caseworker", username="per")
    OidcIdentity.objects.create(user=user, issuer=ISSUER, subject="abc")
    login_user(claims(groups=["bergen-saksbehandlere"]))
    login_user(claims(groups=[]))
    assert Membership.objects.filter(user=user, municipality=bergen, role="caseworker").exists()


def test_tenants_restrict_who_comes_in_and_where_groups_give_roles(settings, bergen):
    settings.OIDC_GROUP_ROLES = GROUPS
    settings.OIDC_TENANTS = {"tenant-bergen": ["4601"]}
    with pytest.raises(Refused, match="tenant"):
        login_user(claims(tid="tenant-other", groups=["bergen-saksbehandlere"]))
    user = login_user(claims(tid="tenant-bergen", groups=["bergen-saksbehandlere", "oslo-revisorer"]))
    assert set(Membership.objects.filter(user=user).values_list("municipality__kommunenummer", "role")) == {
        ("4601", "caseworker")}  # Oslo's group is not Bergen's tenant's to give
    assert OidcIdentity.objects.get(user=user).tenant == "tenant-bergen"


def test_bad_group_roles_fail_the_system_check(settings):
    settings.OIDC_GROUP_ROLES = {"g": {"kommune": "0301", "rolle": "sjef"}}
    assert [e.id for e in oidc_settings(None)] == ["accounts.E001"]
    settings.OIDC_GROUP_ROLES = {"g": "0301"}
    assert [e.id for e in oidc_settings(None)] == ["accounts.E001"]


def test_oidc_is_off_by_default_and_the_password_form_can_be_switched_off(client, settings, oslo):
    settings.OIDC_RP_CLIENT_ID = ""
    assert "Logg inn med kommunens konto" not in client.get(reverse("login")).content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    settings.OIDC_RP_CLIENT_ID = "fastlege"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://login.example/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://login.example/token"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://login.example/jwks"
    page = client.get(reverse("login")).content.decode()
    assert "Logg inn med kommunens konto" in page and 'name="password"' in page
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302 and response["Location"].startswith("https://login.example/authorize?")
    assert "code_challenge_method=S256" in response["Location"]
    settings.PASSWORD_LOGIN = False
    page = client.get(reverse("login")).content.decode()
    assert "Logg inn med kommunens konto" in page and 'name="password"' not in page
    factories.member(oslo, "caseworker", username="kari")
    response = client.post(reverse("login"), {"username": "kari", "password": factories.PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
