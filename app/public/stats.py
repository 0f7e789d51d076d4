"""Per-unit transparency figures: counts, on-time rate, median handling time, satisfaction.

The on-time rate is the SLA dashboard's (/sla, cases/sla/dashboard.py) for the public-response
deadline over the same period: the clocks that finished in it, met or missed, and the ones still
running past their due time, which count as late.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case as when
from sqlalchemy import func, select

from app.cases.models import Case
from app.cases.sla import dashboard
from app.cases.workflow import OPEN_STATUSES
from app.extensions import db
from app.public.operations import satisfaction_by_unit
from app.units.models import Unit

#: The period of the figures: /sla's "30 days" (whole weeks ending today, local time).
PERIOD_DAYS = 30
#: The deadline the public on-time rate is about: the public response.
ON_TIME_METRIC = "respond"


@dataclass(frozen=True)
class Period:
    days: int
    start: datetime
    #: Exclusive: the end of today, local time.
    end: datetime

    @property
    def last_moment(self) -> datetime:
        return self.end - timedelta(seconds=1)


def period(now: datetime, days: int = PERIOD_DAYS) -> Period:
    """The period the figures cover: the same one /sla uses for `days`."""
    buckets = dashboard.period_buckets(now, days)
    return Period(days, buckets[0][0], buckets[-1][1])


@dataclass
class UnitFigures:
    unit: Unit
    received: int = 0
    responded: int = 0
    open_now: int = 0
    met: int = 0
    breached: int = 0
    median_hours: float | None = None
    feedback_count: int = 0
    average_score: float | None = None
    solved_count: int = 0

    @property
    def reopened_by_reporter(self) -> int:
        """Answers in which the reporter said the problem is not solved (each reopened the case)."""
        return self.feedback_count - self.solved_count

    @property
    def on_time_percent(self) -> float | None:
        total = self.met + self.breached
        return round(100 * self.met / total, 1) if total else None


def unit_figures(now: datetime, days: int = PERIOD_DAYS) -> list[UnitFigures]:
    """Figures for every unit with cases in the period (`period`), most cases first."""
    covered = period(now, days)
    since = covered.start
    figures: dict[int, UnitFigures] = {}

    def row(unit_id: int) -> UnitFigures:
        if unit_id not in figures:
            figures[unit_id] = UnitFigures(unit=db.session.get(Unit, unit_id))
        return figures[unit_id]

    open_values = [s.value for s in OPEN_STATUSES]
    counts = select(
        Case.unit_id,
        func.count(Case.id),
        func.sum(when((Case.status.in_(open_values), 1), else_=0)),
    ).where(Case.created_at >= since, Case.duplicate_of_id.is_(None))
    for unit_id, received, open_now in db.session.execute(counts.group_by(Case.unit_id)):
        row(unit_id).received, row(unit_id).open_now = received, int(open_now or 0)

    durations: dict[int, list[float]] = {}
    answered = select(Case.unit_id, Case.created_at, Case.public_response_at).where(
        Case.public_response_at >= since
    )
    for unit_id, created_at, responded_at in db.session.execute(answered):
        durations.setdefault(unit_id, []).append((responded_at - created_at).total_seconds() / 3600)
    for unit_id, hours in durations.items():
        row(unit_id).responded = len(hours)
        row(unit_id).median_hours = round(statistics.median(hours), 1)

    on_time = dashboard.on_time_counts_by_unit(covered.start, covered.end, ON_TIME_METRIC, now)
    for unit_id, (met, breached) in on_time.items():
        row(unit_id).met, row(unit_id).breached = met, breached

    for unit_id, (count, average, solved) in satisfaction_by_unit(since).items():
        item = row(unit_id)
        item.feedback_count, item.average_score, item.solved_count = count, average, solved
    return sorted(figures.values(), key=lambda f: (-f.received, f.unit.name_vi))
