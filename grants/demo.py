"""Demo data for the ledger: the 2020 months of Oslo closed by two caseworkers (idempotent)."""

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model

from core.months import add_months
from grants.models import GrunntilskuddApplication, IntroductionAllotment, IntroduksjonsAvtale, PaymentMonth
from grants.services import cases, ledger
from grants.services.expiry import expire_eligibility
from practices.demo import DEMO_MUNICIPALITIES
from practices.models import Doctor, Municipality, PatientList

# Demo data of the apps to the left of grants (payout: payees and Oslo's account), registered in their
# AppConfig.ready(); load_demo runs them after the payments, and grants imports none of them (docs/architecture.md).
DEMO_LOADERS: list = []


def load_payments():
    """Compute every demo month (the import's recompute does this already when tasks run eagerly) and close
    January–December 2020 in Oslo: attested by ola.saksbehandler, authorised by siri.saksbehandler."""
    users = get_user_model().objects
    first, second = users.get(username="ola.saksbehandler"), users.get(username="siri.saksbehandler")
    for municipality in Municipality.objects.filter(kommunenummer__in=DEMO_MUNICIPALITIES):
        for index in range(30):
            month = add_months(date(2020, 1, 1), index)
            if not PaymentMonth.objects.filter(municipality=municipality, month=month, computed_at__isnull=False
                                               ).exists():
                ledger.recompute_month(municipality_id=municipality.pk, month=month)
    oslo = Municipality.objects.get(kommunenummer="0301")
    for payment_month in PaymentMonth.objects.filter(municipality=oslo, month__year=2020).order_by("month"):
        if payment_month.status == PaymentMonth.Status.OPEN:
            payment_month = ledger.attest_month(payment_month=payment_month, user=first)
        if payment_month.status == PaymentMonth.Status.ATTESTED:
            ledger.authorise_month(payment_month=payment_month, user=second)


def load_cases():
    """Grant cases in every state for Oslo and Bergen, made through the services (idempotent: once per list)."""
    users = get_user_model().objects
    admin, ola, siri = (users.get(username=name) for name in ("kari.admin", "ola.saksbehandler",
                                                               "siri.saksbehandler"))
    if GrunntilskuddApplication.objects.exists():
        return
    real_today = cases.today
    plan = [  # (kommunenummer, listenummer, avtale_fra, submitted on, actions)
        ("0301", "100", date(2021, 9, 1), date(2021, 11, 1), [("approve", ola, "")]),
        ("0301", "108", date(2020, 5, 1), date(2020, 6, 1), [("reject", siri, "Listen hadde over 500 pasienter."),
                                                              ("appeal", admin, "Tallet fra Helfo var feil."),
                                                              ("approve", ola, "")]),
        ("4601", "102", date(2022, 2, 1), date(2022, 3, 1), [("reject", ola, "Listetaket er 500.")]),
        ("4601", "110", date(2022, 8, 1), date(2022, 9, 1), []),
        ("0301", "101", date(2022, 3, 1), None, []),
        ("4601", "103", date(2021, 1, 1), date(2021, 2, 1), [("reject", ola, "Listetaket er ikke over 500."),
                                                              ("appeal", admin, "Listetaket ble økt i januar.")]),
        ("4601", "111", date(2021, 3, 1), date(2021, 4, 1), [("approve", siri, ""),
                                                              ("terminate", ola, "Legen sa opp avtalen.")]),
    ]
    try:
        for knr, number, avtale_fra, submitted_on, actions in plan:
            patient_list = PatientList.objects.get(municipality__kommunenummer=knr, listenummer=number)
            cases.today = lambda day=submitted_on or date(2022, 6, 1): day
            holder = cases.holder_on(patient_list, cases.today())
            case = cases.create_case(case=GrunntilskuddApplication(
                municipality=patient_list.municipality, patient_list=patient_list, doctor=holder.doctor,
                avtale_fra=avtale_fra, saksnummer=f"{avtale_fra.year}/{number}"), user=admin)
            if submitted_on is None:
                continue
            case = cases.transition(case, action="submit", user=admin)
            for action, user, reason in actions:
                case = cases.transition(case, action=action, user=user, reason=reason,
                                        override_reason="Demo: innvilget etter vurdering." if action == "approve"
                                        else "", on=date(2021, 12, 31) if action == "terminate" else None)
        oslo = PatientList.objects.filter(municipality__kommunenummer="0301").first().municipality
        IntroductionAllotment.objects.create(municipality=oslo, letter_reference="Hdir 21/12345", number_granted=2,
                                             granted_on=date(2021, 12, 15), created_by=admin)
        host = PatientList.objects.get(municipality=oslo, listenummer="109")
        cases.today = lambda: date(2022, 1, 10)
        doctor, _ = Doctor.objects.get_or_create(hpr_nummer="7100001", defaults={"name": "Ingrid Intro"})
        case = cases.create_case(case=IntroduksjonsAvtale(
            municipality=oslo, practice=host.practice, doctor=doctor, start_date=date(2022, 2, 1),
            end_date=date(2024, 1, 31), position_percent=100, annual_contribution=Decimal("60000"),
            saksnummer="22/77"), user=admin, host_lists=[host])
        case = cases.transition(case, action="submit", user=admin)
        cases.transition(case, action="approve", user=siri, override_reason="Demo")
    finally:
        cases.today = real_today

    expire_eligibility(today=date(2022, 6, 1))  # grants that ended by then become `utlopt`
