import pytest

from core.workflow import Transition, TransitionNotAllowed, Workflow, four_eyes_reason

FLOW = Workflow(Transition("utkast", "submit", "innsendt", "administrator"),
                Transition("innsendt", "approve", "innvilget", "caseworker", four_eyes=True))


def test_transition_table_lookup_and_refusal_names_the_allowed_actions():
    assert FLOW.transition_for("utkast", "submit").target == "innsendt"
    with pytest.raises(TransitionNotAllowed) as refused:
        FLOW.transition_for("utkast", "approve")
    assert refused.value.allowed == ["submit"]
    assert str(refused.value) == "«approve» er ikke tillatt når saken har status «utkast». Tillatt nå: submit."
    assert FLOW.statuses() == {"utkast", "innsendt", "innvilget"}


def test_four_eyes():
    class User:
        pk = 7

    assert four_eyes_reason(User(), created_by_id=1, submitted_by_id=2) == ""
    assert "opprettet" in four_eyes_reason(User(), created_by_id=7, submitted_by_id=2)
    assert "sendte inn" in four_eyes_reason(User(), created_by_id=1, submitted_by_id=7)


def test_a_payment_month_closes_by_its_table():
    from grants.models import PaymentMonth
    from grants.services.ledger import MONTH_WORKFLOW

    M = PaymentMonth.Status
    assert {(t.source, t.action, t.target, t.role, t.four_eyes, t.reason_required)
            for t in MONTH_WORKFLOW.transitions} == {
        (M.OPEN, "attest", M.ATTESTED, "caseworker", False, False),
        (M.ATTESTED, "authorise", M.CLOSED, "caseworker", True, False),
        (M.CLOSED, "reopen", M.OPEN, "superuser", False, True),
    }
