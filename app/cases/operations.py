"""The service layer for cases: each function makes one change, writes its timeline
event in the same transaction, and commits. Views and API handlers only call these.

Here: opening a case, its status (with its SLA clocks and stage times), the public response
and its approval, assignment. Comments and held public notes are in `comments`; transfer and
merge in `moves`; triage's changes, which a batch of posts makes without committing, in
`intake_ops`; what other domains do on a merge, in the hooks they register (`hooks`)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.cases import (
    notices,  # noqa: F401  (registers the flush listener: who hears of what)
    permissions,
    stage_times,
    workflow,
)
from app.cases.models import CATEGORIES, PRIORITIES, Case, CaseEvent, EventKind
from app.cases.sla import clocks
from app.cases.workflow import Status, WorkflowError
from app.core.codes import new_code
from app.core.text import fold
from app.extensions import db
from app.models import utcnow
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


def forbidden(message: str) -> CaseError:
    return CaseError(403, "forbidden", message)


def from_workflow(error: WorkflowError) -> CaseError:
    status = 409 if error.code == "illegal_transition" else 422
    errors = {error.field: [error.message]} if error.field else {}
    return CaseError(status, error.code, error.message, errors)


def get_case_for(user: User, case_id: int) -> Case:
    """The case if the user may see it; otherwise a 404 CaseError."""
    case = db.session.get(Case, case_id)
    if case is None or not permissions.can_see(user, case):
        raise not_found()
    return case


def require_change(user: User, case: Case) -> None:
    if not permissions.can_change(user, case):
        raise forbidden("your role can read this case but not change it")


def check_version(case: Case, version: int | None) -> None:
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


def commit(case: Case) -> Case:
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
        raise forbidden("analysts cannot create cases")
    unit = _unit_by_code(data.get("unit"), "unit") or actor.unit
    if not permissions.can_create_in(actor, unit.id):
        raise forbidden("you cannot open cases for that unit")
    case = _new_case(data, unit, actor, now)
    return commit(case)


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
    require_change(actor, case)
    check_version(case, version)
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
        raise from_workflow(error) from error
    if plan.needs_approval:
        case.pending_response = public_response.strip()
        case.pending_response_by_id = actor.id
        case.updated_at = now
        record_event(case, EventKind.response_submitted, actor, body=case.pending_response, at=now)
        return commit(case)
    apply_status(
        case, plan, actor, note, now, reject_reason=reject_reason, public_response=public_response
    )
    return commit(case)


def apply_status(case, plan, actor, note, now, *, reject_reason=None, public_response=None) -> None:
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
    # The stage this change reaches (verified, resolved, responded), in the same transaction.
    stage_times.on_status_change(case, plan.to_status)


def reopen_for_citizen(case: Case, now: datetime | None = None) -> Case:
    """A citizen says an answered problem is not solved: back to in_progress, in the caller's transaction."""
    now = now or utcnow()
    try:
        plan = workflow.check_transition(case.status, Status.in_progress.value)
    except WorkflowError as error:
        raise from_workflow(error) from error
    apply_status(case, plan, None, None, now)
    return case


def approve_response(
    case: Case, actor: User, *, version: int | None, now: datetime | None = None
) -> Case:
    """A supervisor publishes the response an officer wrote."""
    now = now or utcnow()
    if not permissions.can_approve_responses(actor, case):
        raise forbidden("only a supervisor of this unit can approve responses")
    check_version(case, version)
    if not case.pending_response:
        raise CaseError(409, "nothing_to_approve", "no response is waiting for approval")
    try:
        plan = workflow.check_transition(
            case.status, Status.responded, public_response=case.pending_response
        )
    except WorkflowError as error:
        raise from_workflow(error) from error
    record_event(case, EventKind.response_approved, actor, body=case.pending_response, at=now)
    apply_status(case, plan, actor, None, now, public_response=case.pending_response)
    return commit(case)


def return_response(case: Case, actor: User, note: str, *, version: int | None) -> Case:
    """A supervisor sends a pending response back to the officer with a note."""
    if not permissions.can_approve_responses(actor, case):
        raise forbidden("only a supervisor of this unit can return responses")
    check_version(case, version)
    if not case.pending_response:
        raise CaseError(409, "nothing_to_approve", "no response is waiting for approval")
    record_event(case, EventKind.response_returned, actor, body=note)
    case.pending_response = None
    case.pending_response_by_id = None
    case.updated_at = utcnow()
    return commit(case)


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
        raise forbidden(
            "only supervisors assign cases to others; officers can take a case themselves"
        )
    try:
        workflow.check_assignment(case.status)
    except WorkflowError as error:
        raise CaseError(409, error.code, error.message) from error
    check_version(case, version)
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
    return commit(case)
