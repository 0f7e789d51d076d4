"""SLA clock maths: calendars, working time, pauses, warnings and clock states."""

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cases.sla.calendars import Calendar, MakeUpDay, default_calendar, to_local_iso
from app.cases.sla.maths import (
    ClockState,
    add_working_time,
    due_at,
    elapsed_seconds,
    evaluate_clock,
    remaining_seconds,
    warn_at,
    working_seconds_between,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
HOUR = 3600
WORKING_DAY = 8 * HOUR
CALENDAR = default_calendar()
# Same week, no holidays: isolates the slot arithmetic from the holidays package.
PLAIN_WEEK = Calendar()


def local(text: str) -> datetime:
    """An aware datetime from ISO text without offset, in Ho Chi Minh City."""
    return datetime.fromisoformat(text).replace(tzinfo=HCM)


def local_due(calendar: Calendar, start: str, seconds: int) -> str:
    return to_local_iso(calendar, add_working_time(calendar, local(start), seconds))


# --- the cases from the issue -------------------------------------------------


def test_friday_afternoon_plus_one_working_day_is_monday_afternoon():
    start = datetime.fromisoformat("2026-11-27T16:00:00+07:00")
    due = add_working_time(CALENDAR, start, 480 * 60)
    assert to_local_iso(CALENDAR, due) == "2026-11-30T16:00:00+07:00"
    assert due.tzinfo is UTC


def test_tet_2026_holidays_are_skipped():
    start = datetime.fromisoformat("2026-02-13T16:00:00+07:00")
    due = add_working_time(CALENDAR, start, 480 * 60)
    assert to_local_iso(CALENDAR, due) == "2026-02-23T16:00:00+07:00"


def test_tet_2026_break_is_monday_to_friday():
    tet_week = [date(2026, 2, 16) + timedelta(days=n) for n in range(5)]
    assert all(CALENDAR.slots_on(day) == () for day in tet_week)
    assert CALENDAR.slots_on(date(2026, 2, 23)) != ()


# --- slots, lunch break, weekends ---------------------------------------------


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        ("2026-12-07T11:00", HOUR, "2026-12-07T13:30:00+07:00"),  # across lunch
        ("2026-12-07T12:00", HOUR // 2, "2026-12-07T13:30:00+07:00"),  # starts at lunch
        ("2026-12-07T06:00", HOUR, "2026-12-07T08:30:00+07:00"),  # before opening
        ("2026-12-07T07:30", WORKING_DAY, "2026-12-07T17:00:00+07:00"),  # ends with a slot
        ("2026-12-04T17:30", HOUR, "2026-12-07T08:30:00+07:00"),  # Friday evening
        ("2026-12-05T10:00", HOUR, "2026-12-07T08:30:00+07:00"),  # Saturday
        ("2026-12-06T23:59", 60, "2026-12-07T07:31:00+07:00"),  # Sunday night
        ("2026-12-07T09:00", 0, "2026-12-07T09:00:00+07:00"),
        ("2026-12-05T09:00", 0, "2026-12-05T09:00:00+07:00"),  # nothing to count
    ],
)
def test_working_slots_lunch_and_weekend(start, seconds, expected):
    assert local_due(CALENDAR, start, seconds) == expected


def test_working_seconds_between_skips_lunch_nights_and_weekends():
    assert (
        working_seconds_between(CALENDAR, local("2026-12-07T11:00"), local("2026-12-07T13:30"))
        == HOUR
    )
    friday_to_monday = (local("2026-12-04T16:00"), local("2026-12-07T09:30"))
    assert working_seconds_between(CALENDAR, *friday_to_monday) == 3 * HOUR
    assert working_seconds_between(CALENDAR, *reversed(friday_to_monday)) == -3 * HOUR


def test_make_up_saturday_uses_monday_slots():
    saturday = date(2026, 12, 5)
    calendar = default_calendar(make_up_days=[saturday])
    assert local_due(calendar, "2026-12-04T16:00", 2 * HOUR) == "2026-12-05T08:30:00+07:00"
    assert local_due(calendar, "2026-12-05T11:00", HOUR) == "2026-12-05T13:30:00+07:00"


