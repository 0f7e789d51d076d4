"""The service layer for cases: each function makes one change, writes its timeline
event in the same transaction, and commits. Views and API handlers only call these."""

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm.exc import StaleDataError

from app.cases import clocks, permissions, workflow
from app.cases.codes import new_code
from app.cases.models import CATEGORIES, PRIORITIES, Case, CaseEvent, EventKind
from app.cases.workflow import Status, WorkflowError
from app.core.text import fold
from app.extensions import db
from app.models import utcnow
from app.stats import stage_times
from app.units.models import LOCAL_KINDS, Unit
from app.users.models import User


class CaseError(Exception):
    """A refused case operation; `status` is the HTTP status an API answers with."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or {}


def not_found() -> CaseError:
    # The same answer whether the case does not exist or is someone else's.
    return CaseError(404, "not_found", "no such case")


def _forbidden(message: str) -> CaseError:
    return CaseError(403, "forbidden", message)


def _from_workflow(error: WorkflowError) -> CaseError:
    status = 409 if error.code == "illegal_transition" else 422
    errors = {error.field: [error.message]} if error.field else {}
    return CaseError(status, error.code, error.message, errors)


def get_case_for(user: User, case_id: int) -> Case:
    """The case if the user may see it; otherwise a 404 CaseError."""
    case = db.session.get(Case, case_id)
    if case is None or not permissions.can_see(user, case):
        raise not_found()
    return case


def _require_change(user: User, case: Case) -> None:
    if not permissions.can_change(user, case):
        raise _forbidden("your role can read this case but not change it")


def _check_version(case: Case, version: int | None) -> None:
    if version is None:
        raise CaseError(
            422, "invalid_input", "the case version is required", {"version": ["required"]}
        )
    if version != case.version:
        raise CaseError(
            409,
            "stale_version",
            f"the case changed since you loaded it (now version {case.version})",
        )


def _commit(case: Case) -> Case:
    """Commit; a concurrent change to the same version becomes a 409 stale_version."""
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise CaseError(
            409, "stale_version", "the case was changed by someone else meanwhile"
        ) from error
    return case


def record_event(
    case: Case,
    kind: str,
    actor: User | None = None,
    *,
    from_value: str | None = None,
    to_value: str | None = None,
    body: str | None = None,
    is_public: bool = False,
    data: dict | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Add a timeline event to the session; the caller commits it with its change."""
    event = CaseEvent(
        case=case,
        kind=str(kind),
        actor=actor,
        from_value=from_value,
        to_value=to_value,
        body=body,
        is_public=is_public,
        data=data or {},
        created_at=at or utcnow(),
    )
    db.session.add(event)
    return event


def refresh_search_text(case: Case) -> None:
    ward = case.ward.name_vi if case.ward else ""
    case.search_text = fold(f"{case.code} {case.title} {case.description} {ward}")


def _unit_by_code(code: str | None, field: str, kinds=None) -> Unit | None:
    if not code:
        return None
    statement = select(Unit).where(Unit.code == str(code))
    if kinds:
        statement = statement.where(Unit.kind.in_(kinds))
    unit = db.session.scalar(statement)
    if unit is None:
        raise CaseError(
            422, "invalid_input", f"unknown {field}", {field: [f"no such {field}: {code}"]}
        )
    return unit


def create_case(actor: User, data: dict, *, now: datetime | None = None) -> Case:
    """Open a case from validated input (see schemas.CaseCreateSchema)."""
    now = now or utcnow()
    if actor.role == "analyst":
        raise _forbidden("analysts cannot create cases")
    unit = _unit_by_code(data.get("unit"), "unit") or actor.unit
    if not permissions.can_create_in(actor, unit.id):
        raise _forbidden("you cannot open cases for that unit")
    case = _new_case(data, unit, actor, now)
    return _commit(case)


