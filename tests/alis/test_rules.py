"""Pure ALIS rules (docs/alis.md): the transition table, validation at its boundaries, compliance sums."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from alis import rules
from alis.reference import SHIPPED_REQUIREMENTS
from core.workflow import ADMINISTRATOR, CASEWORKER, SYSTEM, TransitionNotAllowed

D = Decimal
TABLE = [rules.Requirement(valid_from=v, kind=k, hours=h, per=p, span_years=s, status=st)
         for v, k, h, p, s, st, _ in SHIPPED_REQUIREMENTS]

# --- the transition table ---------------------------------------------------------------------------------

EXPECTED = {
    (rules.UTKAST, "submit"): (rules.INNSENDT, ADMINISTRATOR, False, False),
    (rules.INNSENDT, "approve"): (rules.GODKJENT, CASEWORKER, True, False),
    (rules.INNSENDT, "reject"): (rules.AVSLATT, CASEWORKER, True, True),
    (rules.GODKJENT, "complete"): (rules.FULLFORT, SYSTEM, False, False),
    (rules.GODKJENT, "terminate"): (rules.AVSLUTTET, CASEWORKER, True, True),  # four-eyes: docs/architecture.md
}
STATUSES = (rules.UTKAST, rules.INNSENDT, rules.GODKJENT, rules.AVSLATT, rules.FULLFORT, rules.AVSLUTTET)
ACTIONS = ("submit", "approve", "reject", "complete", "terminate")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_table_allows_exactly_the_listed_transitions(status, action):
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            rules.WORKFLOW.transition_for(status, action)
        return
    step = rules.WORKFLOW.transition_for(status, action)
    assert (step.target, step.role, step.four_eyes, step.reason_required) == expected


def test_workflow_states_are_the_spec_slugs_and_final_states_have_no_way_out():
    assert rules.WORKFLOW.statuses() == set(STATUSES)
    for final in (rules.AVSLATT, rules.FULLFORT, rules.AVSLUTTET):
        assert rules.WORKFLOW.allowed(final) == []


# --- agreements -------------------------------------------------------------------------------------------

ALIS = rules.DoctorFacts(1, "Ada ALIS")
VEILEDER = rules.DoctorFacts(2, "Vera Veileder", specialist=True, specialist_since=date(2015, 1, 1))
START = date(2021, 3, 15)


def test_default_end_is_five_years_minus_a_day():
    assert rules.default_end(START) == date(2026, 3, 14)
    assert rules.default_end(date(2020, 2, 29)) == date(2025, 2, 27)  # 2025-02-28 − 1 day


def errors(**changes):
    values = {"start": START, "end": rules.default_end(START), "position_percent": 100,
              "employment_form": rules.NAERINGSDRIVENDE, "annual_payment": D("100000"), "doctor": ALIS,
              "supervisor": VEILEDER}
    return rules.agreement_errors(**{**values, **changes})


def test_a_valid_agreement_has_no_errors():
    assert errors() == {}


@pytest.mark.parametrize(("changes", "field"), [
    ({"end": START}, "end_date"),
    ({"end": START - timedelta(days=1)}, "end_date"),
    ({"position_percent": 0}, "position_percent"),
    ({"position_percent": 101}, "position_percent"),
    ({"employment_form": rules.ANSATT}, "annual_payment"),
    ({"annual_payment": D("-1")}, "annual_payment"),
    ({"doctor": rules.DoctorFacts(1, "Spes", specialist=True, specialist_since=date(2020, 1, 1))}, "doctor"),
    ({"supervisor": rules.DoctorFacts(2, "Ikke spesialist")}, "supervisor"),
    ({"supervisor": rules.DoctorFacts(2, "Ny spesialist", specialist=True, specialist_since=date(2021, 3, 16))},
     "supervisor"),
    ({"supervisor": rules.DoctorFacts(1, "Ada ALIS", specialist=True)}, "supervisor"),
])
def test_agreement_validation(changes, field):
    found = errors(**changes)
    assert list(found) == [field]
    assert found[field].endswith(".")


@pytest.mark.parametrize("changes", [
    {"end": START + timedelta(days=1)}, {"position_percent": 1}, {"position_percent": 100},
    {"employment_form": rules.ANSATT, "annual_payment": D("0")}, {"annual_payment": D("0")},
    # specialist from the day after the start is not a specialist on the start date
    {"doctor": rules.DoctorFacts(1, "Blir spesialist", specialist=True, specialist_since=START + timedelta(days=1))},
    {"supervisor": rules.DoctorFacts(2, "Spesialist fra start", specialist=True, specialist_since=START)},
])
def test_agreement_validation_boundaries_that_pass(changes):
    assert errors(**changes) == {}


def test_messages_are_norwegian_and_name_the_fix():
    assert "ansatt ALIS" in errors(employment_form=rules.ANSATT)["annual_payment"]
    assert "Vera Veileder" in errors(supervisor=rules.DoctorFacts(2, "Vera Veileder"))["supervisor"]


# --- sessions ---------------------------------------------------------------------------------------------

FACTS = rules.AgreementFacts(status=rules.GODKJENT, start=START, end=rules.default_end(START),
                             original_supervisor_id=2, changes=((date(2022, 1, 1), 3),),
                             names=((2, "Vera Veileder"), (3, "Nils Ny")))
TODAY = date(2022, 6, 1)


def session(**changes):
    values = {"agreement": FACTS, "day": date(2021, 4, 1), "kind": rules.INDIVIDUELL, "hours": D("2"),
              "supervisor_id": 2, "group_leader": "", "today": TODAY, "hours_same_day": D(0)}
    return rules.session_errors(**{**values, **changes})


@pytest.mark.parametrize(("hours", "ok"), [
    ("0", False), ("0.24", False), ("0.25", True), ("0.5", True), ("1.3", False), ("7.75", True), ("8", True),
    ("8.25", False), ("9", False),
])
def test_hours_between_a_quarter_and_eight_in_quarter_steps(hours, ok):
    assert (rules.hours_error(D(hours)) is None) == ok
    assert ("hours" not in session(hours=D(hours))) == ok


@pytest.mark.parametrize(("day", "ok"), [
    (START - timedelta(days=1), False), (START, True), (TODAY, True), (TODAY + timedelta(days=1), False),
])
def test_session_dates_start_today_and_tomorrow(day, ok):
    found = session(day=day, supervisor_id=FACTS.supervisor_on(day))
    assert ("date" not in found) == ok


def test_session_after_the_effective_end():
    ended = rules.AgreementFacts(status=rules.AVSLUTTET, start=START, end=date(2021, 12, 31),
                                 original_supervisor_id=2)
    assert "etter avtalens slutt" in session(agreement=ended, day=date(2022, 1, 1))["date"]
    assert session(agreement=ended, day=date(2021, 12, 31)) == {}  # inside the period of a terminated agreement


@pytest.mark.parametrize(("already", "hours", "ok"), [
    ("6", "2", True), ("6", "2.25", False), ("7.75", "0.25", True), ("8", "0.25", False), ("0", "8", True),
])
def test_at_most_eight_hours_per_agreement_and_day(already, hours, ok):
    found = session(hours_same_day=D(already), hours=D(hours))
    assert ("hours" not in found) == ok
    if not ok:
        assert "Høyst 8 timer per avtale og dag" in found["hours"]


@pytest.mark.parametrize("status", [rules.UTKAST, rules.INNSENDT, rules.AVSLATT])
def test_sessions_only_on_an_approved_agreement(status):
    found = session(agreement=rules.AgreementFacts(status=status, start=START, end=FACTS.end,
                                                   original_supervisor_id=2))
    assert rules.NON_FIELD in found


@pytest.mark.parametrize("status", rules.EVER_APPROVED)
def test_sessions_on_agreements_that_were_approved(status):
    found = session(agreement=rules.AgreementFacts(status=status, start=START, end=FACTS.end,
                                                   original_supervisor_id=2))
    assert found == {}


def test_individual_session_by_the_supervisor_of_record_on_the_date():
    assert session(day=date(2021, 12, 31), supervisor_id=2) == {}
    assert "Vera Veileder" in session(day=date(2022, 1, 1), supervisor_id=2)["supervisor"]  # changed that day
    assert session(day=date(2022, 1, 1), supervisor_id=3) == {}
    assert "supervisor" in session(day=date(2021, 12, 31), supervisor_id=3)
    assert "supervisor" in session(supervisor_id=None)


def test_group_session_needs_a_group_leader():
    assert "group_leader" in session(kind=rules.GRUPPE, supervisor_id=None, group_leader="  ")
    assert session(kind=rules.GRUPPE, supervisor_id=None, group_leader="Gruppeleder Hansen") == {}


def test_supervisor_on_uses_the_latest_change_from_or_before_the_day():
    changes = [(date(2023, 1, 1), 4), (date(2022, 1, 1), 3)]
    assert rules.supervisor_on(date(2021, 6, 1), original_id=2, changes=changes) == 2
    assert rules.supervisor_on(date(2022, 1, 1), original_id=2, changes=changes) == 3
    assert rules.supervisor_on(date(2024, 1, 1), original_id=2, changes=changes) == 4


def change_errors(**changes):
    values = {"from_date": date(2022, 1, 1), "supervisor": rules.DoctorFacts(3, "Nils Ny", specialist=True),
              "doctor": ALIS, "status": rules.GODKJENT, "start": START, "end": FACTS.end, "current_id": 2,
              "last_change": None, "sessions_after": 0}
    return rules.supervisor_change_errors(**{**values, **changes})


def test_supervisor_change_rules():
    assert change_errors() == {}
    assert "from_date" in change_errors(from_date=START)
    assert "from_date" in change_errors(from_date=FACTS.end + timedelta(days=1))
    assert "from_date" in change_errors(last_change=date(2022, 1, 1))
    assert "from_date" in change_errors(sessions_after=2)
    assert "supervisor" in change_errors(supervisor=rules.DoctorFacts(3, "Ikke spesialist"))
    assert "supervisor" in change_errors(supervisor=rules.DoctorFacts(1, "Ada ALIS", specialist=True))
    assert "supervisor" in change_errors(current_id=3)
    assert rules.NON_FIELD in change_errors(status=rules.UTKAST)


def test_termination_rules():
    ok = {"on": date(2022, 6, 30), "reason": "Flytter", "start": START, "end_date": FACTS.end, "last_session": None}
    assert rules.termination_errors(**ok) == {}
    assert set(rules.termination_errors(**{**ok, "on": None, "reason": " "})) == {"date", "reason"}
    assert "date" in rules.termination_errors(**{**ok, "on": START - timedelta(days=1)})
    assert "date" in rules.termination_errors(**{**ok, "on": FACTS.end + timedelta(days=1)})
    assert "date" in rules.termination_errors(**{**ok, "last_session": date(2022, 7, 1)})
    assert rules.termination_errors(**{**ok, "last_session": date(2022, 6, 30)}) == {}


# --- compliance -------------------------------------------------------------------------------------------


def test_requirement_in_force_uses_the_dated_table():
    assert rules.requirement_on(TABLE, rules.INDIVIDUELL, date(2020, 12, 31)).hours == D(4)
    assert rules.requirement_on(TABLE, rules.INDIVIDUELL, date(2021, 1, 1)).hours == D("5.5")
    assert rules.requirement_on(TABLE, rules.GRUPPE, date(2021, 1, 1)).hours == D(120)
    assert rules.requirement_on(TABLE, rules.INDIVIDUELL, date(2016, 12, 31)) is None


def test_agreement_years_and_months_keep_the_day_of_month():
    assert rules.agreement_month(date(2021, 1, 31), 1) == (date(2021, 2, 28), date(2021, 3, 30))
    assert rules.agreement_year(START, date(2022, 3, 14)) == 1
    assert rules.agreement_year(START, date(2022, 3, 15)) == 2
    assert rules.agreement_year(date(2020, 2, 29), date(2021, 2, 27)) == 1
    assert rules.agreement_year(date(2020, 2, 29), date(2021, 2, 28)) == 2
    assert rules.agreement_year(START, date(2026, 3, 14)) == 5


def test_individual_hours_are_summed_per_agreement_year_across_the_boundary():
    sessions = [(date(2022, 3, 14), rules.INDIVIDUELL, D("3")),  # last day of year 1
                (date(2022, 3, 15), rules.INDIVIDUELL, D("2")),  # first day of year 2
                (date(2022, 3, 15), rules.GRUPPE, D("6"))]
    result = rules.compliance(start=START, end=rules.default_end(START), today=date(2022, 4, 1), requirements=TABLE,
                              sessions=sessions)
    assert [y.logged for y in result.years[:2]] == [D("3"), D("2")]
    assert len(result.years) == 5
    assert result.group.logged == D("6")


def test_year_target_and_due_count_whole_agreement_months_with_the_row_in_force():
    # Start 2020-09-15: months from 15 Sep, 15 Oct, 15 Nov, 15 Dec 2020 need 4 hours, the other 8 need 5.5.
    start = date(2020, 9, 15)
    result = rules.compliance(start=start, end=rules.default_end(start), today=date(2021, 1, 15),
                              requirements=TABLE, sessions=[(date(2020, 10, 1), rules.GRUPPE, D(20))])
    year1 = result.years[0]
    assert year1.target == D(4) * 4 + D("5.5") * 8 == D(60)
    # months ended before 15 Jan 2021: 15.09–14.10, 15.10–14.11, 15.11–14.12, 15.12–14.01 → 4 × 4
    assert year1.due == D(16)
    assert year1.estimate and year1.current and year1.behind
    assert result.group.due == D(20) and not result.behind_group  # 4 of 24 months × 120 hours
    assert result.behind and result.behind_individual and result.estimate  # only the estimate says behind
    # on the last day of a month that month is not yet due
    assert rules.compliance(start=start, end=rules.default_end(start), today=date(2021, 1, 14), requirements=TABLE,
                            sessions=[]).years[0].due == D(12)


def test_a_new_agreement_is_not_behind_on_its_first_day():
    result = rules.compliance(start=START, end=rules.default_end(START), today=START, requirements=TABLE,
                              sessions=[])
    assert result.current_year.due == 0 and result.group.due == 0 and not result.behind


def test_catching_up_clears_the_flag_and_the_group_is_confirmed():
    today = date(2021, 5, 15)  # two agreement months ended: individual 2 × 5.5 = 11, group 2/24 × 120 = 10
    logged = [(date(2021, 4, 1), rules.INDIVIDUELL, D("11")), (date(2021, 4, 2), rules.GRUPPE, D("9.75"))]
    result = rules.compliance(start=START, end=rules.default_end(START), today=today, requirements=TABLE,
                              sessions=logged)
    assert result.current_year.due == D(11) and result.group.due == D(10)
    assert not result.behind_individual and result.behind_group
    assert result.behind and not result.estimate  # the group requirement is confirmed: no "basert på anslag"
    logged.append((date(2021, 5, 1), rules.GRUPPE, D("0.25")))
    assert not rules.compliance(start=START, end=rules.default_end(START), today=today, requirements=TABLE,
                                sessions=logged).behind


def test_group_hours_count_cumulatively_over_the_first_two_years():
    end = rules.default_end(START)
    result = rules.compliance(start=START, end=end, today=date(2024, 1, 1), requirements=TABLE,
                              sessions=[(date(2021, 6, 1), rules.GRUPPE, D("60")),
                                        (date(2023, 6, 1), rules.GRUPPE, D("60"))])
    assert result.group.due == D(120) and result.group.logged == D(120) and not result.group.behind
    assert result.group.end == date(2023, 3, 14)
    assert result.group.percent == 100


def test_a_terminated_agreement_counts_its_last_month_pro_rata_and_is_not_behind():
    end = date(2021, 5, 29)  # the month from 15 May is cut after 15 of its 31 days
    result = rules.compliance(start=START, end=end, today=date(2022, 1, 1), requirements=TABLE, sessions=[],
                              approved=True)
    year = result.years[0]
    assert year.target == (D("5.5") * 2 + D("5.5") * 15 / 31).quantize(D("0.01"))
    assert year.due == year.target
    assert len(result.years) == 1 and not result.running and not result.behind


def test_not_approved_is_never_behind():
    result = rules.compliance(start=START, end=rules.default_end(START), today=date(2022, 1, 1), requirements=TABLE,
                              sessions=[], approved=False)
    assert result.current_year.behind and not result.behind


def test_hours_format():
    assert [rules.h(D(v)) for v in ("8", "5.5", "0.25", "120.00", "1234.5")] == ["8", "5,5", "0,25", "120",
                                                                                  "1\xa0234,5"]


# --- the state grant as income per calendar year (docs/alis.md) ---------------------------------------------

STATE_GRANT = [
    # (per year, period from, period to, {year: income}): per year × the period's days in the year ÷ the year's days
    (D("100000"), date(2021, 7, 1), date(2026, 6, 30),  # the worked example of docs/alis.md
     {2021: D("50410.96"), 2022: D("100000.00"), 2023: D("100000.00"), 2024: D("100000.00"),
      2025: D("100000.00"), 2026: D("49589.04")}),
    (D("100000"), date(2024, 1, 1), date(2024, 2, 29), {2024: D("16393.44")}),  # 60 of 366 days (leap year)
    (D("100000"), date(2024, 7, 1), date(2025, 6, 30), {2024: D("50273.22"), 2025: D("49589.04")}),  # 184/366
    (D("120000"), date(2022, 3, 1), date(2022, 3, 31), {2022: D("10191.78")}),  # inside one year: 31/365
    (D("365"), date(2023, 5, 5), date(2023, 5, 5), {2023: D("1.00")}),  # one day
    (D("1.83"), date(2024, 3, 1), date(2024, 3, 1), {2024: D("0.01")}),  # 0,005 exactly: half-up, not to even
    (D("100000"), date(2022, 1, 1), date(2022, 12, 31), {2022: D("100000.00")}),
    (D("0"), date(2022, 1, 1), date(2022, 12, 31), {}),
    (D("100000"), None, date(2022, 12, 31), {}),
]


@pytest.mark.parametrize(("per_year", "period_from", "period_to", "expected"), STATE_GRANT)
def test_state_grant_income_is_prorated_by_days_per_calendar_year(per_year, period_from, period_to, expected):
    income = rules.state_grant_by_year(per_year=per_year, period_from=period_from, period_to=period_to)
    assert income == expected
    assert all(str(amount) == str(expected[year]) for year, amount in income.items())  # to the øre
