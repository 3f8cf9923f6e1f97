"""REST endpoints for grant cases and the payment ledger (docs/api.md).

Thin callers of grants.selectors (scope), grants.services.cases (the draft services, transition) and
grants.services.ledger (start_recompute, attest_month, authorise_month); their exceptions become statuses in
core.api.exception_handler. Payment lines carry the fields of the CSV export (grants.exports.LINE_COLUMNS)."""

from contextlib import contextmanager

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core import api as core_api
from core.api import (
    ApiDateField,
    ApiMixin,
    ApiViewSet,
    MonthField,
    MonthFilter,
    TransitionMixin,
    month_or_400,
    responses,
    transition_schemas,
)
from core.months import format_month
from core.progress import progress_of
from core.workflow import ServiceError
from grants import exports, rules, selectors
from grants.models import CaseStatus, GrunntilskuddApplication, IntroduksjonsAvtale, PaymentLine, PaymentMonth
from grants.permissions import can_recompute
from grants.services import cases, ledger
from practices.api import HprField, KommunenummerField, field_error, municipality_to_act_in
from practices.permissions import can_administer, can_casework, require
from practices.selectors import lists_for, municipalities_for, practices_for

CASES_TAG = "grunntilskudd og introduksjonsavtaler"
PAYMENTS_TAG = "utbetalinger"


# --- cases: output ----------------------------------------------------------------------------------------


class CaseSerializer(core_api.CaseSerializer):
    """What both kinds of grant case show: status, who did what and when, the checks, and what this user may do
    now (the same answers as the buttons on the case page)."""

    engine = cases.ENGINE
    COMMON = ["id", "status", "kommunenummer", "saksnummer", "checks", "checked_on", "override_reason",
              "decision_reason", "appeal_reason", "terminated_on", "termination_reason", "created_by", "created_at",
              "submitted_by", "submitted_at", "decided_by", "decided_at", "actions"]


class GrunntilskuddSerializer(CaseSerializer):
    listenummer = serializers.CharField(source="patient_list.listenummer", read_only=True)
    hpr_nummer = serializers.CharField(source="doctor.hpr_nummer", read_only=True)
    lege_navn = serializers.CharField(source="doctor.name", read_only=True)
    dekker_fra = serializers.SerializerMethodField(help_text="Første måned tilskuddet dekker (ÅÅÅÅ-MM).")
    dekker_til = serializers.SerializerMethodField(help_text="Siste måned tilskuddet dekker (ÅÅÅÅ-MM).")

    class Meta:
        model = GrunntilskuddApplication
        fields = [*CaseSerializer.COMMON, "listenummer", "hpr_nummer", "lege_navn", "avtale_fra", "dekker_fra",
                  "dekker_til"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_dekker_fra(self, case):
        return format_month(rules.grunntilskudd_coverage(case.avtale_fra)[0]) if case.avtale_fra else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_dekker_til(self, case):
        return format_month(rules.grunntilskudd_coverage(case.avtale_fra)[1]) if case.avtale_fra else None


class IntroduksjonSerializer(CaseSerializer):
    organisasjonsnummer = serializers.CharField(source="practice.organisasjonsnummer", read_only=True)
    hpr_nummer = serializers.CharField(source="doctor.hpr_nummer", read_only=True)
    lege_navn = serializers.CharField(source="doctor.name", read_only=True)
    host_lists = serializers.SlugRelatedField(slug_field="listenummer", many=True, read_only=True)
    annual_contribution = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = IntroduksjonsAvtale
        fields = [*CaseSerializer.COMMON, "organisasjonsnummer", "hpr_nummer", "lege_navn", "host_lists",
                  "start_date", "end_date", "position_percent", "annual_contribution"]
        read_only_fields = fields


# --- cases: input -----------------------------------------------------------------------------------------


class GrunntilskuddCreateSerializer(serializers.Serializer):
    kommunenummer = KommunenummerField()
    listenummer = serializers.CharField(max_length=20)
    hpr_nummer = HprField(help_text="Søkeren: listens innehaver nå.")
    avtale_fra = ApiDateField(required=False, allow_null=True,
                              help_text="Når fastlegeavtalen startet. Uten den brukes datoen fra listedataene.")
    saksnummer = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class IntroduksjonCreateSerializer(serializers.Serializer):
    kommunenummer = KommunenummerField()
    organisasjonsnummer = serializers.CharField(max_length=20)
    hpr_nummer = HprField(help_text="Introduksjonslegen.")
    doctor_name = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text="Legens navn; påkrevd når HPR-nummeret ikke er registrert.")
    host_lists = serializers.ListField(child=serializers.CharField(max_length=20), min_length=1, max_length=50,
                                       help_text="Vertslistenes listenummer.")
    start_date = ApiDateField()
    end_date = ApiDateField()
    position_percent = serializers.IntegerField(min_value=50, max_value=100)
    annual_contribution = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    saksnummer = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


