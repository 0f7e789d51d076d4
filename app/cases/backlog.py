"""The backlog: open cases by age since receipt. The one query behind the SLA dashboard's
"Open cases by age" (by priority) and the statistics' backlog (by unit, category or ward).

A case is open while received, verifying, in progress, waiting or resolved (OPEN_STATUSES);
its age counts from `created_at`. Buckets: under 1 day, 1–3, 3–7, 7–14, 14–30 and over 30
days (a case exactly one day old is in "1–3 days").

Two ways to count, with the same results:

- "scan" reads every open case (SQLite; and the reference the tests compare with).
- "counters" (PostgreSQL, the default there) reads only the open cases of the last 30 days,
  through the partial index ix_cases_open_created (open cases by receipt time, carrying
  unit, category, ward and priority: an index-only scan), and takes the rest from
  case_backlog_counts: open cases per (unit, category, ward, priority), which triggers on
  `cases` keep exact in the same transaction as every insert, update, delete or truncate
  (migration 20261207_backlog_counts). "Over 30 days" is that total less the recent ones;
  both are read by one statement, so from one snapshot. The cost follows the cases of the
  last 30 days and the number of groups, not the years of backlog behind them.

The open statuses are written into the SQL as literals: the planner only uses a partial
index when it sees that the query's values match the index's predicate.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    delete,
    false,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy import case as when

from app.cases.models import Case
from app.cases.workflow import OPEN_STATUSES
from app.extensions import db

#: Age buckets: (label, from days, to days or None).
BACKLOG_BUCKETS = (
    (_l("under 1 day"), 0, 1),
    (_l("1–3 days"), 1, 3),
    (_l("3–7 days"), 3, 7),
    (_l("7–14 days"), 7, 14),
    (_l("14–30 days"), 14, 30),
    (_l("over 30 days"), 30, None),
)
#: Stable keys of the buckets, for the API and exports.
BUCKET_KEYS = ("under_1d", "1_3d", "3_7d", "7_14d", "14_30d", "over_30d")
#: What the backlog can be grouped by.
DIMENSIONS = {
    "unit": Case.unit_id,
    "category": Case.category,
    "ward": Case.ward_id,
    "priority": Case.priority,
}
#: The open statuses, sorted (the partial index's predicate lists the same values).
OPEN_STATUS_VALUES = tuple(sorted(status.value for status in OPEN_STATUSES))
#: The counters hold every open case; the cases of the last RECENT_DAYS are counted.
RECENT_DAYS = BACKLOG_BUCKETS[-1][1]
METHODS = ("counters", "scan")

log = logging.getLogger(__name__)

#: Open cases per (unit, category, ward, priority), kept by triggers on PostgreSQL (a row
#: per combination ever seen; zero when none is open). Unused on SQLite.
backlog_counts = db.Table(
    "case_backlog_counts",
    Column("unit_id", Integer, nullable=False),
    Column("category", String(32), nullable=False),
    Column("ward_id", Integer),
    Column("priority", String(2), nullable=False),
    Column("open_cases", Integer, nullable=False, default=0),
)
Index(
    "ux_case_backlog_counts_key",
    backlog_counts.c.unit_id,
    backlog_counts.c.category,
    func.coalesce(backlog_counts.c.ward_id, 0),
    backlog_counts.c.priority,
    unique=True,
)


@dataclass(frozen=True)
class BacklogRow:
    """One row of a backlog table: `counts` per column, `columns` their keys: the age
    buckets (statistics, a row per unit, category or ward), or the priorities (the SLA
    dashboard, a row per age bucket)."""

    key: object
    label: str
    counts: tuple[int, ...]
    columns: tuple[str, ...] = BUCKET_KEYS

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def by_column(self) -> dict[str, int]:
        return dict(zip(self.columns, self.counts, strict=True))

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "total": self.total,
            "buckets": self.by_column,
        }

    def flat(self) -> dict:
        return {"key": self.key, "label": self.label, **self.by_column, "total": self.total}


def bucket_descriptions() -> list[dict]:
    """The buckets with their keys, labels (in the current language) and bounds in days."""
    return [
        {"key": key, "label": str(label), "from_days": lower, "to_days": upper}
        for key, (label, lower, upper) in zip(BUCKET_KEYS, BACKLOG_BUCKETS, strict=True)
    ]


def is_open():
    """The open-case condition, with the statuses as literals (see the module's note)."""
    return Case.status.in_([literal(value, literal_execute=True) for value in OPEN_STATUS_VALUES])


def _bucket(now: datetime):
    """The position of a case's age bucket (0: under 1 day … 5: over 30 days)."""
    return when(
        *[
            (Case.created_at > now - timedelta(days=upper), position)
            for position, (_, _lower, upper) in enumerate(BACKLOG_BUCKETS)
            if upper is not None
        ],
        else_=len(BACKLOG_BUCKETS) - 1,
    )


def _unit_condition(column, units: set[int] | None):
    if units is None:
        return None
    if not units:
        return false()
    if len(units) == 1:
        return column == next(iter(units))
    return column.in_(sorted(units))


def _filters(table_columns, units, category) -> list:
    conditions = []
    unit_condition = _unit_condition(table_columns.unit_id, units)
    if unit_condition is not None:
        conditions.append(unit_condition)
    if category:
        conditions.append(table_columns.category == category)
    return conditions


def open_counts(
    group_by: str,
    now: datetime,
    *,
    units: set[int] | None = None,
    category: str | None = None,
    method: str | None = None,
) -> dict[object, list[int]]:
    """{group value: open cases per age bucket} for the groups that have open cases.

    `group_by`: unit, category, ward (None: no ward) or priority. `units`: only the cases of
    these units (None: every unit); `category`: only that category. `method`: "counters"
    (PostgreSQL only) or "scan"; by default counters on PostgreSQL, see the module's note.
    """
    method = method or ("counters" if db.engine.dialect.name == "postgresql" else "scan")
    if method == "counters":
        return _from_counters(group_by, now, units, category)
    key = DIMENSIONS[group_by]
    conditions = [is_open(), *_filters(Case, units, category)]
    # Grouping the outer query by a column works for expressions with bound
    # parameters too (PostgreSQL would not match them in GROUP BY).
    inner = select(key.label("key"), _bucket(now).label("bucket")).where(*conditions).subquery()
    statement = select(inner.c.key, inner.c.bucket, func.count()).group_by(
        inner.c.key, inner.c.bucket
    )
    counts: dict[object, list[int]] = {}
    for group, position, count in db.session.execute(statement):
        counts.setdefault(group, [0] * len(BACKLOG_BUCKETS))[position] += count
    return counts


def counters_statement(group_by: str, now: datetime, units=None, category=None):
    """(key, bucket, count) rows: the open cases of the last RECENT_DAYS by bucket, and
    every open case from the counters (bucket -1). One statement: one snapshot."""
    recent_conditions = [
        is_open(),
        Case.created_at > now - timedelta(days=RECENT_DAYS),
        *_filters(Case, units, category),
    ]
    inner = (
        select(DIMENSIONS[group_by].label("key"), _bucket(now).label("bucket"))
        .where(*recent_conditions)
        .subquery()
    )
    recent = select(inner.c.key, inner.c.bucket, func.count().label("n")).group_by(
        inner.c.key, inner.c.bucket
    )
    key = backlog_counts.c[DIMENSIONS[group_by].key]
    totals = (
        select(key, literal(-1), func.sum(backlog_counts.c.open_cases))
        .where(*_filters(backlog_counts.c, units, category))
        .group_by(key)
    )
    return union_all(recent, totals)


def _from_counters(group_by, now, units, category) -> dict[object, list[int]]:
    """The oldest bucket is every open case less the recent ones."""
    statement = counters_statement(group_by, now, units, category)
    oldest = len(BACKLOG_BUCKETS) - 1
    counts: dict[object, list[int]] = {}
    all_open: dict[object, int] = {}
    for group, position, count in db.session.execute(statement):
        if position < 0:
            all_open[group] = int(count or 0)
        else:
            counts.setdefault(group, [0] * len(BACKLOG_BUCKETS))[position] += count
    for group, values in counts.items():
        if all_open.get(group, 0) < sum(values):
            log.warning("backlog counters behind the cases for %s %r", group_by, group)
    for group, total in all_open.items():
        values = counts.setdefault(group, [0] * len(BACKLOG_BUCKETS))
        values[oldest] = max(0, total - sum(values))
    return {group: values for group, values in counts.items() if sum(values)}


def rebuild_counts() -> int:
    """Recount case_backlog_counts from the cases, for data loaded with the triggers off
    (PostgreSQL; the caller commits). Writers wait meanwhile. Returns the open cases."""
    db.session.execute(text("LOCK TABLE cases IN SHARE MODE"))
    db.session.execute(delete(backlog_counts))
    groups = (Case.unit_id, Case.category, Case.ward_id, Case.priority)
    db.session.execute(
        insert(backlog_counts).from_select(
            ["unit_id", "category", "ward_id", "priority", "open_cases"],
            select(*groups, func.count()).where(is_open()).group_by(*groups),
        )
    )
    return int(db.session.scalar(select(func.coalesce(func.sum(backlog_counts.c.open_cases), 0))))
