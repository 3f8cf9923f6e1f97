"""Grant cases (docs/grants.md): the transition table, four-eyes, eligibility at its boundaries, payments, expiry."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from core.workflow import ChecksFailed, Forbidden, ServiceError, TransitionNotAllowed
from grants import rules
from grants.models import (
    CaseEvent,
    CaseStatus,
    GrunntilskuddApplication,
    IntroductionAllotment,
    PaymentLine,
    PaymentRun,
)
from grants.services import cases, ledger
from grants.services.expiry import expire_eligibility
from practices.models import Notice
from tests import factories

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Cases are judged on the day of submission: 1 July 2020 unless a test moves it."""
    day = {"value": date(2020, 7, 1)}
    monkeypatch.setattr(cases, "today", lambda: day["value"])
    return day


@pytest.fixture
def small_list(oslo):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000,
                                         from_month=date(2020, 1, 1))
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=300,
                               listetak=1000)
    return holder


def application(holder, user, avtale_fra=date(2020, 6, 15)):
    case = GrunntilskuddApplication(municipality=holder.patient_list.municipality, patient_list=holder.patient_list,
                                    doctor=holder.doctor, avtale_fra=avtale_fra, saksnummer="20/123")
    return cases.create_case(case=case, user=user)


# --- the transition table ---------------------------------------------------------------------------------

ALLOWED = [
    (S.UTKAST, "submit", S.INNSENDT), (S.INNSENDT, "approve", S.INNVILGET), (S.INNSENDT, "reject", S.AVSLATT),
    (S.AVSLATT, "appeal", S.PAAKLAGET), (S.PAAKLAGET, "approve", S.INNVILGET), (S.PAAKLAGET, "reject", S.AVSLATT),
    (S.INNVILGET, "expire", S.UTLOPT), (S.INNVILGET, "terminate", S.AVSLUTTET),
]
ACTIONS = ["submit", "approve", "reject", "appeal", "expire", "terminate"]


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_table(status, action):
    expected = {(s, a): t for s, a, t in ALLOWED}.get((status, action))
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            cases.WORKFLOW.transition_for(status, action)
    else:
        assert cases.WORKFLOW.transition_for(status, action).target == expected


def test_full_path_with_appeal_and_four_eyes(small_list, administrator, caseworker, caseworker2, oslo):
    case = application(small_list, administrator)
    with pytest.raises(Forbidden, match="Bare kommuneadministratorer"):
        cases.transition(case, action="submit", user=caseworker)
    case = cases.transition(case, action="submit", user=administrator)
    assert case.status == S.INNSENDT and all(c["ok"] for c in case.checks)
    with pytest.raises(Forbidden, match="Bare saksbehandlere"):
        cases.transition(case, action="approve", user=administrator)
    with pytest.raises(ServiceError, match="begrunnelse"):
        cases.transition(case, action="reject", user=caseworker, reason=" ")
    case = cases.transition(case, action="reject", user=caseworker, reason="Listen er for stor.")
    with pytest.raises(TransitionNotAllowed) as refused:
        cases.transition(case, action="approve", user=caseworker2)
    assert refused.value.allowed == ["appeal"]
    case = cases.transition(case, action="appeal", user=administrator, reason="Feil listetall.")
    case = cases.transition(case, action="approve", user=caseworker2)
    assert case.status == S.INNVILGET and case.decided_by == caseworker2
    assert [e.action for e in CaseEvent.objects.filter(grunntilskudd=case)] == [
        "create", "submit", "reject", "appeal", "approve"]
    assert case.history.count() == 5


def test_a_caseworker_who_created_or_submitted_cannot_decide(small_list, oslo):
    both = factories.member(oslo, "administrator", username="begge")
    from practices.models import Membership

    Membership.objects.create(user=both, municipality=oslo, role="caseworker")
    case = cases.transition(application(small_list, both), action="submit", user=both)
    with pytest.raises(Forbidden, match="opprettet saken"):
        cases.transition(case, action="approve", user=both)
    allowed, reason = cases.ENGINE.permission(both, case, cases.WORKFLOW.transition_for(case.status, "approve"))
    assert not allowed and "fireøyneprinsippet" in reason


