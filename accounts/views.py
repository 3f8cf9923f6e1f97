"""Login with the municipality's account (the OIDC views around mozilla-django-oidc's), logout that also ends the
provider's session, and the «Varsler» page where a user chooses which notices come by e-mail."""

import logging

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts import oidc
from accounts.forms import NoticePreferenceForm
from accounts.models import NoticePreference
from practices.models import Notice

logger = logging.getLogger("accounts.oidc")


class OidcLoginView(OIDCAuthenticationRequestView):
    """«Logg inn med kommunens konto»: to the provider with state, nonce and a PKCE challenge (S256)."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        self.OIDC_OP_AUTH_ENDPOINT = oidc.provider()["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = oidc.settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class OidcCallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the person back here with a code; a refusal goes back to the login page with why."""

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        if request.GET.get("error"):
            logger.warning("oidc refused by the provider: %s", request.GET.get("error")[:100])
        return super().get(request)

    def login_failure(self):
        message = getattr(self.request, "oidc_refusal", None) or _(
            "Innloggingen med kommunens konto ble avbrutt. Prøv igjen.")
        messages.error(self.request, message)
        return redirect("login")

    def login_success(self):
        response = super().login_success()
        logger.info("oidc session started for user %s", self.user.pk)
        return response


class LoginView(auth_views.LoginView):
    """The password form and, when OIDC is on, «Logg inn med kommunens konto»; PASSWORD_LOGIN=0 leaves only the
    second (the form is neither shown nor accepted; API tokens and the admin keep their passwords)."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "oidc_enabled": oidc.enabled(),
                "password_login": oidc.password_login_enabled()}

    def post(self, request, *args, **kwargs):
        if not oidc.password_login_enabled():
            messages.error(request, _("Logg inn med kommunens konto."))
            return redirect("login")
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """Django's logout; after a login with the municipality's account, on to the provider's end-session endpoint
    so that its session ends too (when the provider has one)."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if id_token and oidc.enabled():
            try:
                url = oidc.logout_url(request, id_token, oidc.provider())
            except Exception:  # noqa: BLE001 - the product's session has ended; the provider's is a courtesy
                logger.exception("oidc: no end-session endpoint")
                url = None
            if url:
                return HttpResponseRedirect(url)
        return response


@login_required
@require_http_methods(["GET", "POST"])
def notice_settings(request):
    """«Varsler»: which kinds of notices also come by e-mail (all are always shown in the product)."""
    # written only when the form is saved: a refused POST or a look at the page writes nothing
    preference = NoticePreference.objects.filter(user=request.user).first() or NoticePreference(user=request.user)
    form = NoticePreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Varselinnstillingene er lagret."))
        return redirect("accounts:notice_settings")
    return render(request, "accounts/notice_settings.html", {"form": form, "email": request.user.email})


@login_required
@require_http_methods(["GET"])
def notice_open(request, pk):
    """The link in a notice's e-mail: marks the user's own notice read and opens what it is about."""
    notice = get_object_or_404(Notice, pk=pk, user=request.user)
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk).update(read_at=timezone.now())
    target = notice.url if url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}) else ""
    return redirect(target or "dashboard")