# --- cases: views -----------------------------------------------------------------------------------------


class CaseFilter(filters.FilterSet):
    kommunenummer = filters.CharFilter(field_name="municipality__kommunenummer", max_length=4)
    status = filters.ChoiceFilter(choices=CaseStatus.choices)


class CaseViewSet(TransitionMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  ApiViewSet):
    """A kind of grant case: scoped list and detail, create (administrators), and the transitions."""

    model = None
    related: list[str] = []
    create_serializer = None
    filterset_class = CaseFilter
    # The services' field names as the API calls them (400 bodies).
    service_fields = {"patient_list": "listenummer", "doctor": "hpr_nummer", "practice": "organisasjonsnummer",
                      "municipality": "kommunenummer", "host_lists": "host_lists"}

    def get_queryset(self):
        queryset = selectors.cases_for(self.request.user, self.model).select_related(
            "municipality", "created_by", "submitted_by", "decided_by", "doctor", *self.related)
        return queryset.order_by("-created_at", "-pk")

    @contextmanager
    def field_errors(self):
        """A refused draft as a 400 on the API's own field (patient_list → listenummer, doctor → hpr_nummer)."""
        try:
            yield
        except ServiceError as error:
            if error.status != 400 or not error.field:
                raise
            raise field_error(self.service_fields.get(error.field, error.field), str(error)) from None

    def transition(self, case, *, action, user, reason="", override_reason="", date=None):
        return cases.transition(case, action=action, user=user, reason=reason, override_reason=override_reason,
                                on=date)

    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        return self._transition(request, "appeal")

    def create(self, request, *args, **kwargs):
        data = self.create_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        municipality = municipality_to_act_in(request.user, data.validated_data["kommunenummer"], can_administer)
        with transaction.atomic():
            case = self.build_and_create(municipality, data.validated_data, request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data,
                        status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(tags=[CASES_TAG], responses=responses({200: GrunntilskuddSerializer(many=True)}, 400)),
    retrieve=extend_schema(tags=[CASES_TAG], responses=responses({200: GrunntilskuddSerializer})),
    create=extend_schema(tags=[CASES_TAG], request=GrunntilskuddCreateSerializer,
                         responses=responses({201: GrunntilskuddSerializer}, 400, 403)),
    **transition_schemas(GrunntilskuddSerializer, CASES_TAG, ("submit", "approve", "reject", "terminate", "appeal")),
)
class GrunntilskuddViewSet(CaseViewSet):
    """Søknader om grunntilskudd (docs/grants.md). The applicant is the list's holder now, as in the browser."""

    model = GrunntilskuddApplication
    related = ["patient_list"]
    serializer_class = GrunntilskuddSerializer
    create_serializer = GrunntilskuddCreateSerializer

    def build_and_create(self, municipality, data, user):
        patient_list = lists_for(user).filter(municipality=municipality, listenummer=data["listenummer"]).first()
        if patient_list is None:
            raise field_error("listenummer", f"Kommune {municipality.kommunenummer} har ingen liste med nummer "
                                              f"{data['listenummer']}.")
        with self.field_errors():
            return cases.save_grunntilskudd_draft(
                user=user, patient_list=patient_list, avtale_fra=data.get("avtale_fra"),
                saksnummer=data.get("saksnummer", ""), applicant_hpr=data["hpr_nummer"])


