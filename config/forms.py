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