def test_make_up_day_with_its_own_slots():
    morning_only = MakeUpDay(date(2026, 12, 5), slots=((time(8), time(12)),))
    calendar = default_calendar(make_up_days=[morning_only])
    assert local_due(calendar, "2026-12-04T16:00", 5 * HOUR) == "2026-12-05T12:00:00+07:00"
    assert local_due(calendar, "2026-12-04T16:00", 6 * HOUR) == "2026-12-07T08:30:00+07:00"
    assert local_due(calendar, "2026-12-04T16:00", 2 * HOUR) == "2026-12-05T09:00:00+07:00"


def test_admin_day_off_is_skipped():
    calendar = default_calendar(extra_days_off=[date(2026, 11, 30)])
    assert local_due(calendar, "2026-11-27T16:00", 480 * 60) == "2026-12-01T16:00:00+07:00"


def test_make_up_day_known_to_holidays_package_is_worked():
    # 2026: Monday 31 August off in exchange for working Saturday 22 August.
    assert CALENDAR.slots_on(date(2026, 8, 31)) == ()
    assert CALENDAR.slots_on(date(2026, 8, 22)) == CALENDAR.weekly_slots[0]
    assert local_due(CALENDAR, "2026-08-21T16:00", 2 * HOUR) == "2026-08-22T08:30:00+07:00"
    # An admin day off beats the package's make-up day.
    calendar = default_calendar(extra_days_off=[date(2026, 8, 22)])
    assert local_due(calendar, "2026-08-21T16:00", 2 * HOUR) == "2026-08-24T08:30:00+07:00"


def test_explicit_holidays_of_a_custom_calendar():
    calendar = Calendar(holidays={date(2026, 12, 7)})
    assert local_due(calendar, "2026-12-04T16:00", 2 * HOUR) == "2026-12-08T08:30:00+07:00"
    assert calendar.is_holiday(date(2026, 12, 7))
    assert not calendar.is_holiday(date(2026, 12, 25))  # no country: nothing else


def test_holidays_of_any_year_are_found():
    # New Year 2061 is a Saturday, so the Monday after is the day off in lieu.
    assert CALENDAR.is_holiday(date(2061, 1, 1))
    assert CALENDAR.slots_on(date(2061, 1, 3)) == ()
    assert CALENDAR.slots_on(date(2061, 1, 4)) == CALENDAR.weekly_slots[1]


def test_long_target_walks_days_not_minutes():
    start = local("2026-01-05T07:30")  # a Monday
    began = stopwatch.perf_counter()
    due = add_working_time(PLAIN_WEEK, start, 30 * WORKING_DAY)
    assert stopwatch.perf_counter() - began < 0.5
    assert to_local_iso(PLAIN_WEEK, due) == "2026-02-13T17:00:00+07:00"  # six full weeks
    assert add_working_time(CALENDAR, start, 250 * WORKING_DAY).year == 2027


