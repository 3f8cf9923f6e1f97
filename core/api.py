"""The frame of the REST API under /api/v1/ (docs/api.md): pagination, JSON input hygiene, fields for months
and dates, the case-transition actions and the one mapping from service exceptions to HTTP statuses. The
routes, the token login and the schema views are config/api.py, on top of the apps.

The endpoints themselves live in each app's api.py and are thin callers of its selectors, permission functions
and services (STYLE.md), so the API answers exactly as the UI does:

- another municipality's object → 404 (querysets start from `municipalities_for`);
- a role that may not act → 403 {"detail": reason} (the reason the permission function gives);
- a transition not allowed from the current status → 409 {"detail", "status", "allowed"};
- invalid input → 400 with field messages ({"felt": ["melding"]}, plus "detail" for service refusals);
- never a 500 for bad input (schemathesis checks this, tests/security/test_api_schemathesis.py);
- a body over DATA_UPLOAD_MAX_MEMORY_SIZE → 413 {"detail"} (Django's own answer would be an HTML 400).

Tokens expire after API_TOKEN_TTL and end at logout, lock-out and deactivation (core/tokens.py). The schema and
its docs page need a login too.

docs/api.md describes the contract for integrators.
"""

from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback
from rest_framework.viewsets import GenericViewSet

from core import tokens
from core.months import format_month, parse_month
from core.workflow import ServiceError, TransitionNotAllowed, check_dict_localized

# Dates and months the API accepts: a year outside this is a typo, not a case anyone decides (and the rules
# add up to 5 years to a date, which must stay a valid date).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
MONTH_MESSAGE = "Måned må skrives som ÅÅÅÅ-MM, for eksempel 2020-05 (år 2000–2099)."

MESSAGES = {
    exceptions.NotAuthenticated: "Du er ikke logget inn. Send «Authorization: Token <token>» (fra POST "
                                 "/api/v1/auth/token/) eller bruk en innlogget økt.",
    exceptions.AuthenticationFailed: tokens.INVALID_MESSAGE,
    exceptions.NotFound: "Fant ikke objektet, eller det hører til en kommune du ikke har tilgang til.",
    exceptions.MethodNotAllowed: "Metoden er ikke tillatt for denne adressen.",
    exceptions.UnsupportedMediaType: "Innholdet må være JSON (Content-Type: application/json).",
    exceptions.NotAcceptable: "API-et svarer bare med JSON (Accept: application/json).",
}


# --- input ------------------------------------------------------------------------------------------------


class StrictJSONParser(JSONParser):
    """JSON whose every text can be stored: no NUL characters (PostgreSQL refuses them) and no lone surrogates
    (they cannot be encoded as UTF-8). Otherwise a 400, never a database error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON-innholdet er for dypt nøstet.")
        _check_text(data)
        return data


def _check_text(value, depth=0):
    if depth > 50:
        raise exceptions.ParseError("JSON-innholdet er for dypt nøstet.")
    if isinstance(value, str):
        if "\x00" in value:
            raise exceptions.ParseError("Teksten inneholder et NUL-tegn (\\u0000). Fjern det og send på nytt.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise exceptions.ParseError("Teksten inneholder et ugyldig Unicode-tegn (en enslig surrogat).")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, depth + 1)
            _check_text(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, depth + 1)


class ApiDateField(serializers.DateField):
    """An ISO date within 2000–2099."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        message = "Datoen må være mellom 01.01.2000 og 31.12.2099."
        self.validators += [MinValueValidator(FIRST_DAY, message), MaxValueValidator(LAST_DAY, message)]


def month_or_400(value: str, field: str = "month") -> date:
    """`2020-05` → date(2020, 5, 1); a 400 naming the field otherwise (2020-13, 0000-01, 2100-01 …)."""
    try:
        month = parse_month(value)
    except ValueError:
        raise exceptions.ValidationError({field: [MONTH_MESSAGE]})
    if not FIRST_DAY <= month <= LAST_DAY:
        raise exceptions.ValidationError({field: [MONTH_MESSAGE]})
    return month


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2020-05"})
class MonthField(serializers.Field):
    """A month on the wire as `YYYY-MM`."""

    default_error_messages = {"invalid": MONTH_MESSAGE}

    def to_representation(self, value):
        return format_month(value)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return month_or_400(data, self.field_name or "month")


