"""/oidc/: mozilla-django-oidc's names (its backend reverses `oidc_authentication_callback` for redirect_uri)."""

from django.urls import path

from . import views

urlpatterns = [
    path("authenticate/", views.OidcLoginView.as_view(), name="oidc_authentication_init"),
    path("callback/", views.OidcCallbackView.as_view(), name="oidc_authentication_callback"),
]
