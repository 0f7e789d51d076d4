"""The minute-by-minute scan: at risk, then breached, once each; escalation in the app and by email."""

import re
import smtplib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rq import Queue, SimpleWorker

from app.cases import operations
from app.cases.models import CaseEvent
from app.cases.sla.escalation import scan
from app.cases.sla.tasks import scan_sla_clocks
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.tasks import dispatch_notification_emails

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HCMC)


@pytest.fixture
def people(create_user):
    return {
        "admin": create_user("admin", unit_code="UBND-TP"),
        "officer": create_user("officer", unit_code="SO-XD", email="an@soxd.test"),
        "supervisor": create_user("supervisor", unit_code="SO-XD", email="quan@soxd.test"),
        "other_supervisor": create_user("supervisor", unit_code="SO-YT"),
    }


@pytest.fixture
def assigned_case(people):
    def factory(at, priority="P3"):
        with time_machine.travel(at, tick=False):
            case = operations.create_case(
                people["admin"],
                {
                    "title": "Ngập sâu đường Nguyễn Hữu Cảnh",
                    "category": "flooding",
                    "unit": "SO-XD",
                    "priority": priority,
                },
            )
            # The officer takes it: no assignment notification besides the deadline ones.
            operations.assign(case, people["officer"], people["officer"], version=case.version)
        return case

    return factory


def sla_events(case) -> list[tuple[str, str]]:
    db.session.expire_all()
    events = db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    return [(e.kind, e.to_value) for e in events if e.kind.startswith("sla_")]


def run_scan_twice(at: datetime) -> list[dict]:
    with time_machine.travel(at, tick=False):
        return [scan_sla_clocks(), scan_sla_clocks()]


def test_at_risk_then_breached_once_each_and_escalated_once(
    assigned_case, people, outbox, inline_jobs
):
    # P3, opened Monday 08:00: verification due Tuesday 08:00, at risk from Monday 15:54.
    case = assigned_case(local(7, 8))

    first, again = run_scan_twice(local(7, 15, 50))
    assert (first["at_risk"], first["breached"]) == (0, 0)
    assert sla_events(case) == [] and outbox == []

    first, again = run_scan_twice(local(7, 16))
    assert (first["at_risk"], first["breached"], first["notifications"]) == (1, 0, 2)
    assert (again["at_risk"], again["breached"], again["notifications"]) == (0, 0, 0)
    assert sla_events(case) == [("sla_at_risk", "verify")]
    assert sorted(message["To"] for message in outbox) == ["an@soxd.test", "quan@soxd.test"]

    first, again = run_scan_twice(local(8, 8, 1))
    assert (first["at_risk"], first["breached"]) == (0, 1)
    assert again == {"at_risk": 0, "breached": 0, "notifications": 0}
    assert sla_events(case) == [("sla_at_risk", "verify"), ("sla_breached", "verify")]
    subjects = sorted(message["Subject"] for message in outbox)
    assert len(outbox) == 4
    assert sum("Trễ hạn" in subject for subject in subjects) == 2
    assert case.code in outbox[-1].get_content()
    assert f"https://socialbeat.test/cases/{case.id}" in outbox[-1].get_content()

    with time_machine.travel(local(8, 9), tick=False):
        dispatch_notification_emails()
    assert len(outbox) == 4
    clock = next(c for c in case.sla_clocks if c.metric == "verify")
    assert clock.state == "breached" and clock.warned_at == local(7, 16)


def test_only_the_units_supervisors_and_the_assignee_hear_of_it(assigned_case, people, inline_jobs):
    assigned_case(local(7, 8))

    run_scan_twice(local(7, 16))

    recipients = {n.user_id for n in db.session.scalars(db.select(Notification))}
    assert recipients == {people["officer"].id, people["supervisor"].id}


