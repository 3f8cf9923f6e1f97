from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    # Django's own message has no bokmål translation.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Skriv inn korrekt brukernavn og passord. Begge feltene skiller mellom store og små "
                           "bokstaver."),
        "inactive": _("Denne kontoen er deaktivert."),
    }


def axes_username(request, credentials=None):
    """The username django-axes records a failed login under, cut to its column (255 characters). Django's login
    form does not enforce the username's max_length (it is set after the field is built), so a longer name
    reached django-axes' INSERT and the login page answered 500 (tests/security/test_fuzz.py). Otherwise as django-axes:
    the credentials' username, else the request's."""
    if credentials:
        username = credentials.get("username")
    else:
        data = getattr(request, "data", request.POST)
        username = data.get("username") if hasattr(data, "get") else None
    return username[:255] if isinstance(username, str) else username