# --- eligibility at its boundaries ------------------------------------------------------------------------

BASE = dict(on=date(2020, 7, 1), applicant_id=1, holder_id=1, holder_name="A", driftsform="naeringsdrivende",
            listetak=1000, patients=300, patients_month=date(2020, 6, 1), avtale_fra=date(2020, 6, 15))


@pytest.mark.parametrize("change, code, ok, message", [
    ({"listetak": 500}, "listetak", False, "Listetak 500 – må være over 500."),
    ({"listetak": 501}, "listetak", True, "Listetak 501 – over 500."),
    ({"patients": 499}, "pasienter", True, "Listen har 499 pasienter per juni 2020 – under 500."),
    ({"patients": 500}, "pasienter", False, "Listen har 500 pasienter per juni 2020 – må være under 500."),
    # a count three months old is fine; four months old is named (a warning: the check still passes)
    ({"on": date(2020, 9, 30)}, "pasienter", True, "Listen har 300 pasienter per juni 2020 – under 500."),
    ({"on": date(2020, 10, 1)}, "pasienter", True,
     "Listen har 300 pasienter per juni 2020 – under 500. Tallet er fra juni 2020, mer enn 3 måneder før "
     "søknadsdagen; kontroller at det fortsatt gjelder."),
    ({"on": date(2022, 5, 31)}, "avtale", True,
     "Fastlegeavtalen startet 15.06.2020: søknaden gjelder måned 24 av avtalen (innenfor 24 måneder)."),
    ({"on": date(2022, 6, 1)}, "avtale", False,
     "Fastlegeavtalen startet 15.06.2020: søknaden gjelder måned 25 av avtalen; må være innenfor de første 24 "
     "månedene."),
    ({"driftsform": "fastlonnet"}, "driftsform", False,
     "Listen er fastlønnet. Bare næringsdrivende fastleger kan få grunntilskudd."),
    ({"driftsform": "naeringsdrivende"}, "driftsform", True, "Listeinnehaveren er næringsdrivende."),
    ({"holder_id": 2, "holder_name": "Berit"}, "listeinnehaver", False,
     "Søkeren er ikke listeinnehaver for listen (innehaver nå: Berit)."),
])
def test_grunntilskudd_checks_at_their_boundaries(change, code, ok, message):
    checks = {c.code: c for c in rules.grunntilskudd_checks(**{**BASE, **change})}
    assert (checks[code].ok, checks[code].message) == (ok, message)


def test_coverage_starts_not_before_may_2020():
    assert rules.grunntilskudd_coverage(date(2020, 6, 15)) == (date(2020, 6, 1), date(2022, 5, 1))
    assert rules.grunntilskudd_coverage(date(2019, 9, 1)) == (date(2020, 5, 1), date(2021, 8, 1))


@pytest.mark.parametrize("position, end, ok", [
    (100, date(2023, 12, 31), True), (100, date(2024, 1, 1), False),
    (50, date(2025, 12, 31), True), (50, date(2026, 1, 1), False),
    (80, date(2024, 6, 30), True), (80, date(2024, 7, 1), False),
])
def test_introduksjon_duration_grows_with_a_reduced_position(position, end, ok):
    assert rules.introduksjon_latest_end(date(2022, 1, 1), 50) == date(2025, 12, 31)
    checks = {c.code: c for c in rules.introduksjon_checks(
        start=date(2022, 1, 1), end=end, position_percent=position, is_specialist=False, doctor_id=1,
        practice_id=1, host_lists=[("7", 2, 1)], granted=0, allotted=1)}
    assert checks["varighet"].ok is ok


