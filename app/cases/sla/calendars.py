"""Working calendars for SLA clocks: when is a unit at work?

Pure values only (no Flask, no database). A :class:`Calendar` answers two
questions: which working slots a local date has, and which UTC intervals of
working time follow a given instant. The SLA maths in :mod:`app.cases.sla.maths`
is built on the second.

Precedence for one local date, from strongest to weakest:

1. an admin make-up working day ("làm bù") -> its slots;
2. an admin day off -> no work;
3. a holiday (explicit, or from the ``holidays`` package) -> no work;
4. a make-up working day that the ``holidays`` package knows (for example
   Saturday 22 August 2026, worked in exchange for Monday 31 August) ->
   Monday's slots;
5. otherwise the weekday's slots.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays as holidays_package

from app.core.time import ZONE_NAME

MONDAY = 0

# A calendar with no working slot for this many consecutive days is treated
# as broken rather than searched forever.
MAX_DAYS_WITHOUT_WORK = 3660


class WorkingSlot(NamedTuple):
    """One stretch of working time within a local day, ``start`` < ``end``."""

    start: time
    end: time


VIETNAM_OFFICE_DAY = (
    WorkingSlot(time(7, 30), time(11, 30)),
    WorkingSlot(time(13, 0), time(17, 0)),
)
MONDAY_TO_FRIDAY_OFFICE_WEEK = (VIETNAM_OFFICE_DAY,) * 5 + ((), ())


@dataclass(frozen=True)
class MakeUpDay:
    """A date that is worked although it normally is not ("ngày làm bù").

    ``slots`` of ``None`` means the calendar's Monday slots.
    """

    day: date
    slots: tuple[WorkingSlot, ...] | None = None

    def __post_init__(self) -> None:
        if self.slots is not None:
            # Freeze lists of pairs so the day stays hashable.
            object.__setattr__(self, "slots", _checked_slots(self.slots))


@dataclass(frozen=True)
class Calendar:
    """When working time runs, in one time zone.

    ``weekly_slots`` has seven entries, Monday first; each entry is a tuple of
    :class:`WorkingSlot` (plain ``(time, time)`` pairs are accepted). Iterables
    given for the date sets are frozen, so a calendar is hashable.
    ``holiday_country`` names a country of the ``holidays`` package whose
    public holidays and make-up days are looked up lazily, year by year.
    """

    timezone: str = ZONE_NAME
    weekly_slots: tuple[tuple[WorkingSlot, ...], ...] = MONDAY_TO_FRIDAY_OFFICE_WEEK
    holidays: frozenset[date] = frozenset()
    holiday_country: str | None = None
    days_off: frozenset[date] = frozenset()
    make_up_days: frozenset[MakeUpDay] = frozenset()
    _make_up_slots: dict[date, tuple[WorkingSlot, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # fail now, not at the first clock, on a bad name
        if len(self.weekly_slots) != 7:
            raise ValueError("weekly_slots needs one entry per weekday, Monday first")
        weekly = tuple(_checked_slots(day_slots) for day_slots in self.weekly_slots)
        make_ups = frozenset(
            entry if isinstance(entry, MakeUpDay) else MakeUpDay(entry)
            for entry in self.make_up_days
        )
        make_up_slots = {
            entry.day: weekly[MONDAY] if entry.slots is None else _checked_slots(entry.slots)
            for entry in make_ups
        }
        if len(make_up_slots) != len(make_ups):
            raise ValueError("a make-up day is listed twice with different slots")
        days_off = frozenset(self.days_off)
        if clash := days_off & make_up_slots.keys():
            raise ValueError(f"dates both off and made up: {sorted(clash)}")
        # Frozen dataclass: normalising the inputs needs object.__setattr__.
        object.__setattr__(self, "weekly_slots", weekly)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "days_off", days_off)
        object.__setattr__(self, "make_up_days", make_ups)
        object.__setattr__(self, "_make_up_slots", make_up_slots)

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is an explicit or a country holiday."""
        if day in self.holidays:
            return True
        return self.holiday_country is not None and day in _country_holidays(
            self.holiday_country, day.year
        )

    def slots_on(self, day: date) -> tuple[WorkingSlot, ...]:
        """The working slots of local date ``day`` (empty when nobody works)."""
        if day in self._make_up_slots:
            return self._make_up_slots[day]
        if day in self.days_off or self.is_holiday(day):
            return ()
        if self.holiday_country is not None and day in _country_make_up_days(
            self.holiday_country, day.year
        ):
            return self.weekly_slots[MONDAY]
        return self.weekly_slots[day.weekday()]

    def working_intervals(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """UTC ``(start, end)`` intervals of working time after ``since``, in order.

        The first interval is clipped to begin at ``since``. The iterator is
        endless; it raises ``ValueError`` if no work is found for
        ``MAX_DAYS_WITHOUT_WORK`` days, so a calendar without working time
        fails loudly instead of hanging.
        """
        since = require_aware(since).astimezone(UTC)
        zone = self.zone
        # Start a day early: in zones that fall back around midnight a slot of
        # the previous local date can still end after `since`.
        day = since.astimezone(zone).date() - timedelta(days=1)
        days_without_work = 0
        while True:
            found_work = False
            for slot in self.slots_on(day):
                start = datetime.combine(day, slot.start, tzinfo=zone).astimezone(UTC)
                end = datetime.combine(day, slot.end, tzinfo=zone).astimezone(UTC)
                # A slot swallowed by a DST jump can come out empty or reversed.
                if end <= start:
                    continue
                found_work = True
                if end > since:
                    yield max(start, since), end
            days_without_work = 0 if found_work else days_without_work + 1
            if days_without_work > MAX_DAYS_WITHOUT_WORK:
                raise ValueError(f"calendar has no working time after {day.isoformat()}")
            day += timedelta(days=1)


def default_calendar(
    extra_days_off: Iterable[date] = (),
    make_up_days: Iterable[MakeUpDay | date] = (),
) -> Calendar:
    """Ho Chi Minh City's office calendar.

    Monday to Friday, 07:30-11:30 and 13:00-17:00 in the city's zone, with
    Vietnam's public holidays (Tết included) and the government's make-up
    days as the ``holidays`` package knows them, plus the admin's
    ``extra_days_off`` and ``make_up_days`` (a bare date means Monday's slots).
    """
    return Calendar(
        timezone=ZONE_NAME,
        weekly_slots=MONDAY_TO_FRIDAY_OFFICE_WEEK,
        holiday_country="VN",
        days_off=frozenset(extra_days_off),
        make_up_days=frozenset(make_up_days),
    )


def to_local(calendar: Calendar, moment: datetime) -> datetime:
    """``moment`` as an aware datetime in the calendar's time zone."""
    return require_aware(moment).astimezone(calendar.zone)


def to_local_iso(calendar: Calendar, moment: datetime) -> str:
    """ISO 8601 with offset in the calendar's zone, e.g. ``2026-11-30T16:00:00+07:00``."""
    return to_local(calendar, moment).isoformat()


def require_aware(moment: datetime) -> datetime:
    """Return ``moment``; raise ``ValueError`` if it has no UTC offset."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: SLA maths needs aware datetimes")
    return moment


def _checked_slots(slots: Iterable[tuple[time, time]]) -> tuple[WorkingSlot, ...]:
    checked = tuple(sorted(WorkingSlot(*slot) for slot in slots))
    for slot in checked:
        if slot.start >= slot.end:
            raise ValueError(f"working slot {slot} must start before it ends")
    for earlier, later in zip(checked, checked[1:], strict=False):
        if later.start < earlier.end:
            raise ValueError(f"working slots {earlier} and {later} overlap")
    return checked


@functools.lru_cache(maxsize=256)
def _country_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays_package.country_holidays(country, years=year))


@functools.lru_cache(maxsize=256)
def _country_make_up_days(country: str, year: int) -> frozenset[date]:
    # The package files a swap under the year of the day off, which can differ
    # from the year of the day worked (2 January 2015 off, 27 December 2014
    # worked), so the neighbouring years are consulted too.
    worked: set[date] = set()
    for listed_year in (year - 1, year, year + 1):
        entity = holidays_package.country_holidays(country, years=listed_year)
        worked.update(getattr(entity, "weekend_workdays", ()))
    return frozenset(day for day in worked if day.year == year)
