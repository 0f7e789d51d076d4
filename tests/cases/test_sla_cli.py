"""`flask sla due`: the admin's check of a calendar, printed in +07:00."""

from datetime import date

import pytest

from app.cases.sla import store as calendar_store


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # Friday 16:00 + one working day: one hour on Friday, seven on Monday.
        ("2026-11-27T16:00:00+07:00", 480, "2026-11-30T16:00:00+07:00"),
        # Across Tết: 16–20 February 2026 are public holidays.
        ("2026-02-13T16:00:00+07:00", 480, "2026-02-23T16:00:00+07:00"),
    ],
)
def test_due_on_the_default_calendar(runner, start, minutes, due):
    result = runner.invoke(args=["sla", "due", "--start", start, "--minutes", str(minutes)])

    assert result.exit_code == 0, result.output
    assert result.output == f"{due}\n"


def test_due_follows_the_admins_days_off(runner, app_context, create_user, inline_jobs):
    calendar = calendar_store.ensure_default_calendar()
    calendar_store.add_day(
        calendar, date(2026, 11, 30), "day_off", "Nghỉ", create_user("admin", unit_code="UBND-TP")
    )

    result = runner.invoke(
        args=["sla", "due", "--start", "2026-11-27T16:00:00+07:00", "--minutes", "480"]
    )

    assert result.output == "2026-12-01T16:00:00+07:00\n"


def test_due_around_the_clock_and_in_utc_input(runner):
    result = runner.invoke(
        args=[
            "sla",
            "due",
            "--start",
            "2026-11-27T09:00:00+00:00",
            "--minutes",
            "60",
            "--counting",
            "calendar",
        ]
    )

    assert result.output == "2026-11-27T17:00:00+07:00\n"


def test_an_unknown_calendar_is_an_error(runner):
    result = runner.invoke(
        args=[
            "sla",
            "due",
            "--start",
            "2026-11-27T16:00:00+07:00",
            "--minutes",
            "1",
            "--calendar",
            "nope",
        ]
    )

    assert result.exit_code != 0
    assert "no calendar named 'nope'" in result.output