@pytest.mark.parametrize("change, code, ok", [
    ({"is_specialist": True}, "spesialist", False), ({"position_percent": 49}, "stilling", False),
    ({"position_percent": 50}, "stilling", True), ({"start": date(2021, 12, 31)}, "ikrafttredelse", False),
    ({"host_lists": [("7", 1, 1)]}, "vertslister", False), ({"host_lists": []}, "vertslister", False),
    ({"granted": 1, "allotted": 1}, "tildeling", False), ({"granted": 0, "allotted": 1}, "tildeling", True),
    ({"granted": 1, "allotted": 2}, "tildeling", True), ({"granted": 2, "allotted": 2}, "tildeling", False),
    # "not a specialist" on the start date (1 January 2022), as ALIS judges it
    ({"is_specialist": True, "specialist_since": date(2022, 1, 2)}, "spesialist", True),
    ({"is_specialist": True, "specialist_since": date(2022, 1, 1)}, "spesialist", False),
    ({"is_specialist": True, "specialist_since": date(2021, 12, 31)}, "spesialist", False),
])
def test_introduksjon_checks(change, code, ok):
    base = dict(start=date(2022, 1, 1), end=date(2023, 12, 31), position_percent=100, is_specialist=False,
                doctor_id=1, practice_id=1, host_lists=[("7", 2, 1)], granted=0, allotted=1)
    checks = {c.code: c for c in rules.introduksjon_checks(**{**base, **change})}
    assert checks[code].ok is ok


def test_a_failing_check_blocks_approval_unless_overridden(small_list, administrator, caseworker):
    small_list.patient_list.counts.update(antall_pasienter=512)
    case = cases.transition(application(small_list, administrator), action="submit", user=administrator)
    with pytest.raises(ChecksFailed) as refused:
        cases.transition(case, action="approve", user=caseworker)
    assert "Listen har 512 pasienter per juni 2020 – må være under 500." in str(refused.value)
    case = cases.transition(case, action="approve", user=caseworker, override_reason="Helfo bekreftet 480.")
    assert case.status == S.INNVILGET and case.override_reason == "Helfo bekreftet 480."


# --- payments ---------------------------------------------------------------------------------------------


def test_grunntilskudd_pays_across_its_24_months(small_list, administrator, caseworker, oslo):
    patient_list = small_list.patient_list
    months = [date(2020 + (5 + i) // 12, (5 + i) % 12 + 1, 1) for i in range(26)]  # 2020-06 … 2022-07
    for index, month in enumerate(months):
        count = 300 if index != 3 else 512  # 2020-09 has 512 patients: covered but pays nothing
        factories.ListCountFactory.create(patient_list=patient_list, month=month, antall_pasienter=count,
                                          listetak=1000) if index else None
    case = cases.transition(application(small_list, administrator), action="submit", user=administrator)
    cases.transition(case, action="approve", user=caseworker)
    for month in months:
        ledger.recompute_month(municipality_id=oslo.pk, month=month)
    paying = list(PaymentLine.objects.filter(kind="grunntilskudd").order_by("month").values_list("month", "amount"))
    assert len(paying) == 23  # 24 covered months (2020-06 … 2022-05) less 2020-09 with 512 patients
    assert paying[0] == (date(2020, 6, 1), Decimal("9616.67"))  # 500 × 577 / 12 − 300 × 577 / 12
    assert date(2020, 9, 1) not in [m for m, _ in paying] and paying[-1][0] == date(2022, 5, 1)
    june = PaymentLine.objects.filter(month=date(2020, 6, 1)).order_by("kind")
    assert sum(line.amount for line in june) == Decimal("24041.67")  # round(500 × 577 / 12)
    assert PaymentLine.objects.get(month=date(2020, 6, 1), kind="grunntilskudd").case_ref == f"grunntilskudd:{case.pk}"
    # a case that later expired still pays the months it covered
    expire_eligibility(today=date(2022, 6, 1))
    case.refresh_from_db()
    assert case.status == S.UTLOPT
    PaymentLine.objects.all().delete()
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2021, 1, 1))
    assert PaymentLine.objects.filter(kind="grunntilskudd").count() == 1


