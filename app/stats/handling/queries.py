"""Handling time per stage, the backlog by age and the volumes by day or week.

Handling time comes from the StageTime rows: one per case, cycle and stage
reached, with the real stop time from the timeline and the SLA clock's verdict. A row counts
in the period when its stage was *reached* in the period (`stopped_at`), and for the unit
that was responsible then.

For each group: count; median, p90 and mean in working hours and in calendar hours; on-time %
(the share of rows with an SLA clock that met its target; rows without a clock are left out).
Percentiles follow PostgreSQL's `percentile_cont` (linear interpolation, see percentiles.py):
computed in SQL on PostgreSQL, in Python on SQLite, with the same results.

Everything is limited to the units the user may see (cases/permissions.py): officers their
unit, supervisors their unit's subtree, analysts and admins every unit.

Periods (day, week starting Monday, month) are local to the city's zone (app.core.time).
The query arguments are read by schemas.py, the labels are labels.py's.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, cast, false, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.cases.backlog import BUCKET_KEYS, BacklogRow, bucket_descriptions, open_counts
from app.cases.labels import CATEGORY_LABELS, SOURCE_LABELS
from app.cases.models import Case, Stage, StageTime
from app.cases.permissions import visible_unit_ids
from app.core.time import ZONE_NAME, local_date
from app.extensions import db
from app.models import utcnow
from app.stats.handling.labels import NO_VALUE, period_label
from app.stats.handling.percentiles import MEDIAN, P90, Summary, summarize
from app.stats.handling.periods import period_start, period_starts
from app.units.models import FormerDistrict, Unit
from app.units.operations import descendant_unit_ids
from app.users.models import User

GROUPS = ("unit", "category", "source", "ward", "district", "period")
BASES = ("working", "calendar")
BACKLOG_GROUPS = ("unit", "category", "ward")


@dataclass(frozen=True)
class Scope:
    """Which rows: a time range (UTC, end excluded) and optional unit and category filters."""

    start: datetime
    end: datetime
    #: The local dates shown back to people (first and last day included).
    first_day: date
    last_day: date
    #: The unit filter (the unit and its subtree); None: every unit the user sees.
    unit: Unit | None = None
    category: str | None = None

    def period_starts(self, period: str) -> list[date]:
        """The local start of every period the range touches, oldest first."""
        return period_starts(self.first_day, self.last_day, period)


@dataclass(frozen=True)
class HandlingQuery:
    scope: Scope
    stage: str = Stage.resolved.value
    group_by: str = "unit"
    period: str = "day"


# -- periods --------------------------------------------------------------------------


def _local_period(moment: datetime, period: str) -> date:
    return period_start(local_date(moment), period)


def _sql_period(column, period: str):
    """date_trunc of a UTC timestamp in local time (PostgreSQL), as a date."""
    return cast(
        func.date_trunc(literal_column(f"'{period}'"), func.timezone(ZONE_NAME, column)),
        db.Date,
    )


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# -- handling time --------------------------------------------------------------------


@dataclass(frozen=True)
class HandlingRow:
    """One group: durations in seconds; on-time counts over the rows an SLA clock measured."""

    key: object
    label: str
    count: int
    working: Summary
    calendar: Summary
    measured: int
    on_time: int

    @property
    def within_sla_pct(self) -> float | None:
        return round(100 * self.on_time / self.measured, 1) if self.measured else None

    def hours(self, basis: str = "working") -> dict:
        summary = self.working if basis == "working" else self.calendar
        return {
            "median_hours": _hours(summary.median),
            "p90_hours": _hours(summary.p90),
            "mean_hours": _hours(summary.mean),
        }

    def as_dict(self, basis: str = "working") -> dict:
        """The API's row: top-level hours in `basis`, both variants nested."""
        return {
            "key": self.key.isoformat() if isinstance(self.key, date) else self.key,
            "label": self.label,
            "count": self.count,
            **self.hours(basis),
            "within_sla_pct": self.within_sla_pct,
            "on_time_count": self.on_time,
            "sla_measured_count": self.measured,
            "working": self.hours("working"),
            "calendar": self.hours("calendar"),
        }

    def flat(self) -> dict:
        """Every figure at the top level, for tables and exports."""
        return {
            "key": self.key,
            "label": self.label,
            "count": self.count,
            **{f"working_{k}": v for k, v in self.hours("working").items()},
            **{f"calendar_{k}": v for k, v in self.hours("calendar").items()},
            "within_sla_pct": self.within_sla_pct,
            "on_time_count": self.on_time,
            "sla_measured_count": self.measured,
        }


@dataclass(frozen=True)
class HandlingResult:
    query: HandlingQuery
    rows: list[HandlingRow]
    total: HandlingRow


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def unit_scope(user: User | None, unit: Unit | None) -> set[int] | None:
    """The unit ids to count (None: all): what the user may see, narrowed by the unit filter.

    No user (a scheduled report, the system) sees every unit.
    """
    visible = None if user is None else visible_unit_ids(user)
    if unit is None:
        return visible
    wanted = descendant_unit_ids(unit.id)
    return wanted if visible is None else wanted & visible


