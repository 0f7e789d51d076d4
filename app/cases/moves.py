"""Moving a case: to another unit (transfer), or into the case it duplicates (merge). Each
writes its timeline events and commits, as the rest of the service layer (operations.py) does."""

from app.cases import hooks, permissions, workflow
from app.cases.models import Case, EventKind
from app.cases.operations import (
    CaseError,
    apply_status,
    check_version,
    commit,
    from_workflow,
    record_event,
    require_change,
)
from app.cases.workflow import Status, WorkflowError
from app.models import utcnow
from app.units.models import Unit
from app.users.models import User


def transfer(case: Case, unit: Unit, actor: User, reason: str, *, version: int | None) -> Case:
    """Hand the case to another unit; it leaves this queue and shows up in theirs."""
    require_change(actor, case)
    check_version(case, version)
    try:
        workflow.check_transfer(case.status, reason)
    except WorkflowError as error:
        raise from_workflow(error) from error
    if unit.id == case.unit_id:
        raise CaseError(
            422, "invalid_input", "the case is already with that unit", {"unit": ["same unit"]}
        )
    previous = case.unit
    case.unit = unit
    case.assignee = None
    case.updated_at = utcnow()
    record_event(
        case,
        EventKind.transferred,
        actor,
        from_value=previous.code,
        to_value=unit.code,
        body=reason.strip(),
        data={"from_unit": previous.name_vi, "to_unit": unit.name_vi},
    )
    return commit(case)


def merge(
    duplicate: Case, into: Case, actor: User, *, version: int | None, note: str | None = None
) -> Case:
    """Merge `duplicate` into `into`: reject it as a duplicate pointing there, move its mentions."""
    require_change(actor, duplicate)
    if not permissions.can_see(actor, into):
        raise CaseError(422, "invalid_input", "unknown target case", {"into": ["no such case"]})
    check_version(duplicate, version)
    if duplicate.id == into.id:
        raise CaseError(
            422, "invalid_input", "a case cannot be merged into itself", {"into": ["same case"]}
        )
    if into.duplicate_of_id is not None:
        raise CaseError(
            422, "invalid_input", "the target was itself merged away", {"into": ["merged case"]}
        )
    try:
        # Merging rejects the duplicate, so it follows the workflow's rule for rejecting.
        plan = workflow.check_transition(
            duplicate.status, Status.rejected, reject_reason="duplicate"
        )
    except WorkflowError as error:
        raise from_workflow(error) from error
    now = utcnow()
    apply_status(duplicate, plan, actor, note, now, reject_reason="duplicate")
    duplicate.duplicate_of = into
    moved = duplicate.mention_count
    into.mention_count += moved
    duplicate.mention_count = 0
    into.first_seen_at = min(into.first_seen_at, duplicate.first_seen_at)
    into.last_seen_at = max(into.last_seen_at, duplicate.last_seen_at)
    into.updated_at = duplicate.updated_at = now
    # Its posts and clustering signature move through the hook triage registers.
    hooks.run_merge_hooks(duplicate, into)
    record_event(
        duplicate,
        EventKind.merged_into,
        actor,
        to_value=into.code,
        body=note,
        data={"into_case_id": into.id},
    )
    record_event(
        into,
        EventKind.merged,
        actor,
        from_value=duplicate.code,
        body=note,
        data={"merged_case_id": duplicate.id, "mentions_moved": moved},
    )
    return commit(duplicate)