def test_notifications_wait_for_working_hours(assigned_case, people, outbox, inline_jobs):
    # Opened Friday 11 December 16:00: verification due Monday 16:00, at risk at Monday
    # 14:24; a P3 breach found on Monday 20:00 waits for Tuesday 07:30.
    case = assigned_case(local(11, 16))

    run_scan_twice(local(14, 20))

    assert sla_events(case) == [("sla_breached", "verify")]
    assert outbox == []
    notification = db.session.scalars(db.select(Notification)).first()
    assert notification.deliver_at == local(15, 7, 30)
    with time_machine.travel(local(15, 7, 29), tick=False):
        dispatch_notification_emails()
    assert outbox == []
    with time_machine.travel(local(15, 7, 31), tick=False):
        dispatch_notification_emails()
        dispatch_notification_emails()
    assert len(outbox) == 2


def test_p1_escalates_at_once_even_at_night(assigned_case, outbox, inline_jobs):
    case = assigned_case(local(12, 22), priority="P1")  # Saturday night, verify in 1 hour

    run_scan_twice(local(12, 22, 50))

    assert sla_events(case) == [("sla_at_risk", "verify")]
    assert len(outbox) == 2


def test_emails_go_out_through_the_emails_queue(app, assigned_case, outbox):
    assigned_case(local(7, 8))
    with time_machine.travel(local(7, 16), tick=False):
        scan()
        dispatch_notification_emails()
        dispatch_notification_emails()
    connection = app.extensions["socialbeat_redis"]
    emails = Queue("emails", connection=connection)
    assert emails.count == 2
    assert outbox == []

    SimpleWorker([emails], connection=connection).work(burst=True)

    assert len(outbox) == 2
    assert {n.email_status for n in db.session.scalars(db.select(Notification))} == {"sent"}


def test_a_failing_smtp_server_is_retried(assigned_case, outbox, inline_jobs):
    assigned_case(local(7, 8))
    outbox.fail_with = smtplib.SMTPServerDisconnected("gone")
    run_scan_twice(local(7, 16))
    assert outbox == []
    assert {n.email_status for n in db.session.scalars(db.select(Notification))} == {"pending"}

    outbox.fail_with = None
    with time_machine.travel(local(7, 16, 1), tick=False):
        dispatch_notification_emails()

    assert len(outbox) == 2


def test_paused_clocks_are_not_flagged(assigned_case, people, inline_jobs):
    case = assigned_case(local(7, 8))
    admin = people["admin"]
    operations.transition(case, "verifying", admin, version=case.version, now=local(7, 9))
    operations.transition(case, "waiting", admin, version=case.version, now=local(7, 10))

    run_scan_twice(local(9, 10))

    assert sla_events(case) == []


def test_without_smtp_notifications_stay_in_the_app(
    client, login, assigned_case, people, inline_jobs
):
    case = assigned_case(local(7, 8))
    run_scan_twice(local(7, 16))
    with time_machine.travel(local(7, 16, 5), tick=False):
        # Signed in at the travelled time: a session cookie signed later would be refused.
        login(people["supervisor"])
        page = client.get("/notifications").get_data(as_text=True)
        queue = client.get("/cases").get_data(as_text=True)

    assert f"Sắp trễ hạn: {case.code}" in page
    assert 'class="count-badge">1<' in queue
    assert {n.email_status for n in db.session.scalars(db.select(Notification))} == {"skipped"}


def test_opening_a_notification_marks_it_read(client, login, assigned_case, people, inline_jobs):
    case = assigned_case(local(7, 8))
    run_scan_twice(local(7, 16))
    login(people["officer"])
    notification = db.session.scalar(
        db.select(Notification).where(Notification.user_id == people["officer"].id)
    )
    token = re.search(
        r'name="csrf-token" content="([^"]+)"', client.get("/notifications").get_data(as_text=True)
    ).group(1)

    response = client.post(f"/notifications/{notification.id}/open", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    db.session.refresh(notification)
    assert notification.read_at is not None
    someone_elses = db.session.scalar(
        db.select(Notification).where(Notification.user_id == people["supervisor"].id)
    )
    assert (
        client.post(
            f"/notifications/{someone_elses.id}/open", data={"csrf_token": token}
        ).status_code
        == 404
    )