class MonthFormField(forms.CharField):
    """A `YYYY-MM` query parameter (django-filter): a 400 naming the parameter when it is not a month."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            return month_or_400(value)
        except exceptions.ValidationError:
            raise forms.ValidationError(MONTH_MESSAGE)


class MonthFilter(filters.Filter):
    field_class = MonthFormField


# --- errors -----------------------------------------------------------------------------------------------


def exception_handler(exc, context):
    """The service exceptions (grants, ALIS, the workflow table) as statuses with Norwegian bodies; the rest as
    DRF does it, with Norwegian messages for the framework's own refusals."""
    view = context.get("view")
    fields = getattr(view, "service_fields", {})  # a service's field names → the API's (doctor → hpr_nummer)
    response = None
    if isinstance(exc, TransitionNotAllowed):
        response = Response({"detail": str(exc), "status": exc.case_status, "allowed": exc.allowed},
                            status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, ServiceError):
        body = {"detail": str(exc)}
        if exc.status == 400:
            errors = dict(exc.errors)
            if exc.field:
                errors[exc.field] = str(exc)
            for field, message in errors.items():
                body.setdefault(fields.get(field, "non_field_errors" if field == "__all__" else field), [message])
            if exc.checks is not None:
                body["checks"] = [check_dict_localized(check) for check in exc.checks]
        response = Response(body, status=exc.status)
    elif isinstance(exc, RequestDataTooBig):  # raised while DRF reads request.body for the parser
        response = Response({"detail": too_big_message(context.get("request"))},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {fields.get(f, "non_field_errors" if f == "__all__" else f): m
                    for f, m in exc.message_dict.items()}
        else:
            body = {"non_field_errors": exc.messages}
        body.setdefault("detail", " ".join(" ".join(m) for m in body.values()))
        response = Response(body, status=status.HTTP_400_BAD_REQUEST)
    if response is not None:
        set_rollback()
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        for kind, message in MESSAGES.items():
            if isinstance(exc, kind) and str(exc.detail) == str(kind.default_detail):
                response.data["detail"] = message
        if isinstance(exc, exceptions.ParseError):
            response.data["detail"] = parse_error_message(exc)
    return response


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0").replace(".", ",")


def too_big_message(request) -> str:
    meta = getattr(request, "META", {})
    try:
        size = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    sent = f" ({_megabytes(size)} MB)" if size else ""
    return (f"Forespørselen er for stor{sent}. Største tillatte størrelse er "
            f"{_megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)} MB; del dataene opp.")


def parse_error_message(exc: exceptions.ParseError) -> str:
    """DRF's «JSON parse error - …» in Norwegian; our own parse errors are Norwegian already."""
    detail = str(exc.detail)
    if detail.startswith("JSON parse error"):
        return "Innholdet er ikke gyldig JSON: " + detail.split(" - ", 1)[-1]
    return detail


def not_found(request, *args, **kwargs):
    """Any other address under /api/: JSON, not the HTML 404 page (and a hint when only the slash is missing)."""
    detail = "Ukjent adresse i API-et. Se /api/docs/."
    if not request.path.endswith("/"):
        try:
            if resolve(request.path + "/").func is not not_found:
                detail = f"Adressene i API-et slutter med /: bruk {request.path}/."
        except Resolver404:
            pass
    return JsonResponse({"detail": detail}, status=404)


# --- schema helpers ---------------------------------------------------------------------------------------


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Hva som er galt, på norsk.")


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.CharField(help_text="Sakens status nå.")
    allowed = serializers.ListField(child=serializers.CharField(), help_text="Handlingene som er tillatt nå.")


ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Ugyldig innhold: {\"felt\": [\"melding\"]} og/eller "
                                                          "{\"detail\": \"…\"}."),
    401: OpenApiResponse(DetailSerializer, description="Ikke innlogget, eller tokenet er ugyldig eller utløpt."),
    403: OpenApiResponse(DetailSerializer, description="Rollen din kan ikke gjøre dette; `detail` sier hvorfor."),
    404: OpenApiResponse(DetailSerializer, description="Finnes ikke, eller hører til en annen kommune."),
    409: OpenApiResponse(ConflictSerializer, description="Ikke tillatt fra sakens status; `allowed` sier hva som "
                                                         "er tillatt."),
}


