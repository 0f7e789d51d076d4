"""Comments on a case: internal notes and public replies, and the public notes a unit that
requires approval holds for a supervisor (approve or reject). Each writes its timeline event
and commits, as the rest of the service layer (operations.py) does."""

from datetime import datetime

from sqlalchemy import select

from app.cases import permissions, workflow
from app.cases.models import Case, CaseEvent, EventKind
from app.cases.operations import (
    CaseError,
    check_version,
    commit,
    forbidden,
    record_event,
    require_change,
)
from app.extensions import db
from app.models import utcnow
from app.users.models import User


def add_comment(case: Case, actor: User, body: str, *, is_public: bool = False) -> CaseEvent:
    """An internal note, or a public reply that citizens see.

    In a unit that requires approval, a public note by someone who cannot approve
    is held: it is stored as an internal `public_note_submitted` event and becomes
    public only when a supervisor approves it (approve_note). The caller tells the
    two apart by the event's kind (see is_held).
    """
    require_change(actor, case)
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
    commit(case)
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
        raise forbidden("only a supervisor of this unit can approve public notes")
    check_version(case, version)
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
    commit(case)
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
    commit(case)
    return event
