"""Notifications that follow from a case's timeline, written in the same transaction.

Cases decide who hears of what; app.notifications stores, delivers and emails it (and knows
nothing about cases). The flush listener is registered when this module is imported, which
cases/operations.py (the service layer that writes the events) does.

Every change to a case records a CaseEvent (cases.operations.record_event), whoever
makes it: an officer, triage opening a case, a citizen's feedback. Just before those
events are flushed, this module adds what they call for, to the same flush:

- `assigned`: the new assignee (not when they took the case themselves);
- `comment` (an internal note): each colleague it mentions as `@local-part` (mentions.py)
  who may see the case, except the author;
- a case that is P1 and was opened, raised to P1 or transferred in this flush: the
  officers and supervisors of its unit (the parent unit's supervisors when it has none),
  except whoever did it;
- `status_changed` and `public_reply`: an email to each reporter who gave an address
  (notifications/reporter.py), one per case and flush; none when the reporter's own feedback
  caused it.

Each user's settings decide the channels (notifications/preferences.py). Events inserted in bulk
without the ORM (deadline alerts) are not seen here; they notify on their own.
"""

from collections import defaultdict
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from app.cases import permissions
from app.cases.models import Case, CaseEvent, EventKind
from app.extensions import db
from app.models import utcnow
from app.notifications import preferences, reporter
from app.notifications.mentions import mentioned_handles
from app.notifications.operations import Rendered, add_notification_objects, register_renderer
from app.users.models import Role, User

P1 = "P1"
#: Longest part of a note kept in a mention notification.
SNIPPET = 200


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances) -> None:
    events = [obj for obj in session.new if isinstance(obj, CaseEvent)]
    if events:
        with session.no_autoflush:
            notify_for_events(events)


def notify_for_events(events: list[CaseEvent]) -> None:
    """Add the notifications and reporter emails the new events call for to the session."""
    by_case: dict[Case, list[CaseEvent]] = defaultdict(list)
    for item in events:
        case = item.case
        if case is None and item.case_id is not None:
            case = db.session.get(Case, item.case_id)
        if case is not None:
            by_case[case].append(item)
    rows: list[dict] = []
    unit_recipients = _UnitRecipients()
    for case, case_events in by_case.items():
        case_events.sort(key=lambda e: e.created_at or utcnow())
        now = case_events[-1].created_at or utcnow()
        for item in case_events:
            if item.kind == EventKind.assigned.value:
                rows += _assigned(case, item, now)
            elif item.kind == EventKind.comment.value:
                rows += _mentioned(case, item, now)
        if _became_p1(case, case_events):
            rows += _new_p1(case, case_events, unit_recipients, now)
        _tell_reporters(case, case_events, now)
    if rows:
        add_notification_objects(rows)


def _actor_id(item: CaseEvent) -> int | None:
    return item.actor.id if item.actor is not None else item.actor_id


def _row(user_id: int, kind: str, case: Case, data: dict, now: datetime) -> dict:
    return {
        "user_id": user_id,
        "kind": kind,
        "case": case,
        "data": data,
        "deliver_at": now,
        "created_at": now,
    }


def _actor_name(item: CaseEvent) -> str:
    actor = item.actor
    if actor is None and item.actor_id is not None:
        actor = db.session.get(User, item.actor_id)
    return (actor.full_name or actor.email) if actor is not None else ""


def _assigned(case: Case, item: CaseEvent, now: datetime) -> list[dict]:
    assignee_id = (item.data or {}).get("assignee_id")
    if assignee_id is None or assignee_id == _actor_id(item):
        return []
    data = {"by": _actor_name(item)}
    return [_row(assignee_id, preferences.ASSIGNED, case, data, now)]


def _mentioned(case: Case, item: CaseEvent, now: datetime) -> list[dict]:
    handles = mentioned_handles(item.body)
    if not handles:
        return []
    email = func.lower(User.email)
    users = db.session.scalars(
        select(User).where(
            User.is_active_account.is_(True),
            or_(*(email.startswith(f"{handle}@", autoescape=True) for handle in handles)),
        )
    )
    author = _actor_id(item)
    body = item.body or ""
    data = {
        "by": _actor_name(item),
        "text": body if len(body) <= SNIPPET else body[: SNIPPET - 1] + "…",
    }
    return [
        _row(user.id, preferences.MENTIONED, case, data, now)
        for user in users
        if user.id != author and permissions.can_see(user, case)
    ]


def _became_p1(case: Case, case_events: list[CaseEvent]) -> bool:
    if case.priority != P1:
        return False
    for item in case_events:
        if item.kind in (EventKind.created.value, EventKind.transferred.value):
            return True
        if (
            item.kind == EventKind.updated.value
            and (item.data or {}).get("field") == "priority"
            and item.to_value == P1
        ):
            return True
    return False


class _UnitRecipients:
    """Officers and supervisors per unit, memoised for one flush."""

    def __init__(self):
        self._memo: dict[int, set[int]] = {}
        self._supervisors = None

    def of(self, unit_id: int) -> set[int]:
        if unit_id not in self._memo:
            users = set(
                db.session.scalars(
                    select(User.id).where(
                        User.unit_id == unit_id,
                        User.is_active_account.is_(True),
                        User.role.in_((Role.officer.value, Role.supervisor.value)),
                    )
                )
            )
            if self._supervisors is None:
                from app.cases.sla.escalation import _Recipients

                self._supervisors = _Recipients()
            self._memo[unit_id] = users | set(self._supervisors.supervisors_of(unit_id))
        return self._memo[unit_id]


def _new_p1(case, case_events, unit_recipients: _UnitRecipients, now) -> list[dict]:
    unit_id = case.unit.id if case.unit is not None else case.unit_id
    if unit_id is None:
        return []
    actors = {_actor_id(item) for item in case_events}
    return [
        _row(user_id, preferences.NEW_P1, case, {}, now)
        for user_id in sorted(unit_recipients.of(unit_id))
        if user_id not in actors
    ]


def _tell_reporters(case: Case, case_events: list[CaseEvent], now: datetime) -> None:
    kinds = {item.kind for item in case_events}
    if EventKind.citizen_feedback.value in kinds:
        return  # the reporter's own answer moved the case; they know
    replies = [e for e in case_events if e.kind == EventKind.public_reply.value and e.is_public]
    changes = [e for e in case_events if e.kind == EventKind.status_changed.value]
    if replies:
        data = {"status": case.status, "text": replies[-1].body or ""}
        reporter.queue_messages(case, reporter.RESPONSE, data, now)
    elif changes:
        reporter.queue_messages(case, reporter.STATUS, {"status": changes[-1].to_value}, now)


def _render(notification) -> Rendered:
    case, data = notification.case, notification.data or {}
    code = case.code if case is not None else "—"
    title_of_case = case.title if case is not None else ""
    path = f"/cases/{case.id}" if case is not None else None
    if notification.kind == preferences.ASSIGNED:
        title = _("Assigned to you: %(code)s", code=code)
        text = (
            _("%(name)s assigned you “%(title)s”.", name=data["by"], title=title_of_case)
            if data.get("by")
            else _("“%(title)s” is now yours.", title=title_of_case)
        )
    elif notification.kind == preferences.MENTIONED:
        title = _("%(name)s mentioned you on %(code)s", name=data.get("by") or "—", code=code)
        text = data.get("text") or ""
    else:
        title = _("New P1 case in your unit: %(code)s", code=code)
        text = title_of_case
    return Rendered(title=title, text=text, path=path)


for _kind in (preferences.ASSIGNED, preferences.MENTIONED, preferences.NEW_P1):
    register_renderer(_kind, _render)