def test_introduksjon_pays_the_contribution_by_days(oslo, administrator, caseworker):
    host = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    doctor = factories.DoctorFactory()
    IntroductionAllotment.objects.create(municipality=oslo, letter_reference="22/1", number_granted=1,
                                         granted_on=date(2021, 12, 1), created_by=administrator)
    from grants.models import IntroduksjonsAvtale

    case = cases.create_case(case=IntroduksjonsAvtale(
        municipality=oslo, practice=host.patient_list.practice, doctor=doctor, start_date=date(2022, 1, 15),
        end_date=date(2024, 1, 14), position_percent=100, annual_contribution=Decimal("120000")),
        user=administrator, host_lists=[host.patient_list])
    case = cases.transition(case, action="submit", user=administrator)
    assert all(c["ok"] for c in case.checks), case.checks
    cases.transition(case, action="approve", user=caseworker)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2022, 1, 1))
    line = PaymentLine.objects.get(kind="introduksjon")
    assert (line.quantity, line.amount, line.doctor) == (17, Decimal("5483.87"), doctor)  # 120 000 × 17 / (12 × 31)
    # the allotment is used up: a second agreement fails the check
    second = cases.create_case(case=IntroduksjonsAvtale(
        municipality=oslo, practice=host.patient_list.practice, doctor=factories.DoctorFactory(),
        start_date=date(2022, 3, 1), end_date=date(2023, 3, 1), position_percent=100), user=administrator,
        host_lists=[host.patient_list])
    second = cases.transition(second, action="submit", user=administrator)
    assert {c["code"]: c["ok"] for c in second.checks}["tildeling"] is False


def test_expiry_is_idempotent_and_notifies_administrators_once(small_list, administrator, caseworker,
                                                               django_capture_on_commit_callbacks):
    administrator.email = "admin@oslo.kommune.no"
    administrator.save()
    case = cases.transition(application(small_list, administrator), action="submit", user=administrator)
    cases.transition(case, action="approve", user=caseworker)
    with django_capture_on_commit_callbacks(execute=True):  # the mails are sent after commit (accounts.notices)
        first = expire_eligibility(today=date(2022, 4, 15))  # last month 2022-05 ends 31.05.2022: within 60 days
        second = expire_eligibility(today=date(2022, 4, 15))
    assert (first["grunntilskudd"], first["varsler"], second["varsler"]) == (0, 1, 0)
    notice = Notice.objects.get(user=administrator, key__startswith="grunntilskudd-slutt-")
    assert notice.text.endswith("slutter 31.05.2022.") and len(mail.outbox) == 1
    assert expire_eligibility(today=date(2022, 5, 31))["grunntilskudd"] == 0
    assert expire_eligibility(today=date(2022, 6, 1))["grunntilskudd"] == 1
    assert expire_eligibility(today=date(2022, 6, 1))["grunntilskudd"] == 0
    case.refresh_from_db()
    assert case.status == S.UTLOPT and case.events.last().user is None


def test_expire_command_output_and_bad_date():
    from io import StringIO

    from django.core.management.base import CommandError

    out = StringIO()
    call_command("expire_eligibility", "--today", "2022-06-01", stdout=out)
    assert out.getvalue().startswith("2022-06-01: utløpt grunntilskudd 0, introduksjonsavtaler 0")
    with pytest.raises(CommandError):
        call_command("expire_eligibility", "--today", "01.06.2022")


