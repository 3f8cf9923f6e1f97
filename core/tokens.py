"""API tokens (DRF authtoken) that end: older than `API_TOKEN_TTL` seconds they are refused and deleted, and a
user's token is deleted when they log out, are locked out by django-axes or are deactivated (docs/api.md).

The receivers are connected in PracticesConfig.ready() (practices/apps.py)."""

from datetime import timedelta

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

INVALID_MESSAGE = "Ugyldig eller utløpt token. Hent et nytt med POST /api/v1/auth/token/."


def is_expired(token: Token) -> bool:
    return token.created <= timezone.now() - timedelta(seconds=settings.API_TOKEN_TTL)


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` as DRF's, but a token older than API_TOKEN_TTL is deleted and refused (401)."""

    def authenticate_credentials(self, key):
        try:
            user, token = super().authenticate_credentials(key)
        except exceptions.AuthenticationFailed:
            raise exceptions.AuthenticationFailed(INVALID_MESSAGE)
        if is_expired(token):
            Token.objects.filter(pk=token.pk).delete()
            raise exceptions.AuthenticationFailed(INVALID_MESSAGE)
        return user, token


def token_for(user) -> Token:
    """The user's token; a new one when the stored one has expired (one token per user)."""
    token, _ = Token.objects.get_or_create(user=user)
    if is_expired(token):
        Token.objects.filter(pk=token.pk).delete()
        # get_or_create again: of two logins racing here, the second gets the first one's new token.
        token, _ = Token.objects.get_or_create(user=user)
    return token


# --- revocation -------------------------------------------------------------------------------------------


def on_logged_out(sender, request=None, user=None, **kwargs):
    if user is not None and user.pk is not None:
        Token.objects.filter(user=user).delete()


def on_locked_out(sender, request=None, username=None, **kwargs):
    """django-axes locked the username out: its token goes too (an attacker may be guessing the password)."""
    if isinstance(username, str) and username:
        Token.objects.filter(**{f"user__{get_user_model().USERNAME_FIELD}": username}).delete()


def on_user_saved(sender, instance, **kwargs):
    """A deactivated user keeps no token (a queryset .update() bypasses this; deactivate through save())."""
    if not instance.is_active:
        Token.objects.filter(user=instance).delete()


def connect():
    user_logged_out.connect(on_logged_out, dispatch_uid="core.tokens.logged_out")
    user_locked_out.connect(on_locked_out, dispatch_uid="core.tokens.locked_out")
    post_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid="core.tokens.user_saved")
