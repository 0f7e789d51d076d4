"""Periods of the handling-time and volume tables: local days, weeks (from Monday) and months.

Pure date arithmetic on local calendar days (app.core.time turns them into instants): no
Flask, no database.
"""

from datetime import date, timedelta

PERIODS = ("day", "week", "month")
#: The periods of the volumes table on the backlog page.
VOLUME_PERIODS = ("day", "week")
#: A table by period has at most this many rows (e.g. about three years by day).
MAX_PERIODS = 1100


def period_start(day: date, period: str) -> date:
    """The first day of the day, week (Monday) or month holding `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, period: str) -> date:
    """The first day of the period after the one starting on `start`."""
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def period_starts(first_day: date, last_day: date, period: str) -> list[date]:
    """The start of every period that the days first_day..last_day touch, oldest first (at
    most MAX_PERIODS + 1, enough to tell that a range has too many)."""
    starts, current = [], period_start(first_day, period)
    while current <= last_day and len(starts) <= MAX_PERIODS:
        starts.append(current)
        current = next_period(current, period)
    return starts
