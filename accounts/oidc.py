"""Login with the municipality's own identity provider (OpenID Connect, authorisation code with PKCE), on
mozilla-django-oidc (docs/operations.md, «Innlogging med kommunens konto»).

A person is matched on the (issuer, subject) stored at an earlier login; at a first login on a verified e-mail
address (`email_verified`), which then stores the subject. Anyone else is refused, unless the provider's groups
give memberships by OIDC_GROUP_ROLES: then the user is created. Memberships the groups give are re-evaluated at
every login; memberships given by hand in the product are never touched. Every login and refusal is logged (this
logger, and django-axes' access log and attempts)."""

import hashlib
import logging
import time
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.models import OidcGrantedMembership, OidcIdentity
from practices.models import Membership, Municipality, Role

logger = logging.getLogger("accounts.oidc")

ENDPOINT_SETTINGS = {  # discovery document key → the setting that overrides it
    "issuer": "OIDC_OP_ISSUER",
    "authorization_endpoint": "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "OIDC_OP_TOKEN_ENDPOINT",
    "userinfo_endpoint": "OIDC_OP_USER_ENDPOINT",
    "jwks_uri": "OIDC_OP_JWKS_ENDPOINT",
    "end_session_endpoint": "OIDC_OP_LOGOUT_ENDPOINT",
}
DISCOVERY_SECONDS = 3600
_discovered: dict[str, tuple[float, dict]] = {}


class Refused(Exception):
    """A login the product refuses: `message` is what the person reads, `code` what the log says."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code, self.message = code, message


def enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


def password_login_enabled() -> bool:
    return settings.PASSWORD_LOGIN or not enabled()


def provider() -> dict:
    """The provider's endpoints: the discovery document (fetched at most once an hour), each overridden by its
    setting when that is set."""
    found = {}
    url = settings.OIDC_OP_DISCOVERY_URL
    if url:
        fetched_at, document = _discovered.get(url, (None, {}))
        if fetched_at is None or time.monotonic() - fetched_at > DISCOVERY_SECONDS:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
            _discovered[url] = (time.monotonic(), document)
        found = {key: document.get(key, "") for key in ENDPOINT_SETTINGS}
    for key, setting in ENDPOINT_SETTINGS.items():
        found[key] = getattr(settings, setting, "") or found.get(key, "")
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not found[key]]
    if missing:
        raise ImproperlyConfigured(f"OIDC: set OIDC_OP_DISCOVERY_URL or the endpoints ({', '.join(missing)})")
    return found


def group_roles() -> dict[str, list[tuple[str, str]]]:
    """OIDC_GROUP_ROLES as {group: [(kommunenummer, role), …]}; the setting is checked at start (accounts.checks)."""
    parsed = {}
    for group, grants in (settings.OIDC_GROUP_ROLES or {}).items():
        grants = grants if isinstance(grants, list) else [grants]
        parsed[str(group)] = [(str(g["kommune"]), str(g["rolle"])) for g in grants]
    return parsed


def check_settings() -> list[str]:
    """What is wrong with the OIDC settings (empty when nothing): used by the system check."""
    problems = []
    try:
        roles = group_roles()
    except (AttributeError, KeyError, TypeError):
        return ['OIDC_GROUP_ROLES: skriv {"gruppe-id": {"kommune": "0301", "rolle": "caseworker"}} '
                '(eller en liste av slike per gruppe).']
    for group, grants in roles.items():
        problems += [f"OIDC_GROUP_ROLES[{group}]: ukjent rolle {role!r} (administrator, caseworker, auditor)"
                     for _knr, role in grants if role not in Role.values]
    if not isinstance(settings.OIDC_TENANTS, dict):
        problems.append('OIDC_TENANTS: skriv {"tenant-id": ["0301", …]}.')
    if enabled() and not (settings.OIDC_OP_DISCOVERY_URL or settings.OIDC_OP_AUTHORIZATION_ENDPOINT):
        problems.append("OIDC_RP_CLIENT_ID er satt, men verken OIDC_OP_DISCOVERY_URL eller endepunktene.")
    return problems


def describe(claims: dict) -> str:
    """Who tried, for the log and django-axes: the e-mail when there is one, else a hash of the subject."""
    if claims.get("email"):
        return f"oidc:{claims['email']}"[:255]
    return "oidc:" + hashlib.sha256(str(claims.get("sub", "")).encode()).hexdigest()[:16]


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, read from the settings at each login (none of it is needed when OIDC is off),
    checking the ID token's issuer and audience too, and matching users on the stored subject."""

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # only the callback view calls with a nonce; a password login never reaches the provider
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        endpoints = provider()
        self.endpoints = endpoints
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = endpoints["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = endpoints["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, **kwargs)
        except Refused as refused:
            return self._refuse(request, refused, getattr(self, "claims", {}))
        except (SuspiciousOperation, jwt.PyJWTError, requests.RequestException, KeyError, ValueError) as error:
            logger.warning("oidc refused: token not accepted (%s: %s)", type(error).__name__, error)
            return self._refuse(request, Refused("token", _(
                "Innloggingen hos kommunens innloggingstjeneste kunne ikke bekreftes. Prøv igjen; hjelper ikke det, "
                "kontakt brukerstøtte.")), {})

    def _refuse(self, request, refused: Refused, claims: dict):
        request.oidc_refusal = refused.message
        request.oidc_identity = describe(claims) if claims else "oidc:ukjent"
        logger.warning("oidc refused %s: %s (issuer=%s tenant=%s)", request.oidc_identity, refused.code,
                       claims.get("iss", ""), claims.get("tid", ""))
        return None

    def verify_token(self, token, **kwargs):
        """The signature (JWKS) and nonce as the library checks them, and the issuer, audience and expiry."""
        payload = super().verify_token(token, **kwargs)
        if kwargs.get("nonce") is None:  # a signed userinfo response: no issuer check of its own
            return payload
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token audience is not this client")
        if "exp" not in payload:
            raise SuspiciousOperation("ID token without exp")
        issuer = self.endpoints["issuer"]
        # Entra ID's multi-tenant discovery names the issuer with a {tenantid} placeholder
        expected = issuer.replace("{tenantid}", str(payload.get("tid", ""))) if issuer else ""
        if expected and payload.get("iss") != expected:
            raise SuspiciousOperation(f"ID token issuer {payload.get('iss')!r} is not {expected!r}")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            info = self.get_userinfo(access_token, id_token, payload)
            if info.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("userinfo is about another subject")
            claims = {**info, **payload}
        self.claims = claims
        user = login_user(claims)
        self.request.oidc_identity = describe(claims)
        return user