def test_daylight_saving_days_count_real_hours():
    berlin = Calendar(timezone="Europe/Berlin", weekly_slots=(((time(1), time(4)),),) * 7)
    spring = datetime(2026, 3, 29, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    autumn = datetime(2026, 10, 25, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert working_seconds_between(berlin, spring, spring + timedelta(days=1)) == 2 * HOUR
    assert working_seconds_between(berlin, autumn, autumn + timedelta(days=1)) == 4 * HOUR
    assert to_local_iso(berlin, add_working_time(berlin, spring, 2 * HOUR)) == (
        "2026-03-29T04:00:00+02:00"
    )


# --- pauses, warnings, clocks -------------------------------------------------


def test_two_working_hour_pause_moves_due_by_two_working_hours():
    start = local("2026-12-07T07:30")
    unpaused = due_at(start, 2 * WORKING_DAY, "working", CALENDAR)
    # 10:30-14:00 covers 10:30-11:30 and 13:00-14:00: two working hours.
    pause = (local("2026-12-07T10:30"), local("2026-12-07T14:00"))
    paused = due_at(start, 2 * WORKING_DAY, "working", CALENDAR, pauses=[pause])
    assert working_seconds_between(CALENDAR, unpaused, paused) == 2 * HOUR
    assert paused == add_working_time(CALENDAR, unpaused, 2 * HOUR)
    assert to_local_iso(CALENDAR, paused) == "2026-12-09T09:30:00+07:00"


def test_pause_outside_working_time_changes_nothing():
    start = local("2026-12-07T07:30")
    overnight = (local("2026-12-07T17:00"), local("2026-12-08T07:30"))
    assert due_at(start, WORKING_DAY + HOUR, "working", CALENDAR, pauses=[overnight]) == (
        add_working_time(CALENDAR, start, WORKING_DAY + HOUR)
    )


def test_open_pause_resumes_at_now():
    start = local("2026-12-07T07:30")
    open_pause = [(local("2026-12-07T08:30"), None)]
    with pytest.raises(ValueError, match="open pause"):
        due_at(start, 2 * HOUR, "working", CALENDAR, pauses=open_pause)
    due = due_at(
        start, 2 * HOUR, "working", CALENDAR, pauses=open_pause, now=local("2026-12-07T10:00")
    )
    assert to_local_iso(CALENDAR, due) == "2026-12-07T11:00:00+07:00"


def test_calendar_mode_runs_around_the_clock():
    start = local("2026-02-14T22:00")  # Saturday night, in Tết
    assert due_at(start, 4 * HOUR, "calendar") == start + timedelta(hours=4)
    pause = (local("2026-02-14T23:00"), local("2026-02-15T00:30"))
    assert due_at(start, 4 * HOUR, "calendar", CALENDAR, pauses=[pause]) == (
        start + timedelta(hours=5, minutes=30)
    )


def test_warning_comes_at_eighty_percent():
    start = local("2026-12-07T07:30")
    warning = warn_at(start, 480 * 60, "working", CALENDAR)
    assert to_local_iso(CALENDAR, warning) == "2026-12-07T15:24:00+07:00"  # 6 h 24 min in
    half = warn_at(start, 480 * 60, "working", CALENDAR, at_risk_fraction=0.5)
    assert to_local_iso(CALENDAR, half) == "2026-12-07T11:30:00+07:00"


def test_elapsed_and_remaining_exclude_pauses_and_go_negative():
    start = local("2026-12-07T07:30")
    pause = [(local("2026-12-07T08:00"), local("2026-12-07T09:00"))]
    now = local("2026-12-07T10:00")
    assert elapsed_seconds(start, now, "working", CALENDAR, pauses=pause) == int(1.5 * HOUR)
    assert remaining_seconds(start, 2 * HOUR, "working", CALENDAR, pauses=pause, now=now) == (
        HOUR // 2
    )
    overdue = local("2026-12-07T14:00")  # 3 h before lunch, 1 h after
    assert remaining_seconds(start, 2 * HOUR, "working", CALENDAR, pauses=pause, now=overdue) == (
        -2 * HOUR
    )
    assert elapsed_seconds(start, start - timedelta(hours=1), "calendar") == 0


@pytest.mark.parametrize(
    ("now", "pauses", "stopped_at", "state", "at_risk"),
    [
        ("2026-12-07T09:00", [], None, ClockState.RUNNING, False),
        ("2026-12-07T11:00", [], None, ClockState.RUNNING, True),  # 3.5 of 4 h used
        ("2026-12-07T09:30", [("2026-12-07T09:00", None)], None, ClockState.PAUSED, False),
        ("2026-12-07T11:15", [("2026-12-07T11:10", None)], None, ClockState.PAUSED, True),
        ("2026-12-07T11:30", [], None, ClockState.RUNNING, True),  # exactly due
        ("2026-12-07T12:00", [], None, ClockState.BREACHED, False),  # lunch after due
        ("2026-12-07T12:00", [("2026-12-07T11:45", None)], None, ClockState.BREACHED, False),
        ("2026-12-08T09:00", [], "2026-12-07T11:30", ClockState.MET, False),
        ("2026-12-08T09:00", [], "2026-12-07T13:01", ClockState.BREACHED, False),
        (
            "2026-12-08T09:00",
            [("2026-12-07T08:00", "2026-12-07T13:30")],
            "2026-12-07T13:30",
            ClockState.MET,
            False,
        ),
    ],
)
def test_evaluate_clock_states(now, pauses, stopped_at, state, at_risk):
    pauses = [(local(start), end and local(end)) for start, end in pauses]
    evaluation = evaluate_clock(
        local("2026-12-07T07:30"),
        4 * HOUR,
        "working",
        CALENDAR,
        pauses=pauses,
        stopped_at=stopped_at and local(stopped_at),
        now=local(now),
    )
    assert (evaluation.state, evaluation.at_risk) == (state, at_risk)
    assert evaluation.remaining_seconds == 4 * HOUR - evaluation.elapsed_seconds


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="naive"):
        add_working_time(CALENDAR, datetime(2026, 12, 7, 9), HOUR)
    with pytest.raises(ValueError, match="overlap"):
        Calendar(weekly_slots=(((time(8), time(12)), (time(11), time(13))),) * 7)
    with pytest.raises(ValueError, match="off and made up"):
        default_calendar(extra_days_off=[date(2026, 12, 5)], make_up_days=[date(2026, 12, 5)])
    with pytest.raises(ValueError, match="calendar"):
        due_at(local("2026-12-07T09:00"), HOUR, "working")
    with pytest.raises(ValueError):
        due_at(local("2026-12-07T09:00"), HOUR, "sometimes", CALENDAR)
    with pytest.raises(ValueError, match="no working time"):
        add_working_time(Calendar(weekly_slots=((),) * 7), local("2026-12-07T09:00"), 1)


def test_calendars_are_hashable_values():
    assert hash(default_calendar()) == hash(default_calendar())
    assert default_calendar([date(2026, 12, 1)]) != default_calendar()


# --- properties -------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)

starts = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 3, 1), timezones=st.just(HCM)
)
targets = st.integers(min_value=0, max_value=15 * WORKING_DAY)
modes = st.sampled_from(["working", "calendar"])
pause_lists = st.lists(
    st.tuples(
        st.integers(min_value=-2 * 24 * HOUR, max_value=20 * 24 * HOUR),  # offset from start
        st.integers(min_value=0, max_value=3 * 24 * HOUR),  # length
    ),
    max_size=3,
)