def test_termination_changes_payments_from_its_date(small_list, administrator, caseworker, oslo, today,
                                                    django_capture_on_commit_callbacks):
    for month in (date(2020, 7, 1), date(2020, 8, 1)):
        factories.ListCountFactory(patient_list=small_list.patient_list, month=month, antall_pasienter=300,
                                   listetak=1000)
    case = cases.transition(application(small_list, administrator), action="submit", user=administrator)
    today["value"] = date(2020, 8, 20)
    with django_capture_on_commit_callbacks(execute=True):
        cases.transition(case, action="approve", user=caseworker)
    assert PaymentLine.objects.filter(kind="grunntilskudd").count() == 3  # 2020-06 … 2020-08, recomputed on commit
    with pytest.raises(ServiceError, match="datoen"):
        cases.transition(case, action="terminate", user=caseworker, reason="Sluttet")
    with django_capture_on_commit_callbacks(execute=True):
        cases.transition(case, action="terminate", user=caseworker, reason="Sluttet", on=date(2020, 7, 15))
    assert list(PaymentLine.objects.filter(kind="grunntilskudd").values_list("month", flat=True).order_by(
        "month")) == [date(2020, 6, 1), date(2020, 7, 1)]


# --- introduksjonsavtaler: the allotment is a total, the specialist check is judged on the start ------------


@pytest.fixture
def allotment_of_two(oslo, administrator):
    IntroductionAllotment.objects.create(municipality=oslo, letter_reference="Hdir 21/1", number_granted=2,
                                         granted_on=date(2021, 12, 1), created_by=administrator)
    return factories.ListHolderFactory(patient_list__practice__municipality=oslo)


def introduksjon(host, administrator, *, status, start, end, terminated_on=None, doctor=None):
    from grants.models import IntroduksjonsAvtale

    case = IntroduksjonsAvtale.objects.create(
        municipality=host.patient_list.municipality, practice=host.patient_list.practice,
        doctor=doctor or factories.DoctorFactory(), start_date=start, end_date=end, position_percent=100,
        status=status, terminated_on=terminated_on, created_by=administrator)
    case.host_lists.set([host.patient_list])
    return case


def third_checks(host, doctor=None, start=date(2023, 1, 1)):
    return {c.code: c for c in cases.introduksjon_checks(
        municipality=host.patient_list.municipality, practice=host.patient_list.practice,
        doctor=doctor or factories.DoctorFactory(), host_lists=[host.patient_list], start=start,
        end=date(2024, 12, 31), position_percent=100)}


def test_an_agreement_that_ended_early_still_uses_its_place_in_the_allotment(allotment_of_two, administrator):
    """docs/grants.md: the municipality "cannot start more agreements than it was granted" — every agreement ever
    granted counts, also one terminated before the new one starts."""
    host = allotment_of_two
    introduksjon(host, administrator, status=S.AVSLUTTET, start=date(2022, 1, 1), end=date(2023, 12, 31),
                 terminated_on=date(2022, 6, 30))
    introduksjon(host, administrator, status=S.INNVILGET, start=date(2022, 3, 1), end=date(2024, 2, 28))
    for status in (S.UTKAST, S.INNSENDT, S.AVSLATT, S.PAAKLAGET):  # never granted: uses no place
        introduksjon(host, administrator, status=status, start=date(2022, 5, 1), end=date(2024, 4, 30))
    check = third_checks(host)["tildeling"]
    assert (check.ok, check.message) == (False, "2 av 2 tildelte avtaler er allerede innvilget – kommunen kan ikke "
                                                "starte flere.")


def test_an_expired_agreement_counts_and_a_place_left_passes(allotment_of_two, administrator):
    host = allotment_of_two
    introduksjon(host, administrator, status=S.UTLOPT, start=date(2022, 1, 1), end=date(2022, 12, 31))
    check = third_checks(host)["tildeling"]
    assert (check.ok, check.message) == (True, "1 av 2 tildelte avtaler er allerede innvilget.")


