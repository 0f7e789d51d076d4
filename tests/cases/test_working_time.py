"""Working time counted on one walk of a calendar (the queue's countdowns) and the page's clocks."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cases.sla.calendars import Calendar, MakeUpDay, default_calendar
from app.cases.sla.maths import working_seconds_between
from app.cases.sla.working_time import WorkingTimeIndex

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR = default_calendar(
    extra_days_off=[datetime(2027, 1, 4).date()],
    make_up_days=[MakeUpDay(datetime(2027, 1, 9).date())],
)
ORIGIN = datetime(2026, 12, 20, 6, 0, tzinfo=UTC)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=HCM)


def test_the_same_seconds_as_the_calendar_walk_across_tet_and_weekends():
    index = WorkingTimeIndex(CALENDAR, local("2027-01-28 08:00"))
    pairs = [
        ("2027-01-28 08:00", "2027-01-28 08:00"),
        ("2027-01-28 10:15", "2027-01-28 14:30"),  # lunch is not counted
        ("2027-01-29 16:59", "2027-02-22 07:31"),  # a weekend, Tết 2027 and its days off
        ("2027-02-06 03:00", "2027-02-06 23:00"),  # a Saturday: nothing
        ("2027-03-01 12:00", "2027-01-30 09:00"),  # backwards: negative
    ]
    for start, end in pairs:
        expected = working_seconds_between(CALENDAR, local(start), local(end))
        assert index.seconds_between(local(start), local(end)) == expected, (start, end)
    assert index.seconds_between(local("2027-01-28 10:15"), local("2027-01-28 14:30")) == (
        75 * 60 + 90 * 60
    )


instants = st.integers(min_value=0, max_value=60 * 86400 * 1_000_000).map(
    lambda micros: ORIGIN + timedelta(microseconds=micros)
)


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(instants, instants), min_size=1, max_size=8))
def test_any_pairs_asked_in_any_order_agree_with_the_calendar(pairs):
    index = WorkingTimeIndex(CALENDAR, ORIGIN)
    for start, end in pairs:
        assert index.seconds_between(start, end) == working_seconds_between(CALENDAR, start, end)


def test_an_instant_before_the_origin_is_refused():
    index = WorkingTimeIndex(Calendar(), ORIGIN)
    assert index.covers(ORIGIN) and not index.covers(ORIGIN - timedelta(seconds=1))
    with pytest.raises(ValueError):
        index.seconds_between(ORIGIN - timedelta(hours=1), ORIGIN)