def open_case_for_post(
    data: dict,
    *,
    unit: Unit,
    former_district=None,
    needs_verification: bool = False,
    first_seen_at: datetime | None = None,
    now: datetime | None = None,
    ward: Unit | None = None,
    sla_settings: clocks.SlaSettings | None = None,
    flush: bool = True,
) -> Case:
    """Open a case on behalf of triage (no human actor), in the caller's transaction.

    The caller records why (triage and routing events) and commits. A caller
    opening many cases at once passes the `ward` unit and the `sla_settings` it
    read once, and `flush=False` to send all of them in one flush.
    """
    now = now or utcnow()
    case = _new_case(
        data,
        unit,
        None,
        now,
        first_seen_at=first_seen_at or now,
        ward=ward,
        sla_settings=sla_settings,
    )
    if former_district is not None and case.former_district is None:
        case.former_district = former_district
    case.needs_verification = needs_verification
    if flush:
        db.session.flush()
    return case


def _new_case(
    data: dict,
    unit: Unit,
    actor: User | None,
    now: datetime,
    first_seen_at=None,
    ward: Unit | None = None,
    sla_settings: clocks.SlaSettings | None = None,
) -> Case:
    if data["category"] not in CATEGORIES or data.get("priority", "P3") not in PRIORITIES:
        raise CaseError(422, "invalid_input", "unknown category or priority")
    if ward is None:
        ward = _unit_by_code(data.get("ward"), "ward", [k.value for k in LOCAL_KINDS])
    case = Case(
        code=new_code(),
        title=data["title"].strip(),
        description=(data.get("description") or "").strip(),
        category=data["category"],
        priority=data.get("priority") or "P3",
        status=Status.received.value,
        unit=unit,
        ward=ward,
        former_district=ward.former_districts[0]
        if ward and len(ward.former_districts) == 1
        else None,
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        source=data.get("source") or "manual",
        cycle=1,
        created_by=actor,
        mention_count=1,
        first_seen_at=first_seen_at or now,
        last_seen_at=first_seen_at or now,
        created_at=now,
        updated_at=now,
    )
    refresh_search_text(case)
    db.session.add(case)
    record_event(
        case, EventKind.created, actor, to_value=Status.received.value, body=case.title, at=now
    )
    clocks.start_cycle(case, now, settings=sla_settings)
    return case