def _verified(claims: dict) -> bool:
    return claims.get("email_verified") in (True, "true", "True")


def _allowed_municipalities(claims: dict) -> set[str] | None:
    """The municipalities a tenant may be given memberships in; None when tenants are not restricted."""
    tenants = settings.OIDC_TENANTS
    if not tenants:
        return None
    tenant = str(claims.get("tid", ""))
    if tenant not in tenants:
        raise Refused("tenant", _("Organisasjonen du logget inn fra, er ikke koblet til Fastlegefinansiering. Be "
                                  "kommunens administrator om å melde den inn."))
    return set(tenants[tenant])


def _wanted_memberships(claims: dict) -> set[tuple[int, str]] | None:
    """(municipality id, role) the provider's groups give; None when the mapping is off or the claim is missing
    (then memberships from the mapping are left as they are)."""
    mapping = group_roles()
    groups = claims.get(settings.OIDC_GROUPS_CLAIM)
    if not mapping or groups is None:
        if mapping:
            logger.warning("oidc login %s without the %r claim: group memberships left as they were",
                           describe(claims), settings.OIDC_GROUPS_CLAIM)
        return None
    groups = groups if isinstance(groups, list) else [groups]
    allowed = _allowed_municipalities(claims)
    wanted = {grant for group in groups for grant in mapping.get(str(group), [])}
    if allowed is not None:
        wanted = {(knr, role) for knr, role in wanted if knr in allowed}
    ids = dict(Municipality.objects.filter(kommunenummer__in={knr for knr, _role in wanted})
               .values_list("kommunenummer", "pk"))
    for knr in {knr for knr, _role in wanted} - set(ids):
        logger.error("OIDC_GROUP_ROLES names municipality %s, which does not exist", knr)
    return {(ids[knr], role) for knr, role in wanted if knr in ids}


