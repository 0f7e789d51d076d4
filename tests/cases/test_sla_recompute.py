"""Changing a policy or a calendar recomputes the clocks still running, not the finished ones.

The admin saves (policies, calendar_store) only commit; whoever saves schedules the recompute
with tasks.schedule_recompute, as the admin pages do.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rq import Queue, SimpleWorker

from app.cases import operations
from app.cases.sla import store as calendar_store
from app.cases.sla.models import SlaCalendar
from app.cases.sla.policies import ordered_policies, save_policy
from app.cases.sla.tasks import schedule_recompute
from app.extensions import db

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HCMC)


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


@pytest.fixture
def p3_case(admin):
    """A P3 case opened Monday 7 December 08:00 whose verification finished at 10:00."""
    case = operations.create_case(
        admin,
        {"title": "Rác tồn đọng hẻm 42", "category": "environment", "unit": "SO-XD"},
        now=local(7, 8),
    )
    operations.transition(case, "verifying", admin, version=case.version, now=local(7, 9))
    operations.transition(case, "in_progress", admin, version=case.version, now=local(7, 10))
    return case


def _dues(case) -> dict:
    db.session.expire_all()
    return {clock.metric: (clock.due_at, clock.state) for clock in case.sla_clocks}


def _p3_form(**changes) -> dict:
    p3 = next(policy for policy in ordered_policies() if policy.priority == "P3")
    form = {
        "name": p3.name,
        "priority": "P3",
        "at_risk_percent": str(p3.at_risk_percent),
        "is_active": "on",
    }
    for metric in ("verify", "resolve", "respond"):
        minutes, counting = p3.target(metric)
        form[f"{metric}_minutes"], form[f"{metric}_counting"] = str(minutes), counting
    return p3, {**form, **changes}


def test_editing_a_policy_recomputes_running_clocks(p3_case, inline_jobs):
    before = _dues(p3_case)
    p3, form = _p3_form(resolve_minutes=str(3 * 480), verify_minutes="60")

    save_policy(p3, form)
    schedule_recompute(rematch=True)

    after = _dues(p3_case)
    assert after["resolve"] == (local(10, 8), "running")  # 3 working days, not 5
    assert after["verify"] == before["verify"]  # already met: history stays
    assert p3_case.next_due_at == local(10, 8)


def test_a_policy_change_lifts_a_warning_that_no_longer_applies(p3_case, inline_jobs):
    resolve = next(clock for clock in p3_case.sla_clocks if clock.metric == "resolve")
    resolve.warned_at = local(7, 11)
    db.session.commit()
    p3, form = _p3_form(resolve_minutes=str(50 * 480))

    # At noon that Monday: 50 working days later the clock is far from at risk (on a real
    # date weeks later it would be at risk again, and keep its warning).
    with time_machine.travel(local(7, 12), tick=False):
        save_policy(p3, form)
        schedule_recompute(rematch=True)

    db.session.refresh(resolve)
    assert resolve.warned_at is None


def test_a_day_off_moves_running_clocks_through_the_job_queue(app, p3_case, admin):
    calendar = db.session.scalar(db.select(SlaCalendar).where(SlaCalendar.name == "default"))
    before = _dues(p3_case)

    calendar_store.add_day(calendar, date(2026, 12, 9), "day_off", "Nghỉ đột xuất", admin)
    schedule_recompute(calendar_ids=[calendar.id])
    connection = app.extensions["socialbeat_redis"]
    assert Queue("default", connection=connection).count == 1
    SimpleWorker([Queue("default", connection=connection)], connection=connection).work(burst=True)

    after = _dues(p3_case)
    # Resolve was due Monday 14 December 08:00; Wednesday 9 is now off: one working day later.
    assert before["resolve"][0] == local(14, 8)
    assert after["resolve"] == (local(15, 8), "running")
    assert after["verify"] == before["verify"]


def test_a_make_up_day_brings_running_clocks_forward(p3_case, admin, inline_jobs):
    calendar = db.session.scalar(db.select(SlaCalendar).where(SlaCalendar.name == "default"))

    calendar_store.add_day(calendar, date(2026, 12, 12), "make_up", "Làm bù", admin)
    schedule_recompute(calendar_ids=[calendar.id])

    # Five working days from Monday 08:00 end half an hour into that Saturday.
    assert _dues(p3_case)["resolve"] == (local(12, 8), "running")
    assert calendar_store.calendar_by_name("default").slots_on(date(2026, 12, 12))


def test_changing_working_hours_recomputes(p3_case, inline_jobs):
    calendar = db.session.scalar(db.select(SlaCalendar).where(SlaCalendar.name == "default"))
    weekly = {day: "07:00-11:00, 13:00-17:00" if day < 6 else "" for day in range(7)}

    calendar_store.save_calendar(
        calendar,
        name="default",
        timezone="Asia/Ho_Chi_Minh",
        holiday_country="VN",
        weekly=weekly,
    )
    schedule_recompute(calendar_ids=[calendar.id])

    # Saturdays now count, so five working days end on Saturday 12 December 08:00.
    assert _dues(p3_case)["resolve"] == (local(12, 8), "running")


def test_bad_working_hours_are_refused(app_context, inline_jobs):
    calendar = calendar_store.ensure_default_calendar()

    with pytest.raises(calendar_store.CalendarError) as refused:
        calendar_store.save_calendar(
            calendar,
            name="default",
            timezone="Asia/Ho_Chi_Minh",
            holiday_country="VN",
            weekly={0: "07:30-11:30, 11:00-17:00"},
        )
    assert refused.value.field == "slots_0"
    assert "overlap" in str(refused.value)