@extend_schema_view(
    list=extend_schema(tags=[CASES_TAG], responses=responses({200: IntroduksjonSerializer(many=True)}, 400)),
    retrieve=extend_schema(tags=[CASES_TAG], responses=responses({200: IntroduksjonSerializer})),
    create=extend_schema(tags=[CASES_TAG], request=IntroduksjonCreateSerializer,
                         responses=responses({201: IntroduksjonSerializer}, 400, 403)),
    **transition_schemas(IntroduksjonSerializer, CASES_TAG, ("submit", "approve", "reject", "terminate", "appeal")),
)
class IntroduksjonViewSet(CaseViewSet):
    """Introduksjonsavtaler (docs/grants.md). The introduksjonslege is found by HPR, or registered with its name."""

    model = IntroduksjonsAvtale
    related = ["practice"]
    serializer_class = IntroduksjonSerializer
    create_serializer = IntroduksjonCreateSerializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related("host_lists")

    def build_and_create(self, municipality, data, user):
        practice = practices_for(user).filter(municipality=municipality, organisasjonsnummer=data[
            "organisasjonsnummer"].replace(" ", "")).first()
        if practice is None:
            raise field_error("organisasjonsnummer", f"Kommune {municipality.kommunenummer} har ikke noe legekontor "
                                                      f"med organisasjonsnummer {data['organisasjonsnummer']}.")
        wanted = list(dict.fromkeys(data["host_lists"]))
        host_lists = list(lists_for(user).filter(municipality=municipality, listenummer__in=wanted))
        missing = sorted(set(wanted) - {pl.listenummer for pl in host_lists})
        if missing:
            raise field_error("host_lists", f"Kommune {municipality.kommunenummer} har ingen liste med nummer "
                                             f"{', '.join(missing)}.")
        with self.field_errors():
            return cases.save_introduksjon_draft(
                user=user, practice=practice, hpr_nummer=data["hpr_nummer"], doctor_name=data.get("doctor_name", ""),
                host_lists=host_lists, start_date=data["start_date"], end_date=data["end_date"],
                position_percent=data["position_percent"], annual_contribution=data["annual_contribution"],
                saksnummer=data.get("saksnummer", ""))


# --- payment lines ----------------------------------------------------------------------------------------


class PaymentLineSerializer(serializers.Serializer):
    """One line with exactly the fields of the CSV export (docs/import.md); empty CSV cells are null here, and text
    is never prefixed with the CSV's formula guard."""

    kommunenummer = serializers.CharField(source="municipality.kommunenummer")
    listenummer = serializers.CharField(source="patient_list.listenummer", allow_null=True)
    hpr_nummer = serializers.CharField(source="doctor.hpr_nummer", allow_null=True)
    maaned = MonthField(source="month")
    type = serializers.ChoiceField(source="kind", choices=PaymentLine.Kind.choices)
    antall = serializers.SerializerMethodField(help_text="Heltall; for utjamning 1 200 − snitt listelengde med høyst "
                                                         "4 desimaler.")
    sats = serializers.DecimalField(source="annual_rate", max_digits=12, decimal_places=2, allow_null=True)
    belop = serializers.DecimalField(source="amount", max_digits=12, decimal_places=2)
    forklaring = serializers.CharField(source="explanation")
    mottaker = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.NUMBER)
    def get_antall(self, line):
        return rules.plain_quantity(line.quantity)

    @extend_schema_field(serializers.ChoiceField(choices=["lege", "kommune"]))
    def get_mottaker(self, line):
        return "kommune" if line.kept_by_municipality else "lege"


assert list(PaymentLineSerializer().fields) == exports.LINE_COLUMNS  # one export, two formats


class PaymentLineFilter(filters.FilterSet):
    kommunenummer = filters.CharFilter(field_name="municipality__kommunenummer", max_length=4)
    month = MonthFilter(field_name="month", help_text="ÅÅÅÅ-MM")
    type = filters.ChoiceFilter(field_name="kind", choices=PaymentLine.Kind.choices)


@extend_schema_view(list=extend_schema(tags=[PAYMENTS_TAG],
                                       responses=responses({200: PaymentLineSerializer(many=True)}, 400)))
class PaymentLineViewSet(mixins.ListModelMixin, ApiViewSet):
    """The ledger's lines in the export's order (kommunenummer, listenummer, hpr_nummer, type)."""

    serializer_class = PaymentLineSerializer
    filterset_class = PaymentLineFilter

    def get_queryset(self):
        return selectors.export_order(selectors.lines_for(municipalities=municipalities_for(self.request.user)))


# --- payment months ---------------------------------------------------------------------------------------