def responses(ok: dict, *codes: int) -> dict:
    """`ok` ({200: Serializer}) plus the declared error responses (always 401 and 404)."""
    return {**ok, **{code: ERRORS[code] for code in sorted({401, 404, *codes})}}


# --- base classes -----------------------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    """{"count", "next", "previous", "results"}; ?page=, ?page_size= (at most 1000)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    invalid_page_message = "Siden finnes ikke."


class ApiMixin:
    """What every endpoint shares: JSON in and out, login required, our pagination and error mapping."""

    pagination_class = Pagination
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A key with a NUL character names nothing (and PostgreSQL refuses it in a query).
        if any("\x00" in str(value) for value in kwargs.values()):
            raise exceptions.NotFound()


class ApiViewSet(ApiMixin, GenericViewSet):
    pass


# --- cases (grants and ALIS share the transition endpoints) ------------------------------------------------


class CheckSerializer(serializers.Serializer):
    """A stored check; its message in the request's language (Accept-Language; bokmål without one)."""

    code = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()

    def to_representation(self, instance):
        return super().to_representation(check_dict_localized(instance))


class ActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(help_text="Hvorfor ikke, når `allowed` er false.")


class CaseSerializer(serializers.ModelSerializer):
    """What every case shows (core.cases.Case): who and when, the checks and the steps this user may take.
    A subclass sets `engine` (the app's core.cases.CaseEngine) and its Meta."""

    engine = None
    kommunenummer = serializers.CharField(source="municipality.kommunenummer", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True, allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True)
    checks = CheckSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField()

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, case):
        return [{"action": a["action"], "allowed": a["allowed"], "reason": a["reason"]}
                for a in self.engine.actions(self.context["request"].user, case)]


_TEXT = {"required": False, "allow_blank": True, "max_length": 5000}


class SubmitSerializer(serializers.Serializer):
    pass


class ApproveSerializer(serializers.Serializer):
    override_reason = serializers.CharField(**_TEXT, help_text="Påkrevd når et vilkår ikke er oppfylt.")
    reason = serializers.CharField(**_TEXT)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(**_TEXT, help_text="Påkrevd.")


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(**_TEXT, help_text="Påkrevd.")
    date = ApiDateField(required=False, allow_null=True, help_text="Påkrevd: siste dag saken gjelder.")


DECISIONS = {"submit": SubmitSerializer, "approve": ApproveSerializer, "reject": ReasonSerializer,
             "terminate": TerminateSerializer, "appeal": ReasonSerializer}


def transition_schemas(output, tag: str, actions=("submit", "approve", "reject", "terminate")) -> dict:
    """extend_schema_view(**…) for the transition actions of a case viewset."""
    return {action: extend_schema(tags=[tag], request=DECISIONS[action],
                                  responses=responses({200: output}, 400, 403, 409)) for action in actions}


class TransitionMixin:
    """POST <cases>/{id}/submit|approve|reject|terminate/: the case from the scoped queryset (404), the body
    checked for types (400), then the app's one transition service, whose exceptions the handler maps to
    403 (role, four-eyes), 409 (not from this status) and 400 (reason missing, checks failing)."""

    def transition(self, case, *, action, user, reason="", override_reason="", date=None):
        raise NotImplementedError

    def _transition(self, request, action):
        case = self.get_object()
        body = DECISIONS[action](data=request.data)
        body.is_valid(raise_exception=True)
        self.transition(case, action=action, user=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, "submit")

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, "approve")

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, "reject")

    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        return self._transition(request, "terminate")
