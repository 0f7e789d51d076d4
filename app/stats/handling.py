"""Handling time per stage, the backlog by age and the volumes by day or week.

Handling time comes from the StageTime rows (stage_times.py): one per case, cycle and stage
reached, with the real stop time from the timeline and the SLA clock's verdict. A row counts
in the period when its stage was *reached* in the period (`stopped_at`), and for the unit
that was responsible then.

For each group: count; median, p90 and mean in working hours and in calendar hours; on-time %
(the share of rows with an SLA clock that met its target; rows without a clock are left out).
Percentiles follow PostgreSQL's `percentile_cont` (linear interpolation, see percentiles.py):
computed in SQL on PostgreSQL, in Python on SQLite, with the same results.

Everything is limited to the units the user may see (cases/permissions.py): officers their
unit, supervisors their unit's subtree, analysts and admins every unit.

Periods (day, week starting Monday, month) are local to Asia/Ho_Chi_Minh.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, and_, cast, false, func, literal_column, select
from sqlalchemy import case as when
from sqlalchemy.dialects.postgresql import ARRAY

from app.cases.calendars import HO_CHI_MINH_TIMEZONE
from app.cases.dashboard import BACKLOG_BUCKETS
from app.cases.labels import CATEGORY_LABELS
from app.cases.models import CATEGORIES, Case
from app.cases.permissions import visible_unit_ids
from app.cases.workflow import OPEN_STATUSES
from app.core import formatting
from app.core.validation import check_date
from app.extensions import db
from app.models import utcnow
from app.stats.models import STAGES, Stage, StageTime
from app.stats.percentiles import MEDIAN, P90, Summary, summarize
from app.units.models import FormerDistrict, Unit
from app.units.operations import descendant_unit_ids
from app.users.models import User

LOCAL_TZ = ZoneInfo(HO_CHI_MINH_TIMEZONE)
GROUPS = ("unit", "category", "source", "ward", "district", "period")
PERIODS = ("day", "week", "month")
BASES = ("working", "calendar")
BACKLOG_GROUPS = ("unit", "category")
VOLUME_PERIODS = ("day", "week")
#: The default date range: the last 30 local days, today included.
DEFAULT_DAYS = 30
#: A table by period has at most this many rows (e.g. about three years by day).
MAX_PERIODS = 1100

STAGE_LABELS = {
    Stage.verified.value: _l("Receipt → verified"),
    Stage.resolved.value: _l("Receipt → resolved"),
    Stage.responded.value: _l("Receipt → public response"),
}
GROUP_LABELS = {
    "unit": _l("Unit"),
    "category": _l("Category"),
    "source": _l("Source"),
    "ward": _l("Ward or commune"),
    "district": _l("Former district"),
    "period": _l("Period"),
}
PERIOD_LABELS = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}
BASIS_LABELS = {"working": _l("Working hours"), "calendar": _l("Calendar hours")}
SOURCE_LABELS = {
    "facebook": "Facebook",
    "youtube": "YouTube",
    "x": "X",
    "zalo": "Zalo",
    "press": _l("Press"),
    "rss": _l("Press"),
    "citizen": _l("Citizen report"),
    "webhook": _l("Partner webhook"),
    "open311": "Open311",
    "hotline": _l("Hotline"),
    "manual": _l("Entered by staff"),
    "import": _l("Import"),
}
#: Stable keys of the backlog's age buckets (BACKLOG_BUCKETS of the SLA dashboard).
BUCKET_KEYS = ("under_1d", "1_3d", "3_7d", "7_14d", "14_30d", "over_30d")
NO_VALUE = {
    "ward": _l("No ward"),
    "district": _l("No former district"),
}


class StatsError(ValueError):
    """Bad parameters: `errors` maps each parameter to what is wrong with it."""

    def __init__(self, errors: dict[str, list]):
        super().__init__(f"invalid parameters: {', '.join(errors)}")
        self.errors = errors


# -- parameters -----------------------------------------------------------------------


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


@dataclass(frozen=True)
class HandlingQuery:
    scope: Scope
    stage: str = Stage.resolved.value
    group_by: str = "unit"
    period: str = "day"


def _one_of(args, name, choices, default, errors):
    value = (args.get(name) or "").strip() or default
    if value not in choices:
        errors[name] = [
            _l("must be one of: %(choices)s", choices=", ".join(choices)),
        ]
        return default
    return value


def _parse_day(raw: str, name: str, errors) -> date | datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        if not raw.isascii():
            raise ValueError(raw)
        if len(raw) == 10:
            day = date.fromisoformat(raw)
        else:
            day = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        errors[name] = [_l("not a date: write YYYY-MM-DD")]
        return None
    try:
        check_date(day)
    except ValueError:
        errors[name] = [_l("must be between 1900-01-01 and 2100-12-31")]
        return None
    if isinstance(day, datetime) and day.tzinfo is None:
        return day.replace(tzinfo=LOCAL_TZ)
    return day


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


def parse_scope(args: Mapping, now: datetime | None = None, errors=None) -> Scope:
    """`from` and `to` (local dates, both included; or ISO datetimes, `to` excluded),
    `unit` (a unit code) and `category`. Default range: the last 30 days. Raises StatsError."""
    own_errors = errors is None
    errors = {} if errors is None else errors
    today = (now or utcnow()).astimezone(LOCAL_TZ).date()
    first = _parse_day(args.get("from"), "from", errors)
    last = _parse_day(args.get("to"), "to", errors)
    if isinstance(last, datetime):
        end, last_day = last.astimezone(UTC), (last - timedelta(microseconds=1)).date()
    else:
        last_day = last or today
        end = local_midnight(last_day + timedelta(days=1))
    if isinstance(first, datetime):
        start, first_day = first.astimezone(UTC), first.astimezone(LOCAL_TZ).date()
    else:
        first_day = first or (last_day - timedelta(days=DEFAULT_DAYS - 1))
        start = local_midnight(first_day)
    if "from" not in errors and "to" not in errors and start >= end:
        errors["to"] = [_l("must be after the start of the range")]
    unit = None
    code = (args.get("unit") or "").strip()
    if code:
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            errors["unit"] = [_l("no unit with code %(code)s", code=code)]
    category = (args.get("category") or "").strip() or None
    if category is not None and category not in CATEGORIES:
        errors["category"] = [_l("must be one of: %(choices)s", choices=", ".join(CATEGORIES))]
        category = None
    if own_errors and errors:
        raise StatsError(errors)
    return Scope(start, end, first_day, last_day, unit, category)


def parse_handling(args: Mapping, now: datetime | None = None) -> HandlingQuery:
    """Read ?stage=&group_by=&period=&from=&to=&unit=&category=; raises StatsError."""
    errors: dict[str, list] = {}
    stage = _one_of(args, "stage", [s.value for s in STAGES], Stage.resolved.value, errors)
    group_by = _one_of(args, "group_by", GROUPS, "unit", errors)
    period = _one_of(args, "period", PERIODS, "day", errors)
    scope = parse_scope(args, now, errors)
    if group_by == "period" and not errors and len(period_starts(scope, period)) > MAX_PERIODS:
        errors["period"] = [
            _l("too many periods for this range: choose a longer period or a shorter range")
        ]
    if errors:
        raise StatsError(errors)
    return HandlingQuery(scope=scope, stage=stage, group_by=group_by, period=period)


# -- periods --------------------------------------------------------------------------


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next_period(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def period_starts(scope: Scope, period: str) -> list[date]:
    """The local start of every period the range touches, oldest first."""
    starts, current = [], period_start(scope.first_day, period)
    while current <= scope.last_day and len(starts) <= MAX_PERIODS:
        starts.append(current)
        current = _next_period(current, period)
    return starts


def period_label(start: date, period: str) -> str:
    if period == "week":
        return str(_l("Week of %(date)s", date=formatting.date_local(start)))
    if period == "month":
        return format_date(start, "LLLL yyyy")
    return formatting.date_local(start)


def period_short_label(start: date, period: str) -> str:
    """A compact label for chart axes: 07/12 or 7 Dec; 12/2026 or Dec 2026 for a month."""
    return formatting.axis_label(start, "month" if period == "month" else "day")


def _local_period(moment: datetime, period: str) -> date:
    return period_start(moment.astimezone(LOCAL_TZ).date(), period)


def _sql_period(column, period: str):
    """date_trunc of a UTC timestamp in local time (PostgreSQL), as a date."""
    return cast(
        func.date_trunc(literal_column(f"'{period}'"), func.timezone(HO_CHI_MINH_TIMEZONE, column)),
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
                for key in period_starts(query.scope, query.period)
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
class BacklogRow:
    key: object
    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "total": self.total,
            "buckets": dict(zip(BUCKET_KEYS, self.counts, strict=True)),
        }

    def flat(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            **dict(zip(BUCKET_KEYS, self.counts, strict=True)),
            "total": self.total,
        }


@dataclass(frozen=True)
class BacklogResult:
    group_by: str
    now: datetime
    rows: list[BacklogRow]
    total: BacklogRow
    buckets: list[dict] = field(default_factory=list)


def backlog_buckets() -> list[dict]:
    return [
        {"key": key, "label": str(label), "from_days": lower, "to_days": upper}
        for key, (label, lower, upper) in zip(BUCKET_KEYS, BACKLOG_BUCKETS, strict=True)
    ]


def parse_backlog(args: Mapping) -> tuple[str, Scope]:
    """?group_by=unit|category&unit=&category= ; raises StatsError."""
    errors: dict[str, list] = {}
    group_by = _one_of(args, "group_by", BACKLOG_GROUPS, "unit", errors)
    scope = parse_scope({k: args.get(k) for k in ("unit", "category")}, None, errors)
    if errors:
        raise StatsError(errors)
    return group_by, scope


def backlog(
    user: User | None,
    group_by: str = "unit",
    *,
    unit: Unit | None = None,
    category: str | None = None,
    now: datetime | None = None,
    locale: str = "vi",
) -> BacklogResult:
    """Open cases by age since receipt (the SLA dashboard's buckets), per unit or category."""
    now = now or utcnow()
    bucket = when(
        *[
            (Case.created_at > now - timedelta(days=upper), position)
            for position, (_, _lower, upper) in enumerate(BACKLOG_BUCKETS)
            if upper is not None
        ],
        else_=len(BACKLOG_BUCKETS) - 1,
    )
    key = Case.unit_id if group_by == "unit" else Case.category
    conditions = [Case.status.in_([s.value for s in OPEN_STATUSES])]
    units = unit_scope(user, unit)
    if units is not None:
        conditions.append(Case.unit_id.in_(sorted(units)) if units else false())
    if category:
        conditions.append(Case.category == category)
    inner = select(key.label("key"), bucket.label("bucket")).where(and_(*conditions)).subquery()
    statement = select(inner.c.key, inner.c.bucket, func.count()).group_by(
        inner.c.key, inner.c.bucket
    )
    counts: dict[object, list[int]] = {}
    for group, position, count in db.session.execute(statement):
        counts.setdefault(group, [0] * len(BUCKET_KEYS))[position] += count
    with force_locale(locale):
        names = key_names(group_by, list(counts), locale)
        rows = [BacklogRow(*names[key], tuple(values)) for key, values in counts.items()]
        rows.sort(key=lambda row: (-row.total, row.label))
        total = BacklogRow(
            "total",
            str(_l("All")),
            tuple(sum(row.counts[i] for row in rows) for i in range(len(BUCKET_KEYS))),
        )
        buckets = backlog_buckets()
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
            for start in period_starts(scope, period)
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