class PaymentMonthSerializer(serializers.Serializer):
    kommunenummer = serializers.CharField(source="municipality.kommunenummer")
    maaned = MonthField(source="month")
    status = serializers.ChoiceField(choices=PaymentMonth.Status.choices)
    computed_at = serializers.DateTimeField(allow_null=True)
    uses_estimate = serializers.BooleanField(help_text="Beregnet med en anslått sats (estimat).")
    missing_counts = serializers.SerializerMethodField(help_text="Listenummer som mangler listetall.")
    attested_by = serializers.CharField(source="attested_by.username", allow_null=True)
    attested_at = serializers.DateTimeField(allow_null=True)
    authorised_by = serializers.CharField(source="authorised_by.username", allow_null=True)
    authorised_at = serializers.DateTimeField(allow_null=True)
    lines = serializers.IntegerField(source="line_count")
    total = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Sum av alle linjer.")
    paid_out = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Utbetales til leger.")
    kept = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Beholdes av kommunen.")
    utjamning = serializers.SerializerMethodField(help_text=(
        "Utjamningstilskudd: status (beregnet, for_tidlig, mangler_innbyggertall, for_mange_innbyggere, lange_lister, "
        "ingen_leger), melding, innbyggere, snitt listelengde og om linjene er kontrollberegning (estimat)."))

    @extend_schema_field(serializers.DictField())
    def get_utjamning(self, payment_month):
        data = payment_month.utjamning or {}
        return {"status": data.get("status", ""), "melding": payment_month.utjamning_message,
                "innbyggere": data.get("innbyggere"), "snitt": data.get("snitt"),
                "kontrollberegning": bool(data.get("estimat"))}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing_counts(self, payment_month):
        return [row.get("listenummer", "") for row in payment_month.missing_counts or []]


class PaymentMonthFilter(filters.FilterSet):
    kommunenummer = filters.CharFilter(field_name="municipality__kommunenummer", max_length=4)
    month = MonthFilter(field_name="month", help_text="ÅÅÅÅ-MM")
    status = filters.ChoiceFilter(choices=PaymentMonth.Status.choices)


@extend_schema_view(list=extend_schema(tags=[PAYMENTS_TAG],
                                       responses=responses({200: PaymentMonthSerializer(many=True)}, 400)))
class PaymentMonthViewSet(mixins.ListModelMixin, ApiViewSet):
    """Computed months with status and totals; newest first within each municipality."""

    serializer_class = PaymentMonthSerializer
    filterset_class = PaymentMonthFilter

    def get_queryset(self):
        return selectors.payment_months(self.request.user)


MONTH_PATH = [OpenApiParameter("kommunenummer", str, OpenApiParameter.PATH, description="Fire sifre."),
              OpenApiParameter("month", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, OpenApiParameter.PATH,
                               description="ÅÅÅÅ-MM, for eksempel 2020-06.")]


def _month_of(request, kommunenummer: str, month: str):
    """(municipality, month) from the path: 404 for a municipality outside the user's, 400 for a bad month."""
    municipality = selectors.municipality_for(request.user, kommunenummer)
    return municipality, month_or_400(month)


@extend_schema(tags=[PAYMENTS_TAG], parameters=MONTH_PATH, responses=responses({200: PaymentMonthSerializer}, 400))
class PaymentMonthDetailView(ApiMixin, APIView):
    """One computed month (404 until it has been computed)."""

    def get(self, request, kommunenummer, month):
        municipality, month = _month_of(request, kommunenummer, month)
        payment_month = get_object_or_404(selectors.payment_months(request.user), municipality=municipality,
                                          month=month)
        return Response(PaymentMonthSerializer(payment_month).data)


RunStarted = inline_serializer("BeregningStartet", {"run_id": serializers.IntegerField()})


@extend_schema(tags=[PAYMENTS_TAG], parameters=MONTH_PATH, request=None,
               responses=responses({202: RunStarted}, 400, 403))
class RecomputeView(ApiMixin, APIView):
    """Queue a recompute of the month (caseworkers); poll GET /api/v1/payment-runs/{run_id}/."""

    def post(self, request, kommunenummer, month):
        municipality, month = _month_of(request, kommunenummer, month)
        require(can_recompute(request.user, municipality))
        run = ledger.start_recompute(municipality=municipality, month=month, user=request.user, trigger="api")
        return Response({"run_id": run.pk}, status=status.HTTP_202_ACCEPTED)


