"""Working time between many pairs of instants from one walk of a calendar.

A page of countdowns asks, for each clock, how much working time lies between now and its due
time. Walking the calendar's slots for every clock repeats the same walk; this index walks them
once, keeps the running total at the start of each slot, and answers each question with a
binary search. Pure: no Flask, no database. The answers are those of
`maths.working_seconds_between`, to the second.
"""

from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from app.cases.sla.calendars import Calendar, require_aware

_ONE_SECOND = timedelta(seconds=1)


class WorkingTimeIndex:
    """Working seconds between instants at or after `origin`, in one calendar."""

    def __init__(self, calendar: Calendar, origin: datetime):
        self.origin = require_aware(origin).astimezone(UTC)
        self._slots: Iterator[tuple[datetime, datetime]] = calendar.working_intervals(self.origin)
        self._starts: list[datetime] = []
        self._ends: list[datetime] = []
        #: Working time from the origin to the start of each slot.
        self._before: list[timedelta] = []
        self._total = timedelta(0)

    def covers(self, moment: datetime) -> bool:
        """Whether `moment` can be asked about (it is not before the origin)."""
        return moment >= self.origin

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Whole seconds of working time from `start` to `end`; negative when `end` is earlier.

        Both must be at or after the origin.
        """
        if end < start:
            return -self.seconds_between(end, start)
        return (self._since_origin(end) - self._since_origin(start)) // _ONE_SECOND

    def _since_origin(self, moment: datetime) -> timedelta:
        if moment < self.origin:
            raise ValueError(f"{moment.isoformat()} is before the index's origin")
        self._extend_to(moment)
        slot = bisect_right(self._starts, moment) - 1
        if slot < 0:
            return timedelta(0)
        return self._before[slot] + min(self._ends[slot], moment) - self._starts[slot]

    def _extend_to(self, moment: datetime) -> None:
        """Walk the calendar until a slot ends after `moment`."""
        while not self._ends or self._ends[-1] < moment:
            start, end = next(self._slots)
            self._starts.append(start)
            self._ends.append(end)
            self._before.append(self._total)
            self._total += end - start