def transition(
    case: Case,
    to: str,
    actor: User,
    note: str | None = None,
    *,
    version: int | None,
    reject_reason: str | None = None,
    public_response: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Move the case along the workflow; see workflow.check_transition for the rules."""
    now = now or utcnow()
    _require_change(actor, case)
    _check_version(case, version)
    try:
        plan = workflow.check_transition(
            case.status,
            to,
            reject_reason=reject_reason,
            public_response=public_response,
            requires_approval=case.unit.requires_response_approval,
            actor_can_approve=permissions.can_approve_responses(actor, case),
            resume_status=case.status_before_waiting,
        )
    except WorkflowError as error:
        raise _from_workflow(error) from error
    if plan.needs_approval:
        case.pending_response = public_response.strip()
        case.pending_response_by_id = actor.id
        case.updated_at = now
        record_event(case, EventKind.response_submitted, actor, body=case.pending_response, at=now)
        return _commit(case)
    _apply_status(
        case, plan, actor, note, now, reject_reason=reject_reason, public_response=public_response
    )
    return _commit(case)


def _apply_status(
    case, plan, actor, note, now, *, reject_reason=None, public_response=None
) -> None:
    case.status = plan.to_status.value
    case.updated_at = now
    # A waiting case goes back to where it waited from (see workflow.check_transition).
    waiting = plan.to_status is Status.waiting
    case.status_before_waiting = plan.from_status.value if waiting else None
    data = {}
    if plan.to_status is Status.rejected:
        case.reject_reason = reject_reason
        data["reason"] = reject_reason
    if plan.is_reopening:
        case.cycle += 1
        data["reopened"] = True
        data["cycle"] = case.cycle
    record_event(
        case,
        EventKind.status_changed,
        actor,
        from_value=plan.from_status.value,
        to_value=plan.to_status.value,
        body=note,
        data=data,
        at=now,
    )
    if plan.to_status is Status.responded:
        case.public_response = public_response.strip()
        case.public_response_at = now
        case.pending_response = None
        case.pending_response_by_id = None
        record_event(
            case, EventKind.public_reply, actor, body=case.public_response, is_public=True, at=now
        )
    clocks.on_status_change(case, plan.from_status, plan.to_status, plan.is_reopening, now)
    # Statistics: the stage this change reaches (verified, resolved, responded), same transaction.
    stage_times.on_status_change(case, plan.to_status)


def reopen_for_citizen(case: Case, now: datetime | None = None) -> Case:
    """A citizen says an answered problem is not solved: back to in_progress, in the caller's transaction."""
    now = now or utcnow()
    try:
        plan = workflow.check_transition(case.status, Status.in_progress.value)
    except WorkflowError as error:
        raise _from_workflow(error) from error
    _apply_status(case, plan, None, None, now)
    return case


def approve_response(
    case: Case, actor: User, *, version: int | None, now: datetime | None = None
) -> Case:
    """A supervisor publishes the response an officer wrote."""
    now = now or utcnow()
    if not permissions.can_approve_responses(actor, case):
        raise _forbidden("only a supervisor of this unit can approve responses")
    _check_version(case, version)
    if not case.pending_response:
        raise CaseError(409, "nothing_to_approve", "no response is waiting for approval")
    try:
        plan = workflow.check_transition(
            case.status, Status.responded, public_response=case.pending_response
        )
    except WorkflowError as error:
        raise _from_workflow(error) from error
    record_event(case, EventKind.response_approved, actor, body=case.pending_response, at=now)
    _apply_status(case, plan, actor, None, now, public_response=case.pending_response)
    return _commit(case)


def return_response(case: Case, actor: User, note: str, *, version: int | None) -> Case:
    """A supervisor sends a pending response back to the officer with a note."""
    if not permissions.can_approve_responses(actor, case):
        raise _forbidden("only a supervisor of this unit can return responses")
    _check_version(case, version)
    if not case.pending_response:
        raise CaseError(409, "nothing_to_approve", "no response is waiting for approval")
    record_event(case, EventKind.response_returned, actor, body=note)
    case.pending_response = None
    case.pending_response_by_id = None
    case.updated_at = utcnow()
    return _commit(case)


def assign(
    case: Case,
    assignee: User | None,
    actor: User,
    *,
    version: int | None,
    note: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Give the case to a user of its unit (None unassigns); `now` for a backdated demo."""
    if not permissions.can_see(actor, case):
        raise not_found()
    if not permissions.can_assign(actor, case, assignee):
        raise _forbidden(
            "only supervisors assign cases to others; officers can take a case themselves"
        )
    try:
        workflow.check_assignment(case.status)
    except WorkflowError as error:
        raise CaseError(409, error.code, error.message) from error
    _check_version(case, version)
    if assignee is not None and assignee.unit_id != case.unit_id:
        raise CaseError(
            422,
            "invalid_input",
            "the assignee must belong to the case's unit",
            {"assignee_id": ["not a member of the responsible unit"]},
        )
    previous = case.assignee
    case.assignee = assignee
    case.updated_at = now or utcnow()
    record_event(
        case,
        EventKind.assigned,
        actor,
        from_value=previous.email if previous else None,
        to_value=assignee.email if assignee else None,
        body=note,
        data={"assignee_id": assignee.id if assignee else None},
        at=case.updated_at,
    )
    return _commit(case)


def transfer(case: Case, unit: Unit, actor: User, reason: str, *, version: int | None) -> Case:
    """Hand the case to another unit; it leaves this queue and shows up in theirs."""
    _require_change(actor, case)
    _check_version(case, version)
    try:
        workflow.check_transfer(case.status, reason)
    except WorkflowError as error:
        raise _from_workflow(error) from error
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
    return _commit(case)


def add_comment(case: Case, actor: User, body: str, *, is_public: bool = False) -> CaseEvent:
    """An internal note, or a public reply that citizens see.

    In a unit that requires approval, a public note by someone who cannot approve
    is held: it is stored as an internal `public_note_submitted` event and becomes
    public only when a supervisor approves it (approve_note). The caller tells the
    two apart by the event's kind (see is_held).
    """
    _require_change(actor, case)
    if not (body or "").strip():
        raise CaseError(422, "invalid_input", "the comment is empty", {"body": ["required"]})
    body = body.strip()
    held = is_public and workflow.holds_public_text(
        requires_approval=case.unit.requires_response_approval,
        actor_can_approve=permissions.can_approve_responses(actor, case),
    )
    # A note does not change the case itself, so it leaves the version alone: nobody's
    # pending change becomes stale because a colleague wrote a comment.
    if held:
        event = record_event(
            case, EventKind.public_note_submitted, actor, body=body, data={"held": True}
        )
    else:
        kind = EventKind.public_reply if is_public else EventKind.comment
        event = record_event(case, kind, actor, body=body, is_public=is_public)
    _commit(case)
    return event


def is_held(event: CaseEvent) -> bool:
    """Whether add_comment held this note for approval instead of publishing it."""
    return event.kind == EventKind.public_note_submitted.value


def held_notes(case: Case) -> list[CaseEvent]:
    """The public notes of the case still waiting for a supervisor, oldest first."""
    decided = {
        (event.data or {}).get("note_event_id")
        for event in case.events
        if event.kind
        in (EventKind.public_note_approved.value, EventKind.public_note_rejected.value)
    }
    return [e for e in case.events if is_held(e) and e.id not in decided]


def _held_note_for_decision(
    case: Case, actor: User, event_id: int, version: int | None
) -> CaseEvent:
    if not permissions.can_approve_responses(actor, case):
        raise _forbidden("only a supervisor of this unit can approve public notes")
    _check_version(case, version)
    # Lock the case row: two supervisors deciding on the same note at once cannot both win.
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    db.session.refresh(case, ["events"])
    note = next((e for e in held_notes(case) if e.id == event_id), None)
    if note is None:
        if any(e.id == event_id and is_held(e) for e in case.events):
            raise CaseError(409, "nothing_to_approve", "the note was already approved or rejected")
        raise CaseError(404, "not_found", "no such note waiting for approval")
    return note


def approve_note(
    case: Case, actor: User, event_id: int, *, version: int | None, now: datetime | None = None
) -> CaseEvent:
    """A supervisor publishes a held public note; returns the public event."""
    now = now or utcnow()
    note = _held_note_for_decision(case, actor, event_id, version)
    data = {"note_event_id": note.id}
    record_event(case, EventKind.public_note_approved, actor, body=note.body, data=data, at=now)
    published = record_event(
        case,
        EventKind.public_reply,
        actor,
        body=note.body,
        is_public=True,
        data={**data, "author_id": note.actor_id},
        at=now,
    )
    case.updated_at = now
    _commit(case)
    return published


def reject_note(
    case: Case,
    actor: User,
    event_id: int,
    reason: str | None,
    *,
    version: int | None,
    now: datetime | None = None,
) -> CaseEvent:
    """A supervisor refuses a held public note, saying why; it stays internal for good."""
    if not (reason or "").strip():
        raise CaseError(
            422, "invalid_input", "rejecting a note needs a reason", {"note": ["required"]}
        )
    now = now or utcnow()
    note = _held_note_for_decision(case, actor, event_id, version)
    event = record_event(
        case,
        EventKind.public_note_rejected,
        actor,
        body=reason.strip(),
        data={"note_event_id": note.id},
        at=now,
    )
    case.updated_at = now
    _commit(case)
    return event


def _move_mentions(duplicate: Case, into: Case) -> None:
    """The duplicate's posts become mentions of the case kept; clustering forgets the duplicate."""
    from app.collectors.models import Post
    from app.triage.models import CaseSignature

    db.session.execute(update(Post).where(Post.case_id == duplicate.id).values(case_id=into.id))
    db.session.execute(delete(CaseSignature).where(CaseSignature.case_id == duplicate.id))


def merge(
    duplicate: Case, into: Case, actor: User, *, version: int | None, note: str | None = None
) -> Case:
    """Merge `duplicate` into `into`: reject it as a duplicate pointing there, move its mentions."""
    _require_change(actor, duplicate)
    if not permissions.can_see(actor, into):
        raise CaseError(422, "invalid_input", "unknown target case", {"into": ["no such case"]})
    _check_version(duplicate, version)
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
        raise _from_workflow(error) from error
    now = utcnow()
    _apply_status(duplicate, plan, actor, note, now, reject_reason="duplicate")
    duplicate.duplicate_of = into
    moved = duplicate.mention_count
    into.mention_count += moved
    duplicate.mention_count = 0
    into.first_seen_at = min(into.first_seen_at, duplicate.first_seen_at)
    into.last_seen_at = max(into.last_seen_at, duplicate.last_seen_at)
    into.updated_at = duplicate.updated_at = now
    _move_mentions(duplicate, into)
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
    return _commit(duplicate)
