"""An authorised month with every kind of payee, for the payment file's tests and its browser journey
(docs/payments.md, «Betalingsfil og bilag»).

Oslo, June 2020: list 100 (800 patients) paid to Anna Lege personally; list 101 (1 500) paid to Berit Lege's
company, whose account is pending until a second caseworker confirms it; list 102 is fastlønnet (its lines are
kept by the municipality, never paid); Carl Lege's list 103 ended in May, whose count was lowered after May was
authorised, so June holds only his negative korreksjon: he owes the municipality."""

from datetime import date
from decimal import Decimal

from grants.models import PaymentMonth
from grants.services import ledger
from practices.models import ListCount
from tests import factories
from tests.factories_payout import MunicipalityAccountFactory, PayeeFactory

MAY, JUNE = date(2020, 5, 1), date(2020, 6, 1)
COMPANY_ORGNR = "974760673"
# docs/rates.md «5. Worked examples» for 2020-06
ANNA = Decimal("38466.67")  # 800 patients: basis_under
BERIT = Decimal("48083.33") + Decimal("20791.67")  # 1 500 patients: basis_under + basis_over


def authorise(municipality, month, first, second) -> PaymentMonth:
    payment_month = PaymentMonth.objects.get(municipality=municipality, month=month)
    return ledger.authorise_month(payment_month=ledger.attest_month(payment_month=payment_month, user=first),
                                  user=second)


def build(municipality, first, second, *, entered_by=None) -> dict:
    """The month authorised by `first` and `second`; Berit's company account pending, entered by `entered_by`."""
    practice = factories.PracticeFactory(municipality=municipality, name="Sentrum legesenter")

    def holder(listenummer, name, hpr, **extra):
        return factories.ListHolderFactory(patient_list__practice=practice, patient_list__listenummer=listenummer,
                                           doctor__name=name, doctor__hpr_nummer=hpr, **extra)

    anna, berit = holder("100", "Anna Lege", "1000001"), holder("101", "Berit Lege", "1000002")
    kept = factories.ListHolderFactory(patient_list__practice=practice, patient_list__listenummer="102",
                                       doctor__name="Dag Fastlønnet", doctor__hpr_nummer="1000004",
                                       driftsform="fastlonnet")
    carl = holder("103", "Carl Lege", "1000003", patient_list__active_to=date(2020, 5, 31))
    factories.ListCountFactory(patient_list=carl.patient_list, month=MAY, antall_pasienter=1000)
    ledger.recompute_month(municipality_id=municipality.pk, month=MAY)
    authorise(municipality, MAY, first, second)
    ListCount.objects.filter(patient_list=carl.patient_list, month=MAY).update(antall_pasienter=400)
    for item, n in ((anna, 800), (berit, 1500), (kept, 1200)):
        factories.ListCountFactory(patient_list=item.patient_list, month=JUNE, antall_pasienter=n)
    ledger.recompute_month(municipality_id=municipality.pk, month=MAY)  # books Carl's korreksjon in June
    ledger.recompute_month(municipality_id=municipality.pk, month=JUNE)
    june = authorise(municipality, JUNE, first, second)
    MunicipalityAccountFactory(municipality=municipality, organisasjonsnummer="958935420", bic="DNBANOKKXXX")
    payees = {
        "anna": PayeeFactory(municipality=municipality, doctor=anna.doctor, name="Anna Lege"),
        "berit": PayeeFactory(municipality=municipality, doctor=berit.doctor, name="Berit Lege AS",
                              organisasjonsnummer=COMPANY_ORGNR, confirmed_at=None, entered_by=entered_by),
        "carl": PayeeFactory(municipality=municipality, doctor=carl.doctor, name="Carl Lege"),
    }
    return {"month": june, "payees": payees, "doctors": {"anna": anna.doctor, "berit": berit.doctor,
                                                           "carl": carl.doctor, "kept": kept.doctor}}
