"""REST endpoints for municipalities, practices, doctors, lists and list counts (docs/api.md).

Thin callers: querysets start from practices.selectors, permissions are the functions of practices.permissions,
doctor writes go through DoctorForm + doctor_save (as in the browser) and list counts through the one import
service (practices.services.list_import) with the §9 validation and its ImportJob as the audit record."""

from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ERRORS, ApiMixin, ApiViewSet, MonthField, parse_error_message, responses
from practices.forms import DoctorForm
from practices.importing import ALL_COLUMNS, REQUIRED_COLUMNS
from practices.models import Doctor, ImportJob, ListHolder, Municipality, Practice
from practices.permissions import can_edit_doctor, can_import, can_register_doctor, require
from practices.selectors import doctors_for, list_holders, list_table, practices_for
from practices.services import doctor_save
from practices.services.list_import import import_file

TAG = "kommuner, legekontor, leger og lister"


# --- shared input fields and lookups (grants and ALIS use them too) ------------------------------------------


class KommunenummerField(serializers.RegexField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Fire sifre, for eksempel 0301.")
        super().__init__(r"^\d{4}$", max_length=4, error_messages={
            "invalid": _("Kommunenummer består av fire sifre, for eksempel 0301.")}, **kwargs)


class HprField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(r"^\d{1,9}$", max_length=9, error_messages={
            "invalid": _("HPR-nummer består av 1–9 sifre.")}, **kwargs)


def field_error(field: str, message: str) -> serializers.ValidationError:
    """A 400 with the message on its field."""
    return serializers.ValidationError({field: [message]})


def municipality_to_act_in(user, kommunenummer: str, check) -> Municipality:
    """The municipality a new object is created in: an unknown number is a 400; a municipality where `check`
    (a permission function) says no is a 403 with its reason (municipalities are public, docs/architecture.md)."""
    municipality = Municipality.objects.filter(kommunenummer=kommunenummer).first()
    if municipality is None:
        raise field_error("kommunenummer", _("Ukjent kommunenummer %(knr)s. Bruk dagens nummer (2024).")
                          % {"knr": kommunenummer})
    require(check(user, municipality))
    return municipality


# --- municipalities and practices -------------------------------------------------------------------------


class MunicipalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["kommunenummer", "name", "county"]


@extend_schema_view(list=extend_schema(tags=[TAG], responses=responses({200: MunicipalitySerializer(many=True)})),
                    retrieve=extend_schema(tags=[TAG], responses=responses({200: MunicipalitySerializer})))
class MunicipalityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Every municipality (2024 numbers); public to any logged-in user (docs/architecture.md)."""

    queryset = Municipality.objects.order_by("kommunenummer")
    serializer_class = MunicipalitySerializer
    lookup_field = "kommunenummer"
    lookup_value_regex = "[^/]+"


class MunicipalityFilter(filters.FilterSet):
    kommunenummer = filters.CharFilter(field_name="municipality__kommunenummer", max_length=4)


class PracticeSerializer(serializers.ModelSerializer):
    kommunenummer = serializers.CharField(source="municipality.kommunenummer", read_only=True)

    class Meta:
        model = Practice
        fields = ["organisasjonsnummer", "name", "kommunenummer", "address"]


@extend_schema_view(list=extend_schema(tags=[TAG], responses=responses({200: PracticeSerializer(many=True)}, 400)),
                    retrieve=extend_schema(tags=[TAG], responses=responses({200: PracticeSerializer})))
class PracticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Practices (legekontor) of the user's municipalities, by organisasjonsnummer."""

    serializer_class = PracticeSerializer
    filterset_class = MunicipalityFilter
    lookup_field = "organisasjonsnummer"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return practices_for(self.request.user).select_related("municipality").order_by("organisasjonsnummer")


# --- doctors ----------------------------------------------------------------------------------------------


def doctors_visible(user):
    """`doctors_for(user)`, plus the doctors this user registered (the history records who): a doctor created
    through the API holds no list yet, and its creator must be able to read it back."""
    created = Doctor.history.filter(history_type="+", history_user_id=user.pk).values("id")
    return Doctor.objects.filter(Q(pk__in=doctors_for(user).values("pk")) | Q(pk__in=created))


def form_errors(form) -> dict:
    return {("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in form.errors.items()}


class DoctorSerializer(serializers.ModelSerializer):
    """Validated by DoctorForm, the browser's form (HPR format and uniqueness, the specialist date rule)."""

    class Meta:
        model = Doctor
        fields = ["hpr_nummer", "name", "specialist_general_practice", "specialist_since"]
        # Types here; every rule (format, length, uniqueness, the specialist date) in DoctorForm, all at once.
        extra_kwargs = {"hpr_nummer": {"validators": [], "max_length": 100},
                        "name": {"allow_blank": True, "max_length": 1000}, "specialist_since": {"required": False}}

    def validate(self, attrs):
        instance = self.instance or Doctor()
        data = {name: getattr(instance, name) for name in self.Meta.fields}
        data.update(attrs)
        form = DoctorForm(data=data, instance=instance)
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        self.form = form
        return attrs

    def save(self, **kwargs):
        self.instance = doctor_save(doctor=self.form.save(commit=False), user=self.context["request"].user)
        return self.instance


class DoctorFilter(filters.FilterSet):
    kommunenummer = filters.CharFilter(method="in_municipality", max_length=4,
                                       help_text="Leger som har (eller har hatt) liste i kommunen.")

    def in_municipality(self, queryset, name, value):
        return queryset.filter(holdings__patient_list__municipality__kommunenummer=value).distinct()


@extend_schema_view(
    list=extend_schema(tags=[TAG], responses=responses({200: DoctorSerializer(many=True)}, 400)),
    retrieve=extend_schema(tags=[TAG], responses=responses({200: DoctorSerializer})),
    create=extend_schema(tags=[TAG], responses=responses({201: DoctorSerializer}, 400, 403)),
    partial_update=extend_schema(tags=[TAG], responses=responses({200: DoctorSerializer}, 400, 403)),
)
class DoctorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Doctors by HPR number. Visible: those with a list in the user's municipalities, and those the user
    registered. POST: administrators (of any municipality); PATCH: an administrator where the doctor holds a
    list."""

    serializer_class = DoctorSerializer
    filterset_class = DoctorFilter
    lookup_field = "hpr_nummer"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return doctors_visible(self.request.user).order_by("hpr_nummer")

    def create(self, request, *args, **kwargs):
        require(can_register_doctor(request.user))
        return super().create(request, *args, **kwargs)

    def partial_update(self, request, *args, **kwargs):
        doctor = self.get_object()
        require(can_edit_doctor(request.user, doctor))
        serializer = self.get_serializer(doctor, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)


# --- lists ------------------------------------------------------------------------------------------------


class PatientListSerializer(serializers.Serializer):
    """A list as its CSV row of §9 would describe it now: the latest count and the current holder."""

    kommunenummer = serializers.CharField(source="municipality.kommunenummer")
    listenummer = serializers.CharField()
    organisasjonsnummer = serializers.CharField(source="practice.organisasjonsnummer")
    legekontor = serializers.CharField(source="practice.name")
    listetak = serializers.IntegerField()
    active_from = serializers.DateField(allow_null=True)
    active_to = serializers.DateField(allow_null=True)
    antall_pasienter = serializers.IntegerField(source="latest_count", allow_null=True,
                                                help_text="Siste registrerte listetall.")
    maaned = MonthField(source="latest_month", allow_null=True, help_text="Måneden for siste listetall.")
    hpr_nummer = serializers.CharField(source="holder_hpr", allow_null=True, help_text="Listeinnehaver nå.")
    lege_navn = serializers.CharField(source="holder_name", allow_null=True)
    driftsform = serializers.CharField(source="holder_driftsform", allow_null=True)
    avtale_fra = serializers.DateField(source="holder_avtale_fra", allow_null=True)


class CountSerializer(serializers.Serializer):
    maaned = MonthField(source="month")
    antall_pasienter = serializers.IntegerField()
    listetak = serializers.IntegerField()
    behovsindeks = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)


class HolderSerializer(serializers.Serializer):
    fra_maaned = MonthField(source="from_month")
    hpr_nummer = serializers.CharField(source="doctor.hpr_nummer", allow_null=True, default=None)
    lege_navn = serializers.CharField(source="doctor.name", allow_null=True, default=None)
    driftsform = serializers.CharField()
    avtale_fra = serializers.DateField(allow_null=True)


class PatientListDetailSerializer(PatientListSerializer):
    counts = CountSerializer(many=True, source="count_history")
    holders = HolderSerializer(many=True, source="holder_history")


def lists_with_holders(user):
    """The selector's list table, with the current holder's HPR number and agreement date added."""
    holder = ListHolder.objects.filter(patient_list=OuterRef("pk")).order_by("-from_month")
    return list_table(user).annotate(holder_hpr=Subquery(holder.values("doctor__hpr_nummer")[:1]),
                                     holder_avtale_fra=Subquery(holder.values("avtale_fra")[:1]))


@extend_schema_view(list=extend_schema(tags=[TAG], responses=responses({200: PatientListSerializer(many=True)}, 400)))
class PatientListViewSet(mixins.ListModelMixin, ApiViewSet):
    """Lists (fastlegelister) of the user's municipalities; ?kommunenummer= filters."""

    serializer_class = PatientListSerializer
    filterset_class = MunicipalityFilter

    def get_queryset(self):
        return lists_with_holders(self.request.user).order_by("municipality__kommunenummer", "listenummer", "pk")


@extend_schema(tags=[TAG], responses=responses({200: PatientListDetailSerializer}))
class PatientListDetailView(ApiMixin, RetrieveAPIView):
    """One list by (kommunenummer, listenummer), with its count history and its holders."""

    serializer_class = PatientListDetailSerializer

    def get_object(self):
        patient_list = get_object_or_404(lists_with_holders(self.request.user),
                                         municipality__kommunenummer=self.kwargs["kommunenummer"],
                                         listenummer=self.kwargs["listenummer"])
        patient_list.count_history = list(patient_list.counts.order_by("month"))
        patient_list.holder_history = list(list_holders(patient_list))
        return patient_list


# --- list counts (the import) -----------------------------------------------------------------------------

_CELL = {"oneOf": [{"type": "string", "maxLength": 1000}, {"type": "number"}], "nullable": True}
ROWS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "description": "Rader med kolonnene i CSV-importen (docs/import.md). Rad i feilmeldinger = indeks + 2.",
    "items": {"type": "object", "required": list(REQUIRED_COLUMNS),
              "properties": {column: _CELL for column in ALL_COLUMNS}},
}
ImportResult = inline_serializer("ListetallResultat", {
    "opprettet": serializers.IntegerField(), "endret": serializers.IntegerField(),
    "uendret": serializers.IntegerField(), "advarsler": serializers.ListField(child=serializers.CharField()),
})
ImportErrors = inline_serializer("ListetallFeil", {"errors": inline_serializer("ListetallRadfeil", {
    "rad": serializers.IntegerField(allow_null=True, help_text="Indeks i listen + 2; null for hele innholdet."),
    "kolonne": serializers.CharField(allow_null=True),
    "melding": serializers.CharField(),
}, many=True)})


def _rejected(message: str) -> Response:
    return Response({"errors": [{"rad": None, "kolonne": None, "melding": message}]}, status=400)


class ListCountsView(ApiMixin, APIView):
    """POST an array of rows with exactly the CSV columns of §9; all or nothing, like the CSV import."""

    @extend_schema(tags=[TAG], request={"application/json": ROWS_SCHEMA}, responses={
        200: ImportResult, 400: OpenApiResponse(ImportErrors, description="Ingenting er lagret."),
        401: ERRORS[401], 403: ERRORS[403]})
    def post(self, request):
        require(can_import(request.user))
        try:
            records = request.data
        except exceptions.ParseError as error:
            return _rejected(parse_error_message(error))
        # Any JSON value goes to the service: a non-array or an empty array is its one whole-input error.
        job = import_file(user=request.user, data=b"", filename="api", dry_run=False, source="api", records=records)
        if job.status == ImportJob.Status.DONE:
            return Response({"opprettet": job.created, "endret": job.changed, "uendret": job.unchanged,
                             "advarsler": job.warnings})
        if job.errors:
            return Response({"errors": getattr(job, "all_errors", job.errors)}, status=400)
        return _rejected(job.message or "Innholdet ble avvist.")


ROUTES = [
    ("municipalities", MunicipalityViewSet, "municipality"),
    ("practices", PracticeViewSet, "practice"),
    ("doctors", DoctorViewSet, "doctor"),
    ("lists", PatientListViewSet, "list"),
]


def _patterns():
    return [
        path("lists/<str:kommunenummer>/<str:listenummer>/", PatientListDetailView.as_view(), name="list-detail"),
        path("list-counts/", ListCountsView.as_view(), name="list-counts"),
    ]


EXTRA_PATTERNS = _patterns()