@transaction.atomic
def login_user(claims: dict):
    """The user a provider's claims belong to (docs/operations.md): raises Refused with the reason to show."""
    issuer, subject = str(claims.get("iss", "")), str(claims.get("sub", ""))
    if not issuer or not subject:
        raise Refused("claims", _("Innloggingstjenesten sendte ikke hvem du er (iss og sub mangler)."))
    _allowed_municipalities(claims)
    User = get_user_model()
    identity = OidcIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    user = identity.user if identity else None
    email = str(claims.get("email") or "").strip()
    if user is None and email and _verified(claims):
        matches = list(User.objects.filter(email__iexact=email)[:2])
        if len(matches) > 1:
            raise Refused("email-ambiguous", _("Flere brukere har e-postadressen %(email)s. Be kommunens "
                                               "administrator om å rydde opp.") % {"email": email})
        if matches and OidcIdentity.objects.filter(user=matches[0], issuer=issuer).exists():
            # the address already belongs to another subject at this provider: never move a login by e-mail
            raise Refused("email-taken", _("E-postadressen %(email)s er allerede knyttet til en annen konto hos "
                                           "innloggingstjenesten.") % {"email": email})
        user = matches[0] if matches else None
    wanted = _wanted_memberships(claims)
    if user is None:
        if not wanted:
            raise Refused("unknown", _("Du er ikke registrert som bruker av Fastlegefinansiering. Be kommunens "
                                       "administrator om tilgang, og logg inn igjen etterpå."))
        user = _create_user(claims)
    if not user.is_active:
        raise Refused("inactive", _("Kontoen din er deaktivert. Kontakt kommunens administrator."))
    if identity is None:
        identity = OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject,
                                               tenant=str(claims.get("tid", ""))[:100])
    if wanted is not None:
        _sync_memberships(user, wanted)
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["last_login_at"])
    logger.info("oidc login %s as user %s (issuer=%s tenant=%s)", describe(claims), user.pk, issuer,
                claims.get("tid", ""))
    return user


def _create_user(claims: dict):
    User = get_user_model()
    base = str(claims.get("preferred_username") or claims.get("email") or f"oidc-{describe(claims)[5:]}")[:140]
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(username=username, email=str(claims.get("email") or "")[:254] if _verified(claims) else "",
                first_name=str(claims.get("given_name") or "")[:150],
                last_name=str(claims.get("family_name") or "")[:150])
    user.set_unusable_password()
    user.save()
    logger.info("oidc created user %s for %s", user.pk, describe(claims))
    return user


def _sync_memberships(user, wanted: set[tuple[int, str]]) -> None:
    """Add what the groups give, remove what they gave before and no longer give; hand-given memberships stay."""
    granted = {(m.municipality_id, m.role): m for m in Membership.objects.filter(user=user, oidc_grant__isnull=False)}
    have = set(Membership.objects.filter(user=user).values_list("municipality_id", "role"))
    for key in wanted - have:
        membership = Membership(user=user, municipality_id=key[0], role=key[1])
        membership._change_reason = "Gitt av gruppe i innloggingstjenesten"
        membership.save()
        OidcGrantedMembership.objects.create(membership=membership)
    for key, membership in granted.items():
        if key not in wanted:
            membership._change_reason = "Fjernet: gruppen i innloggingstjenesten gir den ikke lenger"
            membership.delete()


def logout_url(request, id_token: str, endpoints: dict) -> str | None:
    """Where the provider ends its session (RP-initiated logout), when it has an end_session_endpoint."""
    end = endpoints.get("end_session_endpoint")
    if not end:
        return None
    params = {"client_id": settings.OIDC_RP_CLIENT_ID,
              "post_logout_redirect_uri": request.build_absolute_uri(reverse("login"))}
    if id_token:
        params["id_token_hint"] = id_token
    return f"{end}{'&' if urlsplit(end).query else '?'}{urlencode(params)}"