def as_pauses(start: datetime, offsets_and_lengths) -> list:
    return [
        (start + timedelta(seconds=offset), start + timedelta(seconds=offset + length))
        for offset, length in offsets_and_lengths
    ]


@PROPERTY_SETTINGS
@given(start=starts, target=targets, mode=modes, pauses=pause_lists)
def test_pausing_never_makes_due_earlier(start, target, mode, pauses):
    unpaused = due_at(start, target, mode, CALENDAR)
    paused = due_at(start, target, mode, CALENDAR, pauses=as_pauses(start, pauses))
    assert paused >= unpaused


@PROPERTY_SETTINGS
@given(start=starts, targets=st.tuples(targets, targets), mode=modes, pauses=pause_lists)
def test_longer_target_never_gives_earlier_due(start, targets, mode, pauses):
    shorter, longer = sorted(targets)
    pauses = as_pauses(start, pauses)
    assert due_at(start, shorter, mode, CALENDAR, pauses=pauses) <= due_at(
        start, longer, mode, CALENDAR, pauses=pauses
    )


@PROPERTY_SETTINGS
@given(start=starts, seconds=targets)
def test_add_then_measure_round_trips(start, seconds):
    due = add_working_time(CALENDAR, start, seconds)
    assert working_seconds_between(CALENDAR, start, due) == seconds


@PROPERTY_SETTINGS
@given(start=starts, target=targets, mode=modes, pauses=pause_lists)
def test_elapsed_at_due_time_is_the_target_and_warning_comes_first(start, target, mode, pauses):
    pauses = as_pauses(start, pauses)
    due = due_at(start, target, mode, CALENDAR, pauses=pauses)
    assert elapsed_seconds(start, due, mode, CALENDAR, pauses=pauses) == target
    assert warn_at(start, target, mode, CALENDAR, pauses=pauses) <= due


@PROPERTY_SETTINGS
@given(start=starts, target=targets, pauses=pause_lists)
def test_calendar_mode_ignores_the_calendar(start, target, pauses):
    pauses = as_pauses(start, pauses)
    night_shift = Calendar(timezone="UTC", weekly_slots=(((time(22), time(23)),),) * 7)
    due = due_at(start, target, "calendar", None, pauses=pauses)
    assert due == due_at(start, target, "calendar", CALENDAR, pauses=pauses)
    assert due == due_at(start, target, "calendar", night_shift, pauses=pauses)
    if not pauses:
        assert due == start + timedelta(seconds=target)
