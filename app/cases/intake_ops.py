"""The changes triage makes to cases, for a batch of posts: open a case, add a mention,
raise the priority, note a suggestion.

Like the rest of the service layer (`operations`), each function writes the change and
its timeline event(s) together, with no human actor; unlike most of it, none of them
flushes or commits: the triage batch (`triage.intake.Batch`) sends the cases, events
and clocks of all its posts in a few flushes and its caller commits.
"""

from datetime import datetime

from sqlalchemy import select

from app.cases import operations
from app.cases.models import PRIORITIES, Case, EventKind
from app.cases.sla import clocks
from app.extensions import db
from app.units.models import FormerDistrict, Unit


def open_case(
    data: dict,
    *,
    unit: Unit,
    now: datetime,
    first_seen_at: datetime,
    reasons: str,
    details: dict,
    routing_reason: str,
    rule_id: int | None,
    former_district: FormerDistrict | None = None,
    needs_verification: bool = False,
    ward: Unit | None = None,
    sla_settings: clocks.SlaSettings | None = None,
    code: str | None = None,
) -> Case:
    """Open a case for a post, with its triage and routing events, without flushing.

    `data` as for `operations.open_case_for_post`; `reasons` and `details` go on the
    triage event, `routing_reason` and `rule_id` on the routed one. A case opened from
    a citizen's report answers to the tracking `code` the citizen was given, unless a
    case has it already.
    """
    with db.session.no_autoflush:
        case = operations.open_case_for_post(
            data,
            unit=unit,
            former_district=former_district,
            needs_verification=needs_verification,
            first_seen_at=first_seen_at,
            now=now,
            ward=ward,
            sla_settings=sla_settings,
            flush=False,
        )
        if code and db.session.scalar(select(Case.id).where(Case.code == code)) is None:
            case.code = code
            operations.refresh_search_text(case)
    operations.record_event(case, EventKind.triage, None, body=reasons, data=details, at=now)
    operations.record_event(
        case, EventKind.routed, None, to_value=unit.code, body=routing_reason,
        data={"rule_id": rule_id}, at=now,
    )  # fmt: skip
    return case


def add_mention(
    case: Case,
    *,
    post_id: int | None,
    source: str,
    text: str,
    seen_at: datetime,
    similarity: float,
    persists: bool,
    now: datetime,
) -> None:
    """One more post about the case: its count, first and last seen times, and an event.

    `persists`: the post says a finished case's problem is still there (a
    `problem_persists` event quoting it) rather than being one more mention (`triage`).
    """
    case.mention_count += 1
    case.first_seen_at = min(case.first_seen_at, seen_at)
    case.last_seen_at = max(case.last_seen_at, seen_at)
    case.updated_at = now
    data = {"post_id": post_id, "similarity": round(similarity, 3)}
    if persists:
        operations.record_event(
            case, EventKind.problem_persists, None, body=text[:2000], data=data, at=now
        )
        return
    operations.record_event(
        case, EventKind.triage, None,
        body=f"new mention from {source} (similarity {similarity:.2f})", data=data, at=now,
    )  # fmt: skip


def raise_priority(case: Case, priority: str, reasons: str, *, now: datetime) -> bool:
    """Make the case `priority` if that is more urgent than its own, with an `updated`
    event saying why; True if it changed. A priority is never lowered here."""
    if PRIORITIES.index(priority) >= PRIORITIES.index(case.priority):
        return False
    operations.record_event(
        case, EventKind.updated, None, from_value=case.priority, to_value=priority,
        body=reasons, data={"field": "priority"}, at=now,
    )  # fmt: skip
    case.priority = priority
    return True


def note_suggestion(case: Case, body: str, data: dict, *, now: datetime) -> None:
    """Triage's reading of a post that is this case already, as a `triage` event: it
    suggests, and nothing of the case changes."""
    operations.record_event(case, EventKind.triage, None, body=body, data=data, at=now)
