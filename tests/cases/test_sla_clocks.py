"""SLA clocks follow the workflow: started, paused by `waiting`, stopped, restarted per cycle."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.cases import moves, operations
from app.cases.operations import CaseError
from app.cases.sla.calendars import default_calendar
from app.cases.sla.maths import add_working_time
from app.cases.sla.policies import delete_policy, move_policy, ordered_policies, save_policy

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
#: Monday 7 December 2026, 08:00 in Ho Chi Minh City: an ordinary working day.
MONDAY_8AM = datetime(2026, 12, 7, 8, 0, tzinfo=HCMC)
HOUR = 3600


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HCMC)


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


@pytest.fixture
def open_case(admin):
    def factory(at=MONDAY_8AM, **values):
        data = {"title": "Cống thoát nước bị tắc", "category": "flooding", "unit": "SO-XD"}
        return operations.create_case(admin, {**data, **values}, now=at)

    return factory


@pytest.fixture
def move(admin):
    def do(case, to, at, **extra):
        return operations.transition(case, to, admin, version=case.version, now=at, **extra)

    return do


def clock(case, metric, cycle=None):
    cycle = cycle or case.cycle
    return next(c for c in case.sla_clocks if c.metric == metric and c.cycle == cycle)


def test_a_new_case_starts_the_clocks_of_its_priority(open_case):
    case = open_case(priority="P3")

    assert {(c.metric, c.cycle, c.state) for c in case.sla_clocks} == {
        ("verify", 1, "running"),
        ("resolve", 1, "running"),
        ("respond", 1, "running"),
    }
    # P3: one working day to verify, five (the hotline's promise) to resolve.
    assert clock(case, "verify").due_at == local(8, 8)
    assert clock(case, "resolve").due_at == local(14, 8)
    assert case.next_due_at == local(8, 8)


def test_p1_counts_around_the_clock(open_case):
    case = open_case(at=local(12, 22), priority="P1")  # Saturday night

    assert clock(case, "verify").due_at == local(12, 23)
    assert clock(case, "resolve").due_at == local(13, 22)


def test_waiting_two_working_hours_moves_the_verify_due_time_two_working_hours(open_case, move):
    waited, straight = open_case(), open_case()
    for case in (waited, straight):
        move(case, "verifying", local(7, 8, 30))
    move(waited, "waiting", local(7, 11))
    # 11:00–11:30 and 13:00–14:30: two working hours, the lunch break does not count.
    move(waited, "verifying", local(7, 14, 30))

    verify = clock(waited, "verify")
    expected = add_working_time(default_calendar(), clock(straight, "verify").due_at, 2 * HOUR)
    assert verify.due_at == expected == local(8, 10)
    assert verify.paused_seconds == 2 * HOUR
    assert verify.state == "running"
    assert waited.status == "verifying"


def test_waiting_pauses_every_running_clock(open_case, move):
    case = open_case()
    move(case, "verifying", local(7, 9))
    move(case, "in_progress", local(7, 10))
    resolve_due = clock(case, "resolve").due_at
    move(case, "waiting", local(7, 10))

    assert {c.metric: c.state for c in case.sla_clocks} == {
        "verify": "met",
        "resolve": "paused",
        "respond": "paused",
    }
    move(case, "in_progress", local(8, 10))  # a whole working day later

    assert clock(case, "resolve").due_at == add_working_time(
        default_calendar(), resolve_due, 8 * HOUR
    )
    assert clock(case, "resolve").paused_seconds == 8 * HOUR
    assert clock(case, "verify").paused_seconds == 0


def test_a_case_waiting_during_verification_goes_back_to_verification(open_case, move):
    case = open_case()
    move(case, "verifying", local(7, 9))
    move(case, "waiting", local(7, 10))

    with pytest.raises(CaseError) as refused:
        move(case, "in_progress", local(7, 11))
    assert refused.value.code == "illegal_transition"
    move(case, "verifying", local(7, 11))
    assert case.status_before_waiting is None


def test_verification_done_stops_the_verify_clock(open_case, move):
    on_time, late = open_case(), open_case()
    for case in (on_time, late):
        move(case, "verifying", local(7, 9))
    move(on_time, "in_progress", local(7, 16))
    move(late, "in_progress", local(8, 9))

    assert (clock(on_time, "verify").state, clock(late, "verify").state) == ("met", "breached")
    assert clock(on_time, "verify").stopped_at == local(7, 16)
    assert clock(on_time, "verify").elapsed_seconds == 6 * HOUR + 30 * 60
    assert clock(late, "verify").breached_at == local(8, 9)
    assert clock(late, "resolve").state == "running"


def test_rejecting_ends_verification_and_cancels_the_rest(open_case, move):
    case = open_case()
    move(case, "rejected", local(7, 10), reject_reason="spam")

    assert {c.metric: c.state for c in case.sla_clocks} == {
        "verify": "met",
        "resolve": "cancelled",
        "respond": "cancelled",
    }
    assert case.next_due_at is None


def test_resolving_and_responding_stop_their_clocks(open_case, move):
    case = open_case()
    for step, hour in (("verifying", 9), ("in_progress", 10), ("resolved", 15)):
        move(case, step, local(7, hour))
    move(case, "responded", local(7, 16), public_response="Đã nạo vét cống.")

    assert {c.metric: c.state for c in case.sla_clocks} == {
        "verify": "met",
        "resolve": "met",
        "respond": "met",
    }
    assert clock(case, "respond").stopped_at == local(7, 16)


def test_reopening_starts_a_new_cycle(open_case, move):
    case = open_case()
    for step, hour in (("verifying", 9), ("in_progress", 10), ("resolved", 11)):
        move(case, step, local(7, hour))
    move(case, "in_progress", local(9, 8))  # reopened before the response went out

    assert case.cycle == 2
    assert clock(case, "respond", cycle=1).state == "cancelled"
    assert {(c.metric, c.state) for c in case.sla_clocks if c.cycle == 2} == {
        ("resolve", "running"),
        ("respond", "running"),
    }
    assert clock(case, "resolve", cycle=2).started_at == local(9, 8)
    assert clock(case, "resolve", cycle=2).due_at == local(16, 8)


def test_reopening_a_rejected_case_restarts_verification(open_case, move):
    case = open_case()
    move(case, "rejected", local(7, 9), reject_reason="out_of_scope")
    move(case, "verifying", local(7, 10))

    assert sorted(c.metric for c in case.sla_clocks if c.cycle == 2) == [
        "resolve",
        "respond",
        "verify",
    ]


def test_a_transfer_keeps_the_deadlines(open_case, move, unit_by_code, admin):
    case = open_case()
    move(case, "verifying", local(7, 9))
    move(case, "in_progress", local(7, 10))
    due = clock(case, "resolve").due_at

    moves.transfer(
        case, unit_by_code("27478"), admin, "Thuộc thẩm quyền phường", version=case.version
    )

    assert clock(case, "resolve").due_at == due


def test_the_first_matching_policy_wins(open_case, inline_jobs):
    flood_policy = save_policy(
        None,
        {
            "name": "Ngập nước: xử lý nhanh",
            "category": "flooding",
            "resolve_minutes": "120",
            "resolve_counting": "calendar",
            "at_risk_percent": "25",
            "is_active": "on",
        },
    )
    while ordered_policies()[0] is not flood_policy:
        move_policy(flood_policy, -1)

    flood = open_case(category="flooding")
    traffic = open_case(category="traffic")

    assert [c.metric for c in flood.sla_clocks] == ["resolve"]
    assert clock(flood, "resolve").due_at == MONDAY_8AM + timedelta(hours=2)
    assert clock(flood, "resolve").at_risk_percent == 25
    assert len(traffic.sla_clocks) == 3


def test_without_a_matching_policy_there_is_no_clock(open_case, inline_jobs):
    for policy in ordered_policies():
        if policy.priority == "P4":
            delete_policy(policy)

    assert open_case(priority="P4").sla_clocks == []
    assert open_case(priority="P4").next_due_at is None
