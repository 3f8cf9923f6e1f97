"""The REST API's routes under /api/v1/, the token login and the schema and docs views (docs/api.md). The base
classes every app's api.py uses are core/api.py; this module sits on top and wires the apps together."""

from django.contrib.auth import authenticate
from django.shortcuts import redirect
from django.urls import include, path, re_path
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from alis import api as alis_api
from core import tokens
from core.api import ERRORS, ApiMixin, DetailSerializer, exception_handler, not_found
from grants import api as grants_api
from payout import payee_api
from practices import api as practices_api

# --- token login ------------------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1000, trim_whitespace=False, style={"input_type": "password"})


class TokenView(ApiMixin, APIView):
    """POST {"username", "password"} → {"token"}; then send the header `Authorization: Token <token>`.

    The same login throttling as the browser (django-axes): repeated failures lock the username. The token is
    the user's current one until it expires (API_TOKEN_TTL), then a new one."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=TokenRequestSerializer, auth=[], tags=["innlogging"],
                   responses={200: inline_serializer("Token", {"token": serializers.CharField()}),
                              400: ERRORS[400], 403: ERRORS[403],
                              429: OpenApiResponse(DetailSerializer, description="Sperret etter for mange forsøk.")})
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The DRF request, not the Django one: django-axes then marks a lockout on it, and we answer in JSON
        # instead of its middleware's HTML page.
        user = authenticate(request=request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if getattr(request, "axes_locked_out", False):
            return Response({"detail": "For mange mislykkede innlogginger. Brukernavnet er sperret en stund; "
                                       "prøv igjen senere."}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None or not user.is_active:
            raise exceptions.ValidationError({"detail": "Feil brukernavn eller passord."})
        response = Response({"token": tokens.token_for(user).key})
        patch_cache_control(response, private=True, no_store=True)  # a secret: no cache may keep it
        return response


# --- schema and docs --------------------------------------------------------------------------------------


class LoginRequiredDocsMixin:
    """The schema and the Swagger UI for logged-in users only (session or token); refusals in JSON, in
    Norwegian, like the rest of /api/."""

    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):
        return exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False):  # not as YAML or as the Swagger page
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(LoginRequiredDocsMixin, SpectacularAPIView):
    pass


class DocsView(LoginRequiredDocsMixin, SpectacularSwaggerSplitView):
    pass


# --- routes -----------------------------------------------------------------------------------------------


def _v1_patterns():
    router = SimpleRouter()
    for module in (practices_api, grants_api, alis_api, payee_api):
        for prefix, viewset, basename in module.ROUTES:
            router.register(prefix, viewset, basename=basename)
    return [
        path("auth/token/", TokenView.as_view(), name="token"),
        *practices_api.EXTRA_PATTERNS,
        *grants_api.EXTRA_PATTERNS,
        *router.urls,
    ]


app_name = "api"
urlpatterns = [
    # where a reader of a /api/v1/… URL looks for the docs (issue 18)
    path("v1/docs/", require_safe(lambda request: redirect("api:docs")), name="docs_v1"),
    path("v1/schema/", require_safe(lambda request: redirect("api:schema")), name="schema_v1"),
    path("v1/", include(_v1_patterns())),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^.*$", not_found),
]
