"""The supervisor's SLA dashboard: what is at risk or late now, on-time rates, backlog age.

Read-only queries, limited to the units the user may see (cases/permissions.py).
On-time rates count the clocks that finished (met or missed) in the period and the running
breaches: a clock still open past its due time counts as late (the public unit figures,
app/public/stats.py, use the same counts).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as when

from app.cases.backlog import BACKLOG_BUCKETS, BUCKET_KEYS, BacklogRow, open_counts
from app.cases.models import PRIORITIES, Case
from app.cases.permissions import restrict_to_visible, visible_unit_ids
from app.cases.sla import clocks
from app.cases.sla.models import ClockState, SlaClock
from app.core import formatting
from app.core.time import HCMC
from app.extensions import db
from app.models import utcnow
from app.units.models import Unit
from app.users.models import User

#: Periods offered for on-time rates, in days.
PERIODS = (7, 30, 90)
ATTENTION_LIMIT = 100
MET, BREACHED = ClockState.met.value, ClockState.breached.value


@dataclass
class Attention:
    """Cases needing attention now: `rows` holds (case, clock view), `total` counts them all."""

    rows: list = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class OnTimeRow:
    label: str
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.total, 1) if self.total else None


def _clocks_in_scope(user: User):
    return restrict_to_visible(select(SlaClock, Case).join(Case, SlaClock.case_id == Case.id), user)


def attention(user: User, now: datetime) -> tuple[Attention, Attention]:
    """(at risk, breached): open clocks past their warning time, and past their due time."""
    open_clocks = _clocks_in_scope(user).where(SlaClock.stopped_at.is_(None))
    late = or_(
        SlaClock.state == BREACHED,
        and_(SlaClock.state == ClockState.running.value, SlaClock.due_at < now),
    )
    risky = and_(
        SlaClock.state == ClockState.running.value,
        SlaClock.warn_at <= now,
        SlaClock.due_at >= now,
    )
    results = []
    for condition in (risky, late):
        statement = open_clocks.where(condition)
        total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = db.session.execute(
            statement.order_by(SlaClock.due_at, SlaClock.id).limit(ATTENTION_LIMIT)
        ).all()
        results.append(
            Attention(rows=[(case, clocks.view(clock, now)) for clock, case in rows], total=total)
        )
    return results[0], results[1]


def _on_time(
    user: User | None,
    dimension,
    since: datetime,
    until: datetime,
    metric: str | None,
    now: datetime | None = None,
):
    """(dimension value, met, breached) rows for clocks that finished between since and until,
    the clocks still open past their due time (before `until`) counted as breached.

    `user` None: every unit (the public figures).
    """
    now = now or utcnow()
    finished = and_(
        SlaClock.stopped_at >= since,
        SlaClock.stopped_at < until,
        SlaClock.state.in_((MET, BREACHED)),
    )
    running_late = and_(
        SlaClock.stopped_at.is_(None),
        SlaClock.due_at < until,
        or_(
            SlaClock.state == BREACHED,
            and_(SlaClock.state == ClockState.running.value, SlaClock.due_at < now),
        ),
    )
    state = when((SlaClock.stopped_at.is_(None), BREACHED), else_=SlaClock.state)
    finished = (
        select(dimension.label("dimension"), state.label("state"))
        .select_from(SlaClock)
        .join(Case, SlaClock.case_id == Case.id)
        .where(or_(finished, running_late))
    )
    if user is not None:
        finished = restrict_to_visible(finished, user)
    if metric:
        finished = finished.where(SlaClock.metric == metric)
    # Grouping the outer query by a column works for expressions with bound
    # parameters too (PostgreSQL would not match them in GROUP BY).
    inner = finished.subquery()
    statement = select(
        inner.c.dimension,
        func.sum(when((inner.c.state == MET, 1), else_=0)),
        func.sum(when((inner.c.state == BREACHED, 1), else_=0)),
    ).group_by(inner.c.dimension)
    return db.session.execute(statement).all()


def on_time_counts_by_unit(since, until, metric, now=None) -> dict[int, tuple[int, int]]:
    """{unit id: (met, breached)} over every unit: the figures /sla shows, for the public."""
    return {
        unit_id: (int(m or 0), int(b or 0))
        for unit_id, m, b in _on_time(None, Case.unit_id, since, until, metric, now)
    }


def on_time_by_unit(user, since, until, metric, locale="vi", now=None) -> list[OnTimeRow]:
    rows = _on_time(user, Case.unit_id, since, until, metric, now)
    units = {
        unit.id: unit.display_name(locale)
        for unit in db.session.scalars(select(Unit).where(Unit.id.in_([r[0] for r in rows])))
    }
    result = [
        OnTimeRow(units.get(unit_id, "—"), int(m or 0), int(b or 0)) for unit_id, m, b in rows
    ]
    return sorted(
        result, key=lambda row: (row.percent if row.percent is not None else 101, row.label)
    )


def on_time_by_category(user, since, until, metric, labels: dict, now=None) -> list[OnTimeRow]:
    rows = _on_time(user, Case.category, since, until, metric, now)
    result = [OnTimeRow(str(labels.get(c, c)), int(m or 0), int(b or 0)) for c, m, b in rows]
    return sorted(
        result, key=lambda row: (row.percent if row.percent is not None else 101, row.label)
    )


def period_buckets(now: datetime, days: int) -> list[tuple[datetime, datetime]]:
    """Local calendar days (for a week) or weeks (longer), oldest first, ending today."""
    local = now.astimezone(HCMC)
    end = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    step = timedelta(days=1 if days <= 7 else 7)
    count = days if days <= 7 else -(-days // 7)
    return [(end - step * (i + 1), end - step * i) for i in reversed(range(count))]


def on_time_by_period(user, now, days, metric) -> list[OnTimeRow]:
    buckets = period_buckets(now, days)
    # A running breach falls in the period it became late (the first one, if before it).
    moment = func.coalesce(SlaClock.stopped_at, SlaClock.due_at)
    index = when(
        *[(moment < upper, position) for position, (_, upper) in enumerate(buckets)],
        else_=len(buckets),
    )
    counts = {
        position: (int(m or 0), int(b or 0))
        for position, m, b in _on_time(user, index, buckets[0][0], buckets[-1][1], metric, now)
    }
    rows = []
    for position, (lower, upper) in enumerate(buckets):
        label = formatting.date_local(lower)
        if upper - lower > timedelta(days=1):
            label += " – " + formatting.date_local(upper - timedelta(days=1))
        rows.append(OnTimeRow(label, *counts.get(position, (0, 0))))
    return rows


def backlog(user: User, now: datetime) -> list[BacklogRow]:
    """Open cases by age since they were opened (rows), split by priority (columns, in the
    order of PRIORITIES): the one backlog query of cases/backlog.py, grouped by priority."""
    counts = open_counts("priority", now, units=visible_unit_ids(user))
    return [
        BacklogRow(
            key,
            str(label),
            tuple(
                counts.get(priority, [0] * len(BACKLOG_BUCKETS))[position]
                for priority in PRIORITIES
            ),
            PRIORITIES,
        )
        for position, (key, (label, _lower, _upper)) in enumerate(
            zip(BUCKET_KEYS, BACKLOG_BUCKETS, strict=True)
        )
    ]
