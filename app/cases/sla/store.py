"""Calendars kept in the database, turned into the pure `Calendar` the clock maths uses.

Each process caches the built Calendar per calendar row and its `revision`;
every admin change gives the row a new revision, so all processes (web and
workers) rebuild on their next use. Saving does not recompute the running clocks:
whoever saves (the admin page) schedules that with `sla.tasks.schedule_recompute`.
"""

import functools
import re
import threading
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g, has_app_context
from sqlalchemy import select

from app.cases.sla.calendars import (
    VIETNAM_OFFICE_DAY,
    Calendar,
    MakeUpDay,
    default_calendar,
)
from app.cases.sla.models import DEFAULT_CALENDAR_NAME, DayKind, SlaCalendar, SlaCalendarDay
from app.cases.sla.models import SlaCalendarSlot as Slot
from app.core.time import ZONE_NAME
from app.extensions import db
from app.users.models import User

_cache: dict[int, tuple[str, Calendar]] = {}
_cache_lock = threading.Lock()
_SLOT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


class CalendarError(ValueError):
    """Input an admin has to correct; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@functools.cache
def builtin_calendar() -> Calendar:
    """The city's office calendar without any admin exception (used when no row exists)."""
    return default_calendar()


def default_calendar_row() -> SlaCalendar | None:
    return db.session.scalar(select(SlaCalendar).where(SlaCalendar.name == DEFAULT_CALENDAR_NAME))


def calendar_by_name(name: str) -> Calendar | None:
    """The Calendar of the row with that name; the built-in one for "default" without a row."""
    row = db.session.scalar(select(SlaCalendar).where(SlaCalendar.name == name))
    if row is not None:
        return calendar_for(row.id)
    return builtin_calendar() if name == DEFAULT_CALENDAR_NAME else None


def calendar_for(calendar_id: int | None) -> Calendar:
    """The pure Calendar for a row id (cached); the built-in calendar for None.

    The row's revision is read once per app context (a request, a job), so a
    page of a hundred clocks costs one query, not a hundred.
    """
    if calendar_id is None:
        return builtin_calendar()
    checked = g.setdefault("sla_calendars", {}) if has_app_context() else {}
    if calendar_id in checked:
        return checked[calendar_id]
    row = db.session.get(SlaCalendar, calendar_id)
    if row is None:
        calendar = builtin_calendar()
    elif (cached := _cache.get(calendar_id)) is not None and cached[0] == row.revision:
        calendar = cached[1]
    else:
        calendar = to_calendar(row)
        with _cache_lock:
            _cache[calendar_id] = (row.revision, calendar)
    checked[calendar_id] = calendar
    return calendar


def to_calendar(row: SlaCalendar) -> Calendar:
    """Build the pure Calendar from a row, its slots and its days."""
    weekly: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for slot in row.slots:
        weekly[slot.weekday].append((slot.start_time, slot.end_time))
    return Calendar(
        timezone=row.timezone,
        weekly_slots=tuple(tuple(day) for day in weekly),
        holiday_country=row.holiday_country or None,
        days_off=frozenset(d.day for d in row.days if d.kind == DayKind.day_off),
        make_up_days=frozenset(MakeUpDay(d.day) for d in row.days if d.kind == DayKind.make_up),
    )


def format_slots(row: SlaCalendar, weekday: int) -> str:
    """A weekday's slots as the admin form shows them: "07:30-11:30, 13:00-17:00"."""
    return ", ".join(
        f"{s.start_time:%H:%M}-{s.end_time:%H:%M}" for s in row.slots if s.weekday == weekday
    )


def parse_slots(text: str, field: str) -> list[tuple[time, time]]:
    """Parse "07:30-11:30, 13:00-17:00" (empty: no work that day)."""
    slots = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        match = _SLOT.match(part)
        if not match:
            raise CalendarError(f"cannot read {part!r}; write e.g. 07:30-11:30", field)
        hour1, minute1, hour2, minute2 = (int(g) for g in match.groups())
        try:
            slots.append((time(hour1, minute1), time(hour2, minute2)))
        except ValueError as error:
            raise CalendarError(f"{part!r}: {error}", field) from error
    return slots


