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
