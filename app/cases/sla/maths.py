"""SLA clock maths: due times, warnings, elapsed and remaining time.

Pure functions over values (no Flask, no database), so services, background
scans and reports all get the same answers.

Conventions:

* Every datetime in and out is timezone-aware; results are in UTC. Use
  :func:`calendars.to_local_iso` to show one in the calendar's zone.
* A clock counts either ``"working"`` time (only inside the calendar's
  working slots) or ``"calendar"`` time (wall-clock, around the clock, e.g.
  for P1); ``calendar`` may be ``None`` in calendar mode.
* A pause is ``(paused_at, resumed_at)``. Paused time never counts, exactly
  like non-working time. An open pause (``resumed_at`` is ``None``) means
  the clock is paused now; it is treated as resuming at the ``now`` the
  caller passes, so a paused clock's due time is the earliest it can still
  be, and it moves later for as long as the pause lasts. Functions raise
  ``ValueError`` when they meet an open pause without a ``now``.
* Seconds are whole seconds (floored); amounts of time may be negative only
  where a docstring says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from app.cases.sla.calendars import Calendar, require_aware

__all__ = [
    "DEFAULT_AT_RISK_FRACTION",
    "ClockEvaluation",
    "ClockState",
    "CountingMode",
    "Pause",
    "add_working_time",
    "due_at",
    "elapsed_seconds",
    "evaluate_clock",
    "remaining_seconds",
    "warn_at",
    "working_seconds_between",
]

DEFAULT_AT_RISK_FRACTION = 0.2
Pause = tuple[datetime, datetime | None]
Interval = tuple[datetime, datetime]

_ONE_SECOND = timedelta(seconds=1)
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class CountingMode(StrEnum):
    """How a clock's target is counted."""

    WORKING = "working"
    CALENDAR = "calendar"


class ClockState(StrEnum):
    """Where a clock stands."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class ClockEvaluation:
    """A clock judged at one instant; see :func:`evaluate_clock`."""

    state: ClockState
    at_risk: bool
    due_at: datetime
    warn_at: datetime
    elapsed_seconds: int
    remaining_seconds: int


def add_working_time(calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """The UTC instant at which ``seconds`` of working time have passed since ``start``.

    Counting begins at ``start`` if it is inside a working slot, otherwise at
    the next slot. A target that ends exactly with a slot gives that slot's
    end (17:00, not the next morning). Zero seconds gives ``start`` itself.
    """
    return due_at(start, seconds, CountingMode.WORKING, calendar)


def working_seconds_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Whole seconds of working time between ``start`` and ``end``.

    Negative when ``end`` is before ``start``.
    """
    if require_aware(end) < require_aware(start):
        return -working_seconds_between(calendar, end, start)
    return _whole_seconds(_measure(calendar.working_intervals(start), end))


def due_at(
    started_at: datetime,
    target_seconds: float,
    mode: CountingMode | str,
    calendar: Calendar | None = None,
    *,
    pauses: Iterable[Pause] = (),
    now: datetime | None = None,
) -> datetime:
    """The UTC instant at which the clock has counted ``target_seconds``.

    Paused time does not count, so a pause moves the due time later by the
    working (or wall-clock) time it covered. ``now`` closes open pauses.
    """
    if target_seconds < 0:
        raise ValueError("target_seconds must not be negative")
    started_at = require_aware(started_at).astimezone(UTC)
    if target_seconds == 0:
        return started_at
    intervals = _counting_intervals(started_at, mode, calendar, pauses, now)
    left = timedelta(seconds=target_seconds)
    for interval_start, interval_end in intervals:
        length = interval_end - interval_start
        if left <= length:
            return interval_start + left
        left -= length
    raise AssertionError("counting intervals are endless")  # pragma: no cover


def warn_at(
    started_at: datetime,
    target_seconds: float,
    mode: CountingMode | str,
    calendar: Calendar | None = None,
    *,
    pauses: Iterable[Pause] = (),
    now: datetime | None = None,
    at_risk_fraction: float = DEFAULT_AT_RISK_FRACTION,
) -> datetime:
    """The UTC instant from which only ``at_risk_fraction`` of the target remains.

    With the default 0.2 that is when 80 % has elapsed. Pauses count as in
    :func:`due_at`. Stored next to the due time, it lets a database scan mark
    clocks at risk with a plain comparison.
    """
    if not 0 <= at_risk_fraction <= 1:
        raise ValueError("at_risk_fraction must be between 0 and 1")
    # Rounding keeps float noise (480 * 60 * 0.8 = 23040.000000000004) out.
    elapsed_at_warning = target_seconds - round(target_seconds * at_risk_fraction)
    return due_at(started_at, max(elapsed_at_warning, 0), mode, calendar, pauses=pauses, now=now)


def elapsed_seconds(
    started_at: datetime,
    until: datetime,
    mode: CountingMode | str,
    calendar: Calendar | None = None,
    *,
    pauses: Iterable[Pause] = (),
) -> int:
    """Whole seconds the clock counted from ``started_at`` to ``until``.

    Paused time is left out; an open pause lasts until ``until``. Zero when
    ``until`` is not after ``started_at``.
    """
    started_at = require_aware(started_at).astimezone(UTC)
    until = require_aware(until).astimezone(UTC)
    if until <= started_at:
        return 0
    intervals = _counting_intervals(started_at, mode, calendar, pauses, now=until)
    return _whole_seconds(_measure(intervals, until))