def _stage_conditions(user: User | None, query: HandlingQuery) -> list:
    scope = query.scope
    conditions = [
        StageTime.stage == query.stage,
        StageTime.stopped_at >= scope.start,
        StageTime.stopped_at < scope.end,
    ]
    units = unit_scope(user, scope.unit)
    if units is not None:
        conditions.append(StageTime.unit_id.in_(sorted(units)) if units else false())
    if scope.category:
        conditions.append(StageTime.category == scope.category)
    return conditions


_DIMENSIONS = {
    "unit": StageTime.unit_id,
    "category": StageTime.category,
    "source": StageTime.source,
    "ward": StageTime.ward_id,
    "district": StageTime.former_district_id,
}


def handling_time(
    user: User | None, query: HandlingQuery, locale: str = "vi", *, method: str | None = None
) -> HandlingResult:
    """Handling time of one stage per group, plus the total over all groups.

    `user` None counts every unit (for scheduled reports). `method` forces "sql"
    (PostgreSQL only) or "python"; by default SQL on PostgreSQL.
    """
    method = method or ("sql" if _is_postgresql() else "python")
    if method == "sql":
        groups, total = _aggregate_sql(user, query)
    else:
        groups, total = _aggregate_python(user, query)
    with force_locale(locale):
        names = key_names(query.group_by, list(groups), locale, query.period)
        if query.group_by == "period":
            # Every period of the range, those without a case included, oldest first.
            rows = [
                _row(key, period_label(key, query.period), groups.get(key))
                for key in query.scope.period_starts(query.period)
            ]
        else:
            rows = [_row(*names[key], values) for key, values in groups.items()]
            rows.sort(key=lambda row: (-row.count, row.label))
        total_row = _row("total", str(_l("All")), total)
    return HandlingResult(query, rows, total_row)


_EMPTY = (0, Summary(0, None, None, None), Summary(0, None, None, None), 0, 0)


def _row(key, label, values) -> HandlingRow:
    count, working, calendar, measured, on_time = values or _EMPTY
    return HandlingRow(key, label, count, working, calendar, measured, on_time)


def _aggregate_sql(user: User | None, query: HandlingQuery):
    """GROUP BY in PostgreSQL with percentile_cont; GROUPING SETS adds the total."""
    if query.group_by == "period":
        key = _sql_period(StageTime.stopped_at, query.period)
    else:
        key = _DIMENSIONS[query.group_by]
    inner = (
        select(
            key.label("key"),
            cast(StageTime.working_seconds, Float).label("working"),
            cast(StageTime.calendar_seconds, Float).label("calendar"),
            StageTime.on_time.label("on_time"),
        )
        .where(*_stage_conditions(user, query))
        .subquery()
    )
    fractions = literal_column(f"ARRAY[{MEDIAN}, {P90}]")

    def percentiles(column):
        return func.percentile_cont(fractions).within_group(column).cast(ARRAY(Float))

    statement = select(
        func.grouping(inner.c.key).label("is_total"),
        inner.c.key,
        func.count(),
        percentiles(inner.c.working),
        func.avg(inner.c.working),
        percentiles(inner.c.calendar),
        func.avg(inner.c.calendar),
        func.count(inner.c.on_time),
        func.count().filter(inner.c.on_time.is_(True)),
    ).group_by(func.grouping_sets(inner.c.key, literal_column("()")))
    groups, total = {}, None
    for is_total, key, count, w_pct, w_avg, c_pct, c_avg, measured, on_time in db.session.execute(
        statement
    ):
        if not count:
            continue  # the total of nothing
        values = (
            count,
            Summary(count, w_pct[0], w_pct[1], float(w_avg)),
            Summary(count, c_pct[0], c_pct[1], float(c_avg)),
            measured,
            on_time,
        )
        if is_total:
            total = values
        else:
            groups[key] = values
    return groups, total


def _aggregate_python(user: User | None, query: HandlingQuery):
    """The same figures computed in Python (SQLite has no percentile aggregate)."""
    key_column = StageTime.stopped_at if query.group_by == "period" else _DIMENSIONS[query.group_by]
    statement = select(
        key_column, StageTime.working_seconds, StageTime.calendar_seconds, StageTime.on_time
    ).where(*_stage_conditions(user, query))
    buckets: dict[object, list] = {}
    every: list = []
    for key, working, calendar, on_time in db.session.execute(statement):
        if query.group_by == "period":
            key = _local_period(key, query.period)
        entry = (float(working), float(calendar), on_time)
        buckets.setdefault(key, []).append(entry)
        every.append(entry)
    groups = {key: _summarize(entries) for key, entries in buckets.items()}
    return groups, (_summarize(every) if every else None)


