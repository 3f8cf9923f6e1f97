from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from grants import views as grants_views
from practices import views as practices_views

from . import views
from .forms import LoginForm

urlpatterns = [
    path("", grants_views.dashboard, name="dashboard"),
    path("kommune/", practices_views.switch_municipality, name="switch_municipality"),
    path("tilgjengelighet/", views.accessibility, name="accessibility"),
    path("konto/logg-inn/", accounts_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("konto/logg-ut/", accounts_views.LogoutView.as_view(), name="logout"),
    path("oidc/", include("accounts.oidc_urls")),  # «Logg inn med kommunens konto» (docs/operations.md)
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("config.api")),  # REST API /api/v1/, schema and docs (docs/api.md)
    path("", include("practices.urls")),
    path("", include("grants.urls")),
    path("", include("alis.urls")),
    path("", include("scenarios.urls")),
    path("", include("payout.urls")),
    path("", include("accounts.urls")),
]

handler403 = "config.views.permission_denied"