def ensure_default_calendar() -> SlaCalendar:
    """The "default" row, created with the city's office hours and VN holidays if missing."""
    row = default_calendar_row()
    if row is None:
        row = SlaCalendar(name=DEFAULT_CALENDAR_NAME, timezone=ZONE_NAME, holiday_country="VN")
        for weekday in range(5):
            for start, end in VIETNAM_OFFICE_DAY:
                row.slots.append(Slot(weekday=weekday, start_time=start, end_time=end))
        db.session.add(row)
        db.session.flush()
    return row


def save_calendar(
    row: SlaCalendar | None,
    *,
    name: str,
    timezone: str,
    holiday_country: str | None,
    weekly: dict[int, str],
) -> SlaCalendar:
    """Create or change a calendar from the admin form, and commit. The caller recomputes
    its running clocks (`tasks.schedule_recompute(calendar_ids=[row.id])`)."""
    name = (name or "").strip()
    if not name:
        raise CalendarError("a calendar needs a name", "name")
    clash = db.session.scalar(select(SlaCalendar).where(SlaCalendar.name == name))
    if clash is not None and clash is not row:
        raise CalendarError("another calendar has that name", "name")
    if row is not None and row.name == DEFAULT_CALENDAR_NAME and name != DEFAULT_CALENDAR_NAME:
        raise CalendarError("the default calendar keeps its name", "name")
    parsed = {day: _checked_day(weekly.get(day, ""), day) for day in range(7)}
    timezone = (timezone or "").strip()
    try:
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise CalendarError(f"unknown time zone {timezone!r}", "timezone") from error
    country = (holiday_country or "").strip().upper() or None
    if country is not None:
        _check_country(country)
    if row is None:
        row = SlaCalendar(name=name)
        db.session.add(row)
    row.name, row.timezone, row.holiday_country = name, timezone, country
    row.slots.clear()
    db.session.flush()
    for day in range(7):
        for start, end in parsed[day]:
            row.slots.append(Slot(weekday=day, start_time=start, end_time=end))
    return _changed(row)


def add_day(row: SlaCalendar, day: date, kind: str, note: str, actor: User) -> SlaCalendarDay:
    """Add (or replace) an exception for one date, and commit; the caller recomputes the
    calendar's running clocks."""
    if kind not in DayKind.__members__:
        raise CalendarError("choose a day off or a make-up working day", "kind")
    entry = db.session.scalar(
        select(SlaCalendarDay).where(
            SlaCalendarDay.calendar_id == row.id, SlaCalendarDay.day == day
        )
    )
    values = {"kind": kind, "note": (note or "").strip()[:200], "created_by_id": actor.id}
    if entry is None:
        entry = SlaCalendarDay(calendar=row, day=day, **values)
        db.session.add(entry)
    else:
        for key, value in values.items():
            setattr(entry, key, value)
    _changed(row)
    return entry


def remove_day(row: SlaCalendar, day_id: int) -> None:
    entry = db.session.get(SlaCalendarDay, day_id)
    if entry is None or entry.calendar_id != row.id:
        raise CalendarError("no such day", "day")
    row.days.remove(entry)
    _changed(row)


def _changed(row: SlaCalendar) -> SlaCalendar:
    """Commit and forget the cached calendar; the caller schedules the recompute."""
    row.touch()
    db.session.commit()
    with _cache_lock:
        _cache.pop(row.id, None)
    g.pop("sla_calendars", None)
    return row


def _checked_day(text: str, weekday: int) -> list[tuple[time, time]]:
    field = f"slots_{weekday}"
    slots = parse_slots(text, field)
    try:
        Calendar(weekly_slots=tuple(tuple(slots) if day == weekday else () for day in range(7)))
    except ValueError as error:
        raise CalendarError(str(error), field) from error
    return slots


def _check_country(country: str) -> None:
    import holidays

    if country not in holidays.list_supported_countries():
        raise CalendarError(f"the holidays package does not know country {country!r}", "country")