def _summarize(entries: list) -> tuple:
    measured = [on_time for _, _, on_time in entries if on_time is not None]
    return (
        len(entries),
        summarize(working for working, _, _ in entries),
        summarize(calendar for _, calendar, _ in entries),
        len(measured),
        sum(1 for on_time in measured if on_time),
    )


def key_names(group_by: str, keys: list, locale: str, period: str = "day") -> dict:
    """grouped value -> (key, label): units, wards and districts by their codes and names."""
    if group_by == "period":
        return {key: (key, period_label(key, period)) for key in keys}
    if group_by == "category":
        return {key: (key, str(CATEGORY_LABELS.get(key, key))) for key in keys}
    if group_by == "source":
        return {key: (key, str(SOURCE_LABELS.get(key, key))) for key in keys}
    names = name_lookup(group_by, keys, locale)
    missing = (None, str(NO_VALUE.get(group_by, "—")))
    return {key: names.get(key, missing) for key in keys}


def name_lookup(group_by: str, ids: list, locale: str) -> dict:
    """id -> (code, name) for units, wards and former districts."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    if group_by == "district":
        rows = db.session.execute(
            select(FormerDistrict.id, FormerDistrict.code, FormerDistrict.name).where(
                FormerDistrict.id.in_(ids)
            )
        )
        return {i: (code, name) for i, code, name in rows}
    rows = db.session.execute(
        select(Unit.id, Unit.code, Unit.name_vi, Unit.name_en).where(Unit.id.in_(ids))
    )
    return {i: (code, name_en if locale == "en" else name_vi) for i, code, name_vi, name_en in rows}


# -- backlog --------------------------------------------------------------------------


@dataclass(frozen=True)
class BacklogResult:
    group_by: str
    now: datetime
    rows: list[BacklogRow]
    total: BacklogRow
    buckets: list[dict] = field(default_factory=list)


def backlog(
    user: User | None,
    group_by: str = "unit",
    *,
    unit: Unit | None = None,
    category: str | None = None,
    now: datetime | None = None,
    locale: str = "vi",
) -> BacklogResult:
    """Open cases by age since receipt (the SLA dashboard's buckets, cases/backlog.py), per
    unit, category or ward (cases without a ward in one row)."""
    now = now or utcnow()
    counts = open_counts(group_by, now, units=unit_scope(user, unit), category=category)
    with force_locale(locale):
        names = key_names(group_by, list(counts), locale)
        rows = [BacklogRow(*names[key], tuple(values)) for key, values in counts.items()]
        rows.sort(key=lambda row: (-row.total, row.label))
        total = BacklogRow(
            "total",
            str(_l("All")),
            tuple(sum(row.counts[i] for row in rows) for i in range(len(BUCKET_KEYS))),
        )
        buckets = bucket_descriptions()
    return BacklogResult(group_by, now, rows, total, buckets)


# -- volumes --------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeRow:
    key: date
    label: str
    opened: int
    resolved: int

    def as_dict(self) -> dict:
        return {
            "key": self.key.isoformat(),
            "label": self.label,
            "opened": self.opened,
            "resolved": self.resolved,
        }


def volumes(
    user: User | None, scope: Scope, period: str = "day", locale: str = "vi"
) -> list[VolumeRow]:
    """Cases opened and cases resolved per local day or week of the range."""
    units = unit_scope(user, scope.unit)
    opened = _count_by_period(
        Case.created_at,
        [Case.created_at >= scope.start, Case.created_at < scope.end],
        Case.unit_id,
        Case.category,
        units,
        scope.category,
        period,
    )
    resolved = _count_by_period(
        StageTime.stopped_at,
        [
            StageTime.stage == Stage.resolved.value,
            StageTime.stopped_at >= scope.start,
            StageTime.stopped_at < scope.end,
        ],
        StageTime.unit_id,
        StageTime.category,
        units,
        scope.category,
        period,
    )
    with force_locale(locale):
        return [
            VolumeRow(
                start, period_label(start, period), opened.get(start, 0), resolved.get(start, 0)
            )
            for start in scope.period_starts(period)
        ]


def _count_by_period(column, conditions, unit_column, category_column, units, category, period):
    conditions = list(conditions)
    if units is not None:
        conditions.append(unit_column.in_(sorted(units)) if units else false())
    if category:
        conditions.append(category_column == category)
    if _is_postgresql():
        inner = select(_sql_period(column, period).label("key")).where(*conditions).subquery()
        statement = select(inner.c.key, func.count()).group_by(inner.c.key)
        return dict(db.session.execute(statement).all())
    counts: dict[date, int] = {}
    for (moment,) in db.session.execute(select(column).where(*conditions)):
        key = _local_period(moment, period)
        counts[key] = counts.get(key, 0) + 1
    return counts
