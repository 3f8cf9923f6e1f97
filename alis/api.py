"""REST endpoints for ALIS agreements and supervision sessions (docs/alis.md, docs/api.md).

Thin callers of alis.selectors (scope), alis.permissions and alis.services (agreement_create,
agreement_transition, session_add); AlisError, Forbidden, ChecksFailed and TransitionNotAllowed become 400, 403,
400 and 409 in core.api.exception_handler."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from alis import permissions, rules, selectors, services
from alis.models import AlisAgreement, EmploymentForm, SessionKind, Status, SupervisionSession
from core import api as core_api
from core.api import (
    ApiDateField,
    ApiViewSet,
    TransitionMixin,
    responses,
    transition_schemas,
)
from practices.api import HprField, KommunenummerField, field_error, municipality_to_act_in
from practices.models import Doctor
from practices.selectors import practices_for

TAG = "ALIS"
# The services' field names as the API calls them (400 bodies).
SERVICE_FIELDS = {"doctor": "hpr_nummer", "supervisor": "supervisor_hpr_nummer", "practice": "organisasjonsnummer",
                  "municipality": "kommunenummer"}


# --- agreements -------------------------------------------------------------------------------------------


class AgreementSerializer(core_api.CaseSerializer):
    engine = services.ENGINE
    organisasjonsnummer = serializers.CharField(source="practice.organisasjonsnummer", read_only=True)
    hpr_nummer = serializers.CharField(source="doctor.hpr_nummer", read_only=True)
    lege_navn = serializers.CharField(source="doctor.name", read_only=True)
    supervisor_hpr_nummer = serializers.CharField(source="supervisor.hpr_nummer", read_only=True,
                                                  help_text="Veileder ved start (senere bytter vises i nettleseren).")
    annual_payment = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    state_grant_per_year = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = AlisAgreement
        fields = ["id", "status", "kommunenummer", "avtalenummer", "saksnummer", "organisasjonsnummer",
                  "hpr_nummer", "lege_navn", "supervisor_hpr_nummer", "start_date", "end_date", "terminated_on",
                  "position_percent", "employment_form", "annual_payment", "state_grant_per_year",
                  "state_grant_period_from", "state_grant_period_to", "state_grant_reference", "checks",
                  "override_reason", "decision_reason", "termination_reason", "created_by", "created_at",
                  "submitted_by", "submitted_at", "decided_by", "decided_at", "actions"]
        read_only_fields = fields


class AgreementCreateSerializer(serializers.Serializer):
    kommunenummer = KommunenummerField()
    avtalenummer = serializers.CharField(max_length=40)
    organisasjonsnummer = serializers.CharField(max_length=20)
    hpr_nummer = HprField(help_text="ALIS-legen (lege i spesialisering).")
    supervisor_hpr_nummer = HprField(help_text="Veilederen: spesialist i allmennmedisin.")
    start_date = ApiDateField()
    end_date = ApiDateField(required=False, allow_null=True, help_text="Uten den: start + 5 år − 1 dag.")
    position_percent = serializers.IntegerField(min_value=1, max_value=100, default=100)
    employment_form = serializers.ChoiceField(choices=EmploymentForm.choices, default=EmploymentForm.NAERINGSDRIVENDE)
    annual_payment = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    state_grant_per_year = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    state_grant_period_from = ApiDateField(required=False, allow_null=True)
    state_grant_period_to = ApiDateField(required=False, allow_null=True)
    state_grant_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    saksnummer = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


def _doctor(field: str, hpr: str) -> Doctor:
    doctor = Doctor.objects.filter(hpr_nummer=hpr).first()
    if doctor is None:
        raise field_error(field, f"Ingen lege med HPR-nummer {hpr} er registrert. Kontroller nummeret, eller "
                                 "registrer legen med POST /api/v1/doctors/.")
    return doctor


class AgreementFilter(filters.FilterSet):
    kommunenummer = filters.CharFilter(field_name="municipality__kommunenummer", max_length=4)
    status = filters.ChoiceFilter(choices=Status.choices)


@extend_schema_view(
    list=extend_schema(tags=[TAG], responses=responses({200: AgreementSerializer(many=True)}, 400)),
    retrieve=extend_schema(tags=[TAG], responses=responses({200: AgreementSerializer})),
    create=extend_schema(tags=[TAG], request=AgreementCreateSerializer,
                         responses=responses({201: AgreementSerializer}, 400, 403)),
    **transition_schemas(AgreementSerializer, TAG),
)
class AgreementViewSet(TransitionMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       ApiViewSet):
    """ALIS agreements of the user's municipalities; create (administrators) and submit/approve/reject/terminate
    (no appeal: docs/alis.md)."""

    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    service_fields = SERVICE_FIELDS

    def get_queryset(self):
        return selectors.agreements_for(self.request.user).select_related(
            "municipality", "practice", "doctor", "supervisor", "created_by", "submitted_by", "decided_by",
        ).order_by("municipality__kommunenummer", "avtalenummer", "pk")

    def transition(self, case, *, action, user, reason="", override_reason="", date=None):
        return services.agreement_transition(case, action=action, user=user, reason=reason,
                                             override_reason=override_reason, on=date)

    def create(self, request, *args, **kwargs):
        body = AgreementCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        municipality = municipality_to_act_in(request.user, data["kommunenummer"], permissions.can_create)
        practice = practices_for(request.user).filter(
            municipality=municipality, organisasjonsnummer=data["organisasjonsnummer"].replace(" ", "")).first()
        if practice is None:
            raise field_error("organisasjonsnummer", f"Kommune {municipality.kommunenummer} har ikke noe legekontor "
                                                     f"med organisasjonsnummer {data['organisasjonsnummer']}.")
        agreement = AlisAgreement(
            municipality=municipality, practice=practice, avtalenummer=data["avtalenummer"].strip(),
            doctor=_doctor("hpr_nummer", data["hpr_nummer"]),
            supervisor=_doctor("supervisor_hpr_nummer", data["supervisor_hpr_nummer"]),
            start_date=data["start_date"], end_date=data.get("end_date"), position_percent=data["position_percent"],
            employment_form=data["employment_form"], annual_payment=data["annual_payment"],
            state_grant_per_year=data["state_grant_per_year"],
            state_grant_period_from=data.get("state_grant_period_from"),
            state_grant_period_to=data.get("state_grant_period_to"),
            state_grant_reference=data.get("state_grant_reference", ""), saksnummer=data.get("saksnummer", ""))
        agreement = services.agreement_create(agreement=agreement, user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=agreement.pk)).data,
                        status=status.HTTP_201_CREATED)


# --- supervision sessions ---------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    avtalenummer = serializers.CharField(source="agreement.avtalenummer", read_only=True)
    kommunenummer = serializers.CharField(source="agreement.municipality.kommunenummer", read_only=True)
    hours = serializers.DecimalField(max_digits=4, decimal_places=2, read_only=True)
    supervisor_hpr_nummer = serializers.CharField(source="supervisor.hpr_nummer", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = SupervisionSession
        fields = ["id", "agreement", "avtalenummer", "kommunenummer", "date", "kind", "hours",
                  "supervisor_hpr_nummer", "group_leader", "note", "created_by", "created_at"]
        read_only_fields = fields


class SessionCreateSerializer(serializers.Serializer):
    agreement = serializers.IntegerField(min_value=1, help_text="ALIS-avtalens id.")
    date = ApiDateField()
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="0,25–8 i hele kvarter.")
    supervisor_hpr_nummer = HprField(required=False, allow_blank=True, help_text="Individuell: veilederen den dagen.")
    group_leader = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                         help_text="Gruppe: gruppelederens navn.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SessionFilter(filters.FilterSet):
    agreement = filters.NumberFilter(field_name="agreement_id", min_value=1, max_value=2**62)
    kommunenummer = filters.CharFilter(field_name="agreement__municipality__kommunenummer", max_length=4)


@extend_schema_view(
    list=extend_schema(tags=[TAG], responses=responses({200: SessionSerializer(many=True)}, 400)),
    retrieve=extend_schema(tags=[TAG], responses=responses({200: SessionSerializer})),
    create=extend_schema(tags=[TAG], request=SessionCreateSerializer,
                         responses=responses({201: SessionSerializer}, 400, 403)),
)
class SessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Supervision (veiledning) logged on the user's agreements; administrators log it on approved ones."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    service_fields = SERVICE_FIELDS

    def get_queryset(self):
        agreements = selectors.agreements_for(self.request.user)
        return SupervisionSession.objects.filter(agreement__in=agreements).select_related(
            "agreement__municipality", "supervisor", "created_by").order_by("-date", "-pk")

    def create(self, request, *args, **kwargs):
        body = SessionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        agreement = selectors.agreements_for(request.user).filter(pk=data["agreement"]).first()
        if agreement is None:
            raise field_error("agreement", f"Fant ingen ALIS-avtale med id {data['agreement']} i dine kommuner.")
        hpr = data.get("supervisor_hpr_nummer") or ""
        supervisor = _doctor("supervisor_hpr_nummer", hpr) if hpr and data["kind"] == rules.INDIVIDUELL else None
        session = services.session_add(agreement=agreement, user=request.user, date=data["date"], kind=data["kind"],
                                       hours=data["hours"], supervisor=supervisor,
                                       group_leader=data.get("group_leader", ""), note=data.get("note", ""))
        return Response(self.get_serializer(self.get_queryset().get(pk=session.pk)).data,
                        status=status.HTTP_201_CREATED)


ROUTES = [
    ("alis-agreements", AgreementViewSet, "alis-agreement"),
    ("supervision-sessions", SessionViewSet, "supervision-session"),
]
