"""The city's time zone, and the local days that filters, periods and reports count in.

Times are stored in UTC and shown in Ho Chi Minh City's time (UTC+7, no daylight saving).
This module is the one place that names the zone. Pure Python: no Flask, no database.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

#: The IANA name of the city's zone (the default of calendars, report schedules, settings).
ZONE_NAME = "Asia/Ho_Chi_Minh"
#: The city's zone.
HCMC = ZoneInfo(ZONE_NAME)


def local_date(moment: datetime) -> date:
    """The local calendar day of an aware `moment`."""
    return moment.astimezone(HCMC).date()


def local_midnight(day: date) -> datetime:
    """The start of a local day, as an aware time in the city's zone."""
    return datetime.combine(day, time(0), tzinfo=HCMC)


def local_midnight_utc(day: date) -> datetime:
    """The start of a local day, in UTC."""
    return local_midnight(day).astimezone(UTC)


def as_local(moment: datetime) -> datetime:
    """`moment` with a zone: a naive time is read as local time, an aware one is kept."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=HCMC)