class ClosingView(ApiMixin, APIView):
    """Attest or authorise (two different caseworkers, docs/payments.md). A refusal is 403 when it is about who
    asks (the role, or the one who attested authorising too) and 409 when it is about the month's status."""

    service = None
    name = ""

    def post(self, request, kommunenummer, month):
        municipality, month = _month_of(request, kommunenummer, month)
        payment_month = selectors.payment_month_for(municipality, month)
        try:
            type(self).service(payment_month=payment_month, user=request.user)
        except ServiceError as error:
            who = not can_casework(request.user, municipality)[0] or (
                self.name == "authorise" and payment_month.status == PaymentMonth.Status.ATTESTED
                and payment_month.attested_by_id == request.user.pk)
            if who:
                return Response({"detail": str(error)}, status=status.HTTP_403_FORBIDDEN)
            return Response({"detail": str(error), "status": payment_month.status}, status=status.HTTP_409_CONFLICT)
        return Response(PaymentMonthSerializer(selectors.payment_months(request.user).get(
            municipality=municipality, month=month)).data)


CLOSING_RESPONSES = {**responses({200: PaymentMonthSerializer}, 400, 403), 409: OpenApiResponse(
    inline_serializer("MaanedKonflikt", {"detail": serializers.CharField(), "status": serializers.ChoiceField(
        choices=PaymentMonth.Status.choices)}), description="Måneden har ikke status for dette.")}


@extend_schema(tags=[PAYMENTS_TAG], parameters=MONTH_PATH, request=None, responses=CLOSING_RESPONSES)
class AttestView(ClosingView):
    """Attestasjon (first signature): the month must be computed and open."""

    service = ledger.attest_month
    name = "attest"


@extend_schema(tags=[PAYMENTS_TAG], parameters=MONTH_PATH, request=None, responses=CLOSING_RESPONSES)
class AuthoriseView(ClosingView):
    """Anvisning (second signature, another caseworker): the month is closed and its lines frozen."""

    service = ledger.authorise_month
    name = "authorise"


# --- payment runs -----------------------------------------------------------------------------------------


class PaymentRunSerializer(serializers.Serializer):
    run_id = serializers.IntegerField(source="pk")
    kommunenummer = serializers.CharField(source="municipality.kommunenummer")
    maaned = MonthField(source="month")
    status = serializers.CharField()
    progress = serializers.SerializerMethodField(help_text="Prosent ferdig.")
    trigger = serializers.CharField()
    lines = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    missing = serializers.IntegerField(help_text="Lister som mangler listetall.")
    corrections = serializers.IntegerField(help_text="Korreksjonslinjer bokført.")
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.IntegerField())
    def get_progress(self, run):
        return progress_of("payment-run", run.pk, run.status, running=10)


class RunFilter(filters.FilterSet):
    kommunenummer = filters.CharFilter(field_name="municipality__kommunenummer", max_length=4)
    month = MonthFilter(field_name="month", help_text="ÅÅÅÅ-MM")


@extend_schema_view(
    list=extend_schema(tags=[PAYMENTS_TAG], responses=responses({200: PaymentRunSerializer(many=True)}, 400)),
    retrieve=extend_schema(tags=[PAYMENTS_TAG], responses=responses({200: PaymentRunSerializer})),
)
class PaymentRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Recompute runs of the user's municipalities: status, progress and outcome."""

    serializer_class = PaymentRunSerializer
    filterset_class = RunFilter

    def get_queryset(self):
        return selectors.runs_for(self.request.user).select_related("municipality").order_by("-created_at", "-pk")


ROUTES = [
    ("grunntilskudd", GrunntilskuddViewSet, "grunntilskudd"),
    ("introduksjonsavtaler", IntroduksjonViewSet, "introduksjonsavtale"),
    ("payment-lines", PaymentLineViewSet, "payment-line"),
    ("payment-months", PaymentMonthViewSet, "payment-month"),
    ("payment-runs", PaymentRunViewSet, "payment-run"),
]


def _patterns():
    month = "payment-months/<str:kommunenummer>/<str:month>/"
    return [
        path(month, PaymentMonthDetailView.as_view(), name="payment-month-detail"),
        path(month + "recompute/", RecomputeView.as_view(), name="payment-month-recompute"),
        path(month + "attest/", AttestView.as_view(), name="payment-month-attest"),
        path(month + "authorise/", AuthoriseView.as_view(), name="payment-month-authorise"),
    ]


EXTRA_PATTERNS = _patterns()
