"""The state machine of DESIGN.md, every allowed and every refused move."""

import itertools

import pytest

from app.cases.workflow import (
    Status,
    WorkflowError,
    allowed_transitions,
    check_assignment,
    check_transfer,
    check_transition,
    primary_transition,
)

ALLOWED = {
    ("received", "verifying"),
    ("received", "rejected"),
    ("verifying", "in_progress"),
    ("verifying", "rejected"),
    ("verifying", "waiting"),
    ("in_progress", "waiting"),
    ("in_progress", "resolved"),
    ("waiting", "in_progress"),
    ("resolved", "responded"),
    ("resolved", "in_progress"),
    ("responded", "closed"),
    ("responded", "in_progress"),
    ("closed", "in_progress"),
    ("rejected", "verifying"),
}
ALL_PAIRS = list(itertools.product([s.value for s in Status], repeat=2))


def _inputs(target):
    return {
        "reject_reason": "spam" if target == "rejected" else None,
        "public_response": "Đã xử lý xong." if target == "responded" else None,
    }


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_allowed_move(source, target):
    plan = check_transition(source, target, **_inputs(target))

    assert (plan.from_status, plan.to_status) == (Status(source), Status(target))


@pytest.mark.parametrize(("source", "target"), [p for p in ALL_PAIRS if p not in ALLOWED])
def test_refused_move(source, target):
    with pytest.raises(WorkflowError) as error:
        check_transition(source, target, **_inputs(target))

    assert error.value.code == "illegal_transition"


def test_allowed_transitions_lists_exactly_the_table():
    listed = {(s.value, t.value) for s in Status for t in allowed_transitions(s)}

    assert listed == ALLOWED


@pytest.mark.parametrize("reason", [None, "", "boring"])
def test_rejecting_needs_a_known_reason(reason):
    with pytest.raises(WorkflowError) as error:
        check_transition("received", "rejected", reject_reason=reason)

    assert error.value.code == "reason_required"


@pytest.mark.parametrize("reason", ["spam", "false_information", "out_of_scope", "duplicate"])
def test_every_reject_reason_is_accepted(reason):
    assert check_transition("verifying", "rejected", reject_reason=reason).to_status == "rejected"


@pytest.mark.parametrize("text", [None, "", "   "])
def test_responding_needs_the_response_text(text):
    with pytest.raises(WorkflowError) as error:
        check_transition("resolved", "responded", public_response=text)

    assert error.value.code == "response_required"
    assert error.value.field == "public_response"


def test_approval_is_needed_only_when_the_unit_requires_it_and_the_actor_cannot_approve():
    args = {"public_response": "Đã xử lý."}
    assert check_transition("resolved", "responded", requires_approval=True, **args).needs_approval
    assert not check_transition(
        "resolved", "responded", requires_approval=True, actor_can_approve=True, **args
    ).needs_approval
    assert not check_transition("resolved", "responded", **args).needs_approval


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("resolved", "in_progress"),
        ("responded", "in_progress"),
        ("closed", "in_progress"),
        ("rejected", "verifying"),
    ],
)
def test_reopenings_are_marked(source, target):
    assert check_transition(source, target).is_reopening


def test_ordinary_moves_are_not_reopenings():
    assert not check_transition("waiting", "in_progress").is_reopening


@pytest.mark.parametrize("status", ["received", "verifying", "in_progress"])
def test_transfer_is_allowed_before_the_case_is_resolved_with_a_reason(status):
    # A misrouted new case moves on at once, without being verified and started first.
    check_transfer(status, "Thuộc thẩm quyền phường")
    with pytest.raises(WorkflowError) as error:
        check_transfer(status, "  ")
    assert error.value.code == "reason_required"


@pytest.mark.parametrize("status", ["waiting", "resolved", "responded", "closed", "rejected"])
def test_transfer_is_refused_once_handled_or_finished(status):
    with pytest.raises(WorkflowError) as error:
        check_transfer(status, "lý do")
    assert error.value.code == "illegal_transition"


@pytest.mark.parametrize(
    ("status", "primary"),
    [
        ("received", "verifying"),
        ("verifying", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "responded"),
        ("responded", "closed"),
        ("closed", "in_progress"),
        ("rejected", "verifying"),
    ],
)
def test_the_usual_next_step_comes_first(status, primary):
    assert primary_transition(status) == primary
    assert allowed_transitions(status)[0] == primary


def test_after_resolving_publishing_comes_before_reopening():
    assert allowed_transitions("resolved") == [Status.responded, Status.in_progress]
    assert allowed_transitions("responded") == [Status.closed, Status.in_progress]


@pytest.mark.parametrize("status", ["closed", "rejected"])
def test_finished_cases_are_not_assigned(status):
    with pytest.raises(WorkflowError) as error:
        check_assignment(status)
    assert error.value.code == "not_assignable"


@pytest.mark.parametrize(
    "status", ["received", "verifying", "in_progress", "waiting", "resolved", "responded"]
)
def test_open_and_answered_cases_are_assigned(status):
    check_assignment(status)


def test_unknown_status_is_refused():
    with pytest.raises(WorkflowError) as error:
        check_transition("received", "teleported")

    assert error.value.code == "invalid_status"


def test_a_waiting_case_goes_back_to_the_status_it_waited_from():
    assert allowed_transitions("waiting", resume_status="verifying") == [Status.verifying]
    plan = check_transition("waiting", "verifying", resume_status="verifying")
    assert plan.to_status is Status.verifying and not plan.is_reopening
    with pytest.raises(WorkflowError):
        check_transition("waiting", "in_progress", resume_status="verifying")
    with pytest.raises(WorkflowError):
        check_transition("waiting", "verifying")
