"""The SLA scan: flag clocks at risk and breached, write timeline events, notify people.

Both flags are set by one UPDATE … WHERE <flag> IS NULL … RETURNING each, on
partial indexes of running clocks, so a second run (or a concurrent one) finds
nothing left to flag and sends nothing twice. Events and notifications are
written in the same transaction as the flags.

Who is notified: the assignee, and the supervisors of the case's unit (or of
the nearest unit above it that has supervisors). Notifications wait for the
calendar's next working hour, except for P1 cases.
"""

from dataclasses import asdict, dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from app.cases.labels import EVENT_LABELS, METRIC_LABELS, label
from app.cases.models import Case, CaseEvent, EventKind
from app.cases.sla.models import ClockState, SlaClock
from app.cases.sla.store import calendar_for
from app.core import formatting
from app.core.bulk import insert_rows
from app.extensions import db
from app.models import utcnow
from app.notifications.operations import Rendered, add_notifications, register_renderer
from app.units.models import Unit
from app.users.models import Role, User

#: Priorities whose notifications go out at once, night or holiday.
URGENT_PRIORITIES = frozenset({"P1"})


@dataclass(frozen=True)
class ScanResult:
    at_risk: int
    breached: int
    notifications: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Flagged:
    clock_id: int
    case_id: int
    metric: str
    cycle: int
    due_at: datetime
    calendar_id: int | None


def scan(now: datetime | None = None) -> ScanResult:
    """Flag what is due at `now`, write events and notifications, commit."""
    now = now or utcnow()
    # Breaches first: a clock past both thresholds gets one breach, not a warning too.
    clocks = SlaClock.__table__.c
    breached = _flag(
        update(SlaClock.__table__)
        .where(clocks.state == ClockState.running.value, clocks.due_at < now)
        .values(state=ClockState.breached.value, breached_at=now),
    )
    at_risk = _flag(
        update(SlaClock.__table__)
        .where(
            clocks.state == ClockState.running.value,
            clocks.warned_at.is_(None),
            clocks.warn_at <= now,
        )
        .values(warned_at=now),
    )
    notified = 0
    if breached or at_risk:
        cases = _case_facts(now)
        recipients = _Recipients()
        for kind, rows in ((EventKind.sla_breached, breached), (EventKind.sla_at_risk, at_risk)):
            _add_events(kind, rows, now)
            notified += _notify(kind, rows, cases, recipients, now)
    db.session.commit()
    return ScanResult(at_risk=len(at_risk), breached=len(breached), notifications=notified)


def _flag(statement) -> list[_Flagged]:
    clocks = SlaClock.__table__.c
    returning = statement.returning(
        clocks.id, clocks.case_id, clocks.metric, clocks.cycle, clocks.due_at, clocks.calendar_id
    )
    return [_Flagged(*row) for row in db.session.execute(returning)]


def _add_events(kind: EventKind, rows: list[_Flagged], now: datetime) -> None:
    # The bulk form of operations.record_event: thousands of rows in one round trip.
    values = [
        {
            "case_id": row.case_id,
            "kind": kind.value,
            "created_at": now,
            "to_value": row.metric,
            "is_public": False,
            "data": {"metric": row.metric, "cycle": row.cycle, "due_at": row.due_at.isoformat()},
        }
        for row in rows
    ]
    insert_rows(CaseEvent.__table__, values)


def _case_facts(now: datetime) -> dict[int, tuple]:
    """case id -> (priority, unit_id, assignee_id) for the clocks this scan flagged."""
    flagged = (
        select(SlaClock.case_id)
        .where(or_(SlaClock.breached_at == now, SlaClock.warned_at == now))
        .scalar_subquery()
    )
    statement = select(Case.id, Case.priority, Case.unit_id, Case.assignee_id).where(
        Case.id.in_(flagged)
    )
    return {row[0]: row[1:] for row in db.session.execute(statement)}


class _Recipients:
    """Supervisors per unit (climbing to the parent unit when a unit has none), memoised."""

    def __init__(self):
        self._parents = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
        self._supervisors: dict[int, set[int]] = {}
        for user_id, unit_id in db.session.execute(
            select(User.id, User.unit_id).where(
                User.role == Role.supervisor.value, User.is_active_account.is_(True)
            )
        ):
            self._supervisors.setdefault(unit_id, set()).add(user_id)
        self._memo: dict[int, frozenset[int]] = {}

    def supervisors_of(self, unit_id: int) -> frozenset[int]:
        if unit_id not in self._memo:
            found, seen, current = frozenset(), set(), unit_id
            while current is not None and current not in seen:
                seen.add(current)
                if self._supervisors.get(current):
                    found = frozenset(self._supervisors[current])
                    break
                current = self._parents.get(current)
            self._memo[unit_id] = found
        return self._memo[unit_id]


def _notify(kind, rows, cases, recipients: _Recipients, now: datetime) -> int:
    delivery: dict[int | None, datetime] = {}
    notifications = []
    for row in rows:
        priority, unit_id, assignee_id = cases[row.case_id]
        users = set(recipients.supervisors_of(unit_id))
        if assignee_id is not None:
            users.add(assignee_id)
        if not users:
            continue
        if priority in URGENT_PRIORITIES:
            deliver_at = now
        else:
            if row.calendar_id not in delivery:
                delivery[row.calendar_id] = next_working_instant(row.calendar_id, now)
            deliver_at = delivery[row.calendar_id]
        data = {"metric": row.metric, "cycle": row.cycle, "due_at": row.due_at.isoformat()}
        key = f"sla:{row.clock_id}:{kind.value}:{int(row.due_at.timestamp())}"
        notifications.extend(
            {
                "user_id": user_id,
                "kind": kind.value,
                "case_id": row.case_id,
                "data": data,
                "dedupe_key": key,
                "deliver_at": deliver_at,
                "created_at": now,
            }
            for user_id in sorted(users)
        )
    return add_notifications(notifications)


def next_working_instant(calendar_id: int | None, now: datetime) -> datetime:
    """`now` during working hours, otherwise the start of the next working slot."""
    start, _end = next(calendar_for(calendar_id).working_intervals(now))
    return max(start, now)


def _render(notification) -> Rendered:
    case, data = notification.case, notification.data or {}
    if case is None:
        return Rendered(title=label(EVENT_LABELS, notification.kind), text="")
    metric = label(METRIC_LABELS, data.get("metric"))
    due = formatting.datetime_local(datetime.fromisoformat(data["due_at"])) if data else "—"
    if notification.kind == EventKind.sla_breached:
        title = _("Deadline missed: %(code)s", code=case.code)
        text = _(
            "%(metric)s for “%(title)s” was due %(due)s.", metric=metric, title=case.title, due=due
        )
    else:
        title = _("Deadline at risk: %(code)s", code=case.code)
        text = _(
            "%(metric)s for “%(title)s” is due %(due)s.", metric=metric, title=case.title, due=due
        )
    return Rendered(title=title, text=text, path=f"/cases/{case.id}")


register_renderer(EventKind.sla_at_risk.value, _render)
register_renderer(EventKind.sla_breached.value, _render)
