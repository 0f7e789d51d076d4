"""The case workflow: the state machine of DESIGN.md as pure Python (no Flask, no database).

`check_transition()` says whether a move is allowed and what it needs; the
service layer (operations.py) applies it and writes the timeline event.
"""

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    received = "received"
    verifying = "verifying"
    in_progress = "in_progress"
    waiting = "waiting"
    resolved = "resolved"
    responded = "responded"
    closed = "closed"
    rejected = "rejected"


class RejectReason(StrEnum):
    spam = "spam"
    false_information = "false_information"
    out_of_scope = "out_of_scope"
    duplicate = "duplicate"


S = Status
#: status -> the statuses it may move to, the usual next step first (the case page opens it
#: and gives it the big button). Transfer is not a status change: see TRANSFERABLE.
NEXT_STEPS: dict[Status, tuple[Status, ...]] = {
    S.received: (S.verifying, S.rejected),
    S.verifying: (S.in_progress, S.waiting, S.rejected),
    S.in_progress: (S.resolved, S.waiting),
    # Back to the status the case waited from: see check_transition's `resume_status`.
    S.waiting: (S.in_progress, S.verifying),
    # Once resolved, the citizen is told: publishing comes before reopening.
    S.resolved: (S.responded, S.in_progress),
    S.responded: (S.closed, S.in_progress),
    S.closed: (S.in_progress,),
    S.rejected: (S.verifying,),
}
TRANSITIONS: dict[Status, frozenset[Status]] = {s: frozenset(t) for s, t in NEXT_STEPS.items()}
#: Statuses in which a case may be transferred to another unit: a misrouted case moves on
#: as soon as it arrives, and while it is checked or handled.
TRANSFERABLE = frozenset({S.received, S.verifying, S.in_progress})
#: Finished cases: nobody works them any more, so they are not assigned.
NOT_ASSIGNABLE = frozenset({S.closed, S.rejected})
#: Moves that reopen a finished or refused case; they start a new SLA cycle.
REOPENINGS = frozenset(
    {
        (S.resolved, S.in_progress),
        (S.responded, S.in_progress),
        (S.closed, S.in_progress),
        (S.rejected, S.verifying),
    }
)
#: Statuses in which the case is still being worked (the queue's "open" filter).
OPEN_STATUSES = frozenset({S.received, S.verifying, S.in_progress, S.waiting, S.resolved})
#: Open and not resolved yet: the problem is still there. In workflow order (the first is a
#: new case's). Triage joins new posts to these while posts about them keep coming.
UNRESOLVED_STATUSES = tuple(s for s in S if s in OPEN_STATUSES and s is not S.resolved)


class WorkflowError(ValueError):
    """A refused move. `code` is stable for API clients; `field` names the missing input."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class TransitionPlan:
    from_status: Status
    to_status: Status
    #: The public response is held for a supervisor instead of being published.
    needs_approval: bool = False
    is_reopening: bool = False


def allowed_transitions(status: str, resume_status: str | None = None) -> list[Status]:
    """The statuses a case in `status` may move to, the usual next step first.

    A waiting case goes back only to `resume_status`, the status it waited from
    (`in_progress` when unknown).
    """
    source = Status(status)
    if source is S.waiting:
        return [Status(resume_status or S.in_progress)]
    return list(NEXT_STEPS[source])


def primary_transition(status: str, resume_status: str | None = None) -> Status | None:
    """The move the case page offers first, with the big button (None for none)."""
    targets = allowed_transitions(status, resume_status)
    return targets[0] if targets else None


def holds_public_text(*, requires_approval: bool, actor_can_approve: bool) -> bool:
    """Whether public text (a response, a public note) waits for a supervisor before citizens see it.

    It does when the responsible unit requires approval and the author cannot
    approve; supervisors and admins publish directly.
    """
    return requires_approval and not actor_can_approve


def check_transition(
    from_status: str,
    to_status: str,
    *,
    reject_reason: str | None = None,
    public_response: str | None = None,
    requires_approval: bool = False,
    actor_can_approve: bool = False,
    resume_status: str | None = None,
) -> TransitionPlan:
    """Validate a move and return its plan, or raise WorkflowError saying why not.

    - Rejecting needs one of the RejectReason values.
    - Moving to `responded` needs the public response text; when the unit
      requires approval and the actor cannot approve, the plan says so and the
      case stays where it is until a supervisor approves.
    - A case leaves `waiting` for the status it waited from, `resume_status`
      (`verifying` or `in_progress`; `in_progress` when not given).
    """
    try:
        source, target = Status(from_status), Status(to_status)
    except ValueError as error:
        raise WorkflowError("invalid_status", f"unknown status: {error}", "to") from error
    if target not in allowed_transitions(source, resume_status):
        raise WorkflowError(
            "illegal_transition", f"a case cannot go from {source.value} to {target.value}", "to"
        )
    if target is S.rejected and reject_reason not in RejectReason.__members__:
        choices = ", ".join(RejectReason.__members__)
        raise WorkflowError(
            "reason_required", f"rejecting needs a reason: one of {choices}", "reason"
        )
    if target is S.responded and not (public_response or "").strip():
        raise WorkflowError(
            "response_required", "publishing needs the public response text", "public_response"
        )
    return TransitionPlan(
        from_status=source,
        to_status=target,
        needs_approval=target is S.responded
        and holds_public_text(
            requires_approval=requires_approval, actor_can_approve=actor_can_approve
        ),
        is_reopening=(source, target) in REOPENINGS,
    )


def check_transfer(status: str, reason: str | None) -> None:
    """Transfers happen before a case is resolved (received, verifying, in progress), and
    always say why."""
    if Status(status) not in TRANSFERABLE:
        allowed = ", ".join(s.value for s in Status if s in TRANSFERABLE)
        raise WorkflowError(
            "illegal_transition",
            f"a case in {status} cannot be transferred; only cases in {allowed} can",
        )
    if not (reason or "").strip():
        raise WorkflowError("reason_required", "a transfer needs a reason", "reason")


def check_assignment(status: str) -> None:
    """Closed and rejected cases are finished: they are not assigned (reopen them first)."""
    if Status(status) in NOT_ASSIGNABLE:
        raise WorkflowError(
            "not_assignable", f"a case in {status} cannot be assigned; reopen it first"
        )
