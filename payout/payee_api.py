"""REST endpoints for payees (docs/api.md, «Utbetalingsmottakere»): read for every role of the municipality, write
for its administrators (a new or changed kontonummer is pending), confirm for a caseworker other than the one who
entered it. Thin callers of payout.selectors and payout.services.payees, as the pages are."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ApiDateField, ApiViewSet, responses
from payout import selectors
from payout.permissions import can_enter_payees
from payout.services import payees as services
from practices.api import HprField, KommunenummerField, MunicipalityFilter, field_error, municipality_to_act_in
from practices.models import Doctor

TAG = "utbetalingsmottakere"


class PayeeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kommunenummer = serializers.CharField(source="municipality.kommunenummer", read_only=True)
    hpr_nummer = serializers.CharField(source="doctor.hpr_nummer", read_only=True)
    name = serializers.CharField(read_only=True)
    organisasjonsnummer = serializers.CharField(read_only=True, help_text="Tom: legen personlig.")
    kontonummer = serializers.CharField(read_only=True, help_text="11 sifre.")
    valid_from = serializers.DateField(read_only=True, allow_null=True, help_text="null: fra starten.")
    status = serializers.SerializerMethodField(help_text="«venter» til en saksbehandler har bekreftet kontonummeret.")
    entered_by = serializers.CharField(source="entered_by.username", read_only=True, default=None)
    entered_at = serializers.DateTimeField(read_only=True)
    confirmed_by = serializers.CharField(source="confirmed_by.username", read_only=True, default=None)
    confirmed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_status(self, payee) -> str:
        return "venter" if payee.is_pending else "bekreftet"


class PayeeWriteSerializer(serializers.Serializer):
    """Types only; every rule (kontonummer, organisasjonsnummer, the doctor's municipality) is the service's."""

    name = serializers.CharField(max_length=200)
    organisasjonsnummer = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    kontonummer = serializers.CharField(max_length=20)
    valid_from = ApiDateField(required=False, allow_null=True, default=None)


class PayeeCreateSerializer(PayeeWriteSerializer):
    kommunenummer = KommunenummerField()
    hpr_nummer = HprField()


class PayeePatchSerializer(PayeeWriteSerializer):
    name = serializers.CharField(max_length=200, required=False)
    organisasjonsnummer = serializers.CharField(max_length=20, required=False, allow_blank=True)
    kontonummer = serializers.CharField(max_length=20, required=False)
    valid_from = ApiDateField(required=False, allow_null=True)


@extend_schema_view(
    list=extend_schema(tags=[TAG], responses=responses({200: PayeeSerializer(many=True)}, 400)),
    retrieve=extend_schema(tags=[TAG], responses=responses({200: PayeeSerializer})),
    create=extend_schema(tags=[TAG], request=PayeeCreateSerializer, responses=responses({201: PayeeSerializer},
                                                                                        400, 403)),
    partial_update=extend_schema(tags=[TAG], request=PayeePatchSerializer,
                                 responses=responses({200: PayeeSerializer}, 400, 403)),
    confirm=extend_schema(tags=[TAG], request=None, responses=responses({200: PayeeSerializer}, 403)),
)
class PayeeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Payees of the user's municipalities; ?kommunenummer= filters. POST and PATCH: administrators of the
    payee's municipality; POST …/{id}/confirm/: a caseworker there who did not enter the account."""

    serializer_class = PayeeSerializer
    filterset_class = MunicipalityFilter

    def get_queryset(self):
        return selectors.payees_for(self.request.user).order_by("municipality__kommunenummer", "doctor__hpr_nummer",
                                                                "valid_from", "pk")

    def _answer(self, payee, code=status.HTTP_200_OK):
        return Response(PayeeSerializer(self.get_queryset().get(pk=payee.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        data = PayeeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        municipality = municipality_to_act_in(request.user, values["kommunenummer"], can_enter_payees)
        doctor = Doctor.objects.filter(hpr_nummer=values["hpr_nummer"]).first()
        if doctor is None:
            raise field_error("hpr_nummer", _("Finner ingen lege med HPR-nummer %(hpr)s. Kontroller nummeret.")
                              % {"hpr": values["hpr_nummer"]})
        payee = services.save_payee(user=request.user, municipality=municipality, doctor=doctor, name=values["name"],
                                    organisasjonsnummer=values["organisasjonsnummer"],
                                    kontonummer=values["kontonummer"], valid_from=values["valid_from"])
        return self._answer(payee, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        payee = self.get_object()
        data = PayeePatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {"name": payee.name, "organisasjonsnummer": payee.organisasjonsnummer,
                  "kontonummer": payee.kontonummer, "valid_from": payee.valid_from, **data.validated_data}
        payee = services.save_payee(user=request.user, municipality=payee.municipality, doctor=payee.doctor,
                                    payee=payee, **values)
        return self._answer(payee)

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        payee = services.confirm_payee(user=request.user, payee=self.get_object())
        return self._answer(payee)


ROUTES = [("payees", PayeeViewSet, "payee")]