def test_the_allotment_is_counted_again_at_the_decision_without_the_case_itself(
        allotment_of_two, administrator, caseworker, today):
    host = allotment_of_two
    introduksjon(host, administrator, status=S.AVSLUTTET, start=date(2022, 1, 1), end=date(2023, 12, 31),
                 terminated_on=date(2022, 2, 28))
    today["value"] = date(2022, 12, 1)
    case = introduksjon(host, administrator, status=S.UTKAST, start=date(2023, 1, 1), end=date(2024, 12, 31))
    case = cases.transition(case, action="submit", user=administrator)
    assert {c["code"]: c["ok"] for c in case.checks}["tildeling"] is True  # 1 of 2: its own draft does not count
    introduksjon(host, administrator, status=S.INNVILGET, start=date(2022, 9, 1), end=date(2024, 8, 31))
    with pytest.raises(ChecksFailed, match="2 av 2 tildelte avtaler er allerede innvilget"):
        cases.transition(case, action="approve", user=caseworker)


@pytest.mark.parametrize(("since", "ok"), [
    (date(2023, 1, 2), True),  # became a specialist after the start: the agreement was for a non-specialist
    (date(2023, 1, 1), False),  # a specialist on the start date
    (date(2020, 5, 1), False),
    (None, False),  # a specialist with no date: assume always
])
def test_not_a_specialist_is_judged_on_the_start_date(allotment_of_two, since, ok):
    doctor = factories.DoctorFactory(specialist_general_practice=True, specialist_since=since)
    check = third_checks(allotment_of_two, doctor=doctor, start=date(2023, 1, 1))["spesialist"]
    assert check.ok is ok
    if since and not ok:
        assert since.strftime("%d.%m.%Y") in check.message


def test_a_decision_recomputes_months_the_ledger_computed_ahead_of_its_date(
        small_list, administrator, caseworker, oslo, today, client, django_capture_on_commit_callbacks):
    """The demo's list 100 (issue 18): months computed before the decision, the decision dated earlier than
    them. Every covered month the ledger has is recomputed, and the case page says when that is done."""
    for month in (date(2020, 7, 1), date(2020, 8, 1), date(2020, 9, 1)):
        factories.ListCountFactory(patient_list=small_list.patient_list, month=month, antall_pasienter=300,
                                   listetak=1000)
    for month in (date(2020, 6, 1), date(2020, 7, 1), date(2020, 8, 1), date(2020, 9, 1)):
        ledger.recompute_month(municipality_id=oslo.pk, month=month)
    assert not PaymentLine.objects.filter(kind="grunntilskudd").exists()
    case = cases.transition(application(small_list, administrator), action="submit", user=administrator)
    client.force_login(caseworker)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        cases.transition(case, action="approve", user=caseworker)  # judged on 1 July 2020
    page = client.get(f"/grunntilskudd/{case.pk}/").content.decode()
    assert "beregnes på nytt etter vedtaket: 4 måneder står i kø" in page  # queued, not run yet
    runs = list(PaymentRun.objects.filter(trigger="decision").values_list("month", flat=True).order_by("month"))
    assert runs == [date(2020, m, 1) for m in (6, 7, 8, 9)]
    PaymentRun.objects.filter(trigger="decision").update(status=PaymentRun.Status.FAILED)
    page = client.get(f"/grunntilskudd/{case.pk}/").content.decode()
    assert ("ikke oppdatert etter vedtaket: 4 åpne måneder er beregnet før vedtaket (juni 2020 – september 2020)"
            in " ".join(page.split()))
    PaymentRun.objects.filter(trigger="decision").update(status=PaymentRun.Status.QUEUED)
    for callback in queued:
        callback()
    paid = list(PaymentLine.objects.filter(kind="grunntilskudd").order_by("month").values_list("month", "amount"))
    assert [month for month, _ in paid] == [date(2020, m, 1) for m in (6, 7, 8, 9)]
    page = client.get(f"/grunntilskudd/{case.pk}/").content.decode()
    assert "Utbetalingene er oppdatert etter vedtaket" in page