def remaining_seconds(
    started_at: datetime,
    target_seconds: float,
    mode: CountingMode | str,
    calendar: Calendar | None = None,
    *,
    pauses: Iterable[Pause] = (),
    now: datetime,
) -> int:
    """Whole seconds of the target left at ``now``; negative once overdue.

    In working mode only working time past the due time makes it negative,
    so it can be 0 for a clock that is already breached at night.
    """
    elapsed = elapsed_seconds(started_at, now, mode, calendar, pauses=pauses)
    return int(target_seconds) - elapsed


def evaluate_clock(
    started_at: datetime,
    target_seconds: float,
    mode: CountingMode | str,
    calendar: Calendar | None = None,
    *,
    pauses: Iterable[Pause] = (),
    stopped_at: datetime | None = None,
    now: datetime,
    at_risk_fraction: float = DEFAULT_AT_RISK_FRACTION,
) -> ClockEvaluation:
    """Judge a clock at ``now``.

    * stopped clock: ``met`` if stopped at or before the due time, else
      ``breached``;
    * running clock past its due time: ``breached``, even while paused,
      since the breach already happened;
    * otherwise ``paused`` if a pause covers ``now``, else ``running``.

    A breach is judged by instants (``now`` > due time), like a database
    scan comparing the stored due time with the clock, not by remaining
    working seconds. ``at_risk`` is true for running or paused clocks whose
    warning time has come. A stopped clock is judged at ``stopped_at``: open
    pauses end there.
    """
    pauses = tuple(pauses)
    judged_at = require_aware(now if stopped_at is None else stopped_at)
    clock = (started_at, target_seconds, mode, calendar)
    due = due_at(*clock, pauses=pauses, now=judged_at)
    warning = warn_at(*clock, pauses=pauses, now=judged_at, at_risk_fraction=at_risk_fraction)
    elapsed = elapsed_seconds(started_at, judged_at, mode, calendar, pauses=pauses)
    if stopped_at is not None:
        state = ClockState.MET if stopped_at <= due else ClockState.BREACHED
    elif now > due:
        state = ClockState.BREACHED
    elif _is_paused(pauses, now):
        state = ClockState.PAUSED
    else:
        state = ClockState.RUNNING
    at_risk = state in (ClockState.RUNNING, ClockState.PAUSED) and now >= warning
    return ClockEvaluation(
        state=state,
        at_risk=at_risk,
        due_at=due,
        warn_at=warning,
        elapsed_seconds=elapsed,
        remaining_seconds=int(target_seconds) - elapsed,
    )


def _counting_intervals(
    started_at: datetime,
    mode: CountingMode | str,
    calendar: Calendar | None,
    pauses: Iterable[Pause],
    now: datetime | None,
) -> Iterator[Interval]:
    """UTC intervals in which the clock counts, from ``started_at`` on, endless."""
    mode = CountingMode(mode)
    if mode is CountingMode.WORKING:
        if calendar is None:
            raise ValueError("working-time clocks need a calendar")
        base = calendar.working_intervals(started_at)
    else:
        base = iter([(started_at, _END_OF_TIME)])
    return _without(base, _merged_pauses(pauses, now))


def _merged_pauses(pauses: Iterable[Pause], now: datetime | None) -> list[Interval]:
    closed = []
    for paused_at, resumed_at in pauses:
        if resumed_at is None:
            if now is None:
                raise ValueError("an open pause needs `now` to say how long it has lasted")
            resumed_at = now
        start = require_aware(paused_at).astimezone(UTC)
        end = require_aware(resumed_at).astimezone(UTC)
        if end > start:
            closed.append((start, end))
    merged: list[Interval] = []
    for start, end in sorted(closed):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _without(intervals: Iterator[Interval], holes: list[Interval]) -> Iterator[Interval]:
    """``intervals`` minus ``holes``; both sorted, holes disjoint."""
    next_hole = 0
    for start, end in intervals:
        while next_hole < len(holes) and holes[next_hole][1] <= start:
            next_hole += 1
        # Several holes can fall inside one interval (several pauses a day).
        hole = next_hole
        while hole < len(holes) and holes[hole][0] < end:
            hole_start, hole_end = holes[hole]
            if hole_start > start:
                yield start, hole_start
            start = max(start, hole_end)
            if start >= end:
                break
            hole += 1
        if start < end:
            yield start, end


def _measure(intervals: Iterator[Interval], until: datetime) -> timedelta:
    until = require_aware(until).astimezone(UTC)
    total = timedelta(0)
    for start, end in intervals:
        if start >= until:
            break
        total += min(end, until) - start
    return total


def _is_paused(pauses: tuple[Pause, ...], moment: datetime) -> bool:
    return any(
        paused_at <= moment and (resumed_at is None or moment < resumed_at)
        for paused_at, resumed_at in pauses
    )


def _whole_seconds(amount: timedelta) -> int:
    return amount // _ONE_SECOND
