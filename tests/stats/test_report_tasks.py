"""The scheduled reports: once per local day even when run twice or by two workers at once,
stored, and emailed to the subscribers with the PDF attached, in their language."""

import smtplib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.stats.models import Report, ReportDelivery, ReportSchedule
from app.stats.reports import tasks as report_tasks
from tests.stats import report_dataset
from tests.stats.report_dataset import NOW, local
from tests.stats.test_reports import pdf_text

report_day = report_dataset.report_day


@pytest.fixture
def inline_jobs(app, monkeypatch):
    """Enqueued jobs run at once, as the app does without Redis."""
    monkeypatch.setitem(app.extensions, "socialbeat_redis", None)


class Outbox(list):
    fail_with: Exception | None = None


@pytest.fixture
def outbox(app, monkeypatch):
    """An SMTP server is configured; what is sent lands here."""
    from app.notifications import mail

    box = Outbox()

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            self.host, self.port = host, port

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            pass

        def login(self, username, password):
            pass

        def send_message(self, message):
            if box.fail_with is not None:
                raise box.fail_with
            box.append(message)

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.test.socialbeat.vn")
    monkeypatch.setitem(app.config, "APP_BASE_URL", "https://socialbeat.test")
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    return box


def _reports() -> list[tuple[str, str]]:
    return [
        (r.kind, r.period_end.isoformat())
        for r in db.session.scalars(select(Report).order_by(Report.id))
    ]


def _attachment(message) -> tuple[str, bytes]:
    (part,) = list(message.iter_attachments())
    return part.get_filename(), part.get_content()


# --- schedules ------------------------------------------------------------------------------


def test_default_schedules_are_seven_and_eighteen_hundred(app_context):
    schedules = report_tasks.ensure_default_schedules()
    report_tasks.ensure_default_schedules()

    assert [(s.kind, s.time_of_day, s.timezone, s.is_enabled) for s in schedules] == [
        ("morning_digest", "07:00", "Asia/Ho_Chi_Minh", True),
        ("evening_report", "18:00", "Asia/Ho_Chi_Minh", True),
    ]
    assert db.session.scalar(select(func.count()).select_from(ReportSchedule)) == 2


def test_each_report_is_made_once_per_local_day(report_day, inline_jobs):
    # 06:59 on Friday: nothing is due yet.
    assert report_tasks.run_due(local(27, 6, 59)) == []
    # 07:00: the morning digest, over the 24 h before 07:00.
    made = report_tasks.run_due(local(27, 7))
    assert [(r.kind, r.period_start, r.period_end) for r in made] == [
        ("morning_digest", local(26, 7), local(27, 7))
    ]
    # Run again a minute later, and again: nothing more.
    assert report_tasks.run_due(local(27, 7, 1)) == []
    assert report_tasks.run_due(local(27, 12)) == []
    # 18:00:30: the evening report, covering up to 18:00 sharp.
    made = report_tasks.run_due(local(27, 18) + timedelta(seconds=30))
    assert [(r.kind, r.period_end) for r in made] == [("evening_report", local(27, 18))]
    assert report_tasks.run_due(local(27, 18, 5)) == []
    assert report_tasks.run_due(local(27, 23, 59)) == []
    # The next local day starts at midnight in Ho Chi Minh City (17:00 UTC).
    assert report_tasks.run_due(local(28, 6)) == []
    assert [r.kind for r in report_tasks.run_due(local(28, 7))] == ["morning_digest"]

    assert _reports() == [
        ("morning_digest", local(27, 7).isoformat()),
        ("evening_report", local(27, 18).isoformat()),
        ("morning_digest", local(28, 7).isoformat()),
    ]
    evening = db.session.scalars(select(Report).where(Report.kind == "evening_report")).one()
    summary = evening.data["sections"][0]["figures"]
    assert summary["new_cases"] == 4 and summary["sla_breaches"] == 2


def test_two_workers_at_the_same_minute_make_one_report(app, report_day, inline_jobs):
    report_tasks.ensure_default_schedules()
    report_tasks.run_due(local(27, 7))  # the morning is done; only the evening is due
    barrier = threading.Barrier(2)
    made: list[list] = []
    errors = []

    def worker():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                made.append([r.kind for r in report_tasks.run_due(local(27, 18, 0))])
                db.session.remove()
        except Exception as error:  # pragma: no cover - surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(made) == [[], ["evening_report"]]
    assert [kind for kind, _ in _reports()] == ["morning_digest", "evening_report"]


def test_a_claim_is_granted_once_per_day(app_context):
    (morning, _) = report_tasks.ensure_default_schedules()
    day = local(27, 7).date()

    assert report_tasks.claim(morning.id, day) is True
    assert report_tasks.claim(morning.id, day) is False
    assert report_tasks.claim(morning.id, day + timedelta(days=1)) is True


def test_a_switched_off_schedule_makes_nothing_and_a_new_time_is_followed(report_day, inline_jobs):
    morning, evening = report_tasks.ensure_default_schedules()
    report_tasks.update_schedule(morning, "07:00", is_enabled=False)
    report_tasks.update_schedule(evening, "19:30", is_enabled=True)

    assert report_tasks.run_due(local(27, 18)) == []
    assert report_tasks.next_run(evening, local(27, 18)) == local(27, 19, 30)
    assert report_tasks.next_run(morning, local(27, 18)) is None
    assert [r.kind for r in report_tasks.run_due(local(27, 19, 30))] == ["evening_report"]
    assert report_tasks.next_run(evening, local(27, 20)) == local(28, 19, 30)


@pytest.mark.parametrize(
    "raw, expected", [("7:05", "07:05"), ("18:00", "18:00"), ("00:00", "00:00")]
)
def test_times_of_day_are_normalised(raw, expected):
    assert report_tasks.parse_time_of_day(raw) == expected


@pytest.mark.parametrize("raw", ["", "7", "24:00", "07:60", "7:5", "seven"])
def test_bad_times_of_day_are_refused(raw):
    with pytest.raises(ValueError):
        report_tasks.parse_time_of_day(raw)


def test_a_report_that_fails_is_kept_with_its_error_and_not_retried_that_day(
    report_day, inline_jobs, monkeypatch
):
    from app.stats.reports import evening

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(evening, "evening_report_sections", broken)
    report_tasks.run_due(local(27, 7))

    made = report_tasks.run_due(local(27, 18))

    assert [(r.kind, r.status, r.error) for r in made] == [
        ("evening_report", "failed", "RuntimeError: database went away")
    ]
    assert report_tasks.run_due(local(27, 18, 1)) == []


# --- emails ---------------------------------------------------------------------------------


@pytest.fixture
def subscribers(report_day, create_user):
    vi = create_user("supervisor", unit_code="SO-XD", email="truong.phong@soxd.test")
    en = create_user("analyst", unit_code="UBND-TP", email="analyst@ubnd.test")
    morning_only = create_user("admin", unit_code="UBND-TP", email="admin2@ubnd.test")
    report_tasks.subscribe(vi, "evening_report", "vi")
    report_tasks.subscribe(en, "evening_report", "en")
    report_tasks.subscribe(morning_only, "morning_digest", "vi")
    return {"vi": vi, "en": en, "morning_only": morning_only}


def test_subscribers_get_the_report_as_a_pdf_in_their_language(subscribers, outbox, inline_jobs):
    report_tasks.run_due(local(27, 7))
    outbox.clear()

    (report,) = report_tasks.run_due(local(27, 18))

    by_address = {message["To"]: message for message in outbox}
    assert sorted(by_address) == ["analyst@ubnd.test", "truong.phong@soxd.test"]
    vi = by_address["truong.phong@soxd.test"]
    assert vi["Subject"] == "[Social Beat] Báo cáo tổng hợp dư luận — 27/11/2026"
    body = vi.get_body(("plain",)).get_content()
    assert "Vụ việc mới: 4" in body and "Thời hạn bị trễ: 2" in body
    assert f"https://socialbeat.test/stats/reports/{report.id}" in body
    filename, pdf = _attachment(vi)
    assert filename == f"socialbeat-evening-report-{report.id}-2026-11-27-vi.pdf"
    assert "Báo cáo tổng hợp dư luận" in pdf_text(pdf)

    en = by_address["analyst@ubnd.test"]
    assert en["Subject"] == "[Social Beat] Evening public-opinion report — 27 Nov 2026"
    assert "New cases: 4" in en.get_body(("plain",)).get_content()
    assert "Evening public-opinion report" in pdf_text(_attachment(en)[1])

    statuses = db.session.execute(
        select(ReportDelivery.user_id, ReportDelivery.status).where(
            ReportDelivery.report_id == report.id
        )
    ).all()
    assert sorted(status for _, status in statuses) == ["sent", "sent"]

    # Nothing is sent twice: another run, a retry sweep, a direct resend.
    report_tasks.run_due(local(27, 18, 30))
    report_tasks.retry_pending(local(28, 0))
    report_tasks.send_report_emails(report.id)
    assert len(outbox) == 2


@pytest.fixture
def evening_sent(subscribers, outbox, inline_jobs):
    """The evening report, made and emailed (the outbox emptied again), and the time now."""
    from app.models import utcnow

    report_tasks.run_due(local(27, 7))
    (report,) = report_tasks.run_due(local(27, 18))
    outbox.clear()
    return report, utcnow()


def _left_sending(report, user, *, claimed_minutes_ago: int, attempts: int, now):
    """Put the report's delivery to `user` back as a worker that claimed it would leave it."""
    delivery = db.session.scalars(
        select(ReportDelivery).where(
            ReportDelivery.report_id == report.id, ReportDelivery.user_id == user.id
        )
    ).one()
    delivery.status, delivery.attempts, delivery.sent_at = "sending", attempts, None
    delivery.claimed_at = now - timedelta(minutes=claimed_minutes_ago)
    delivery.created_at = now - timedelta(minutes=30)
    db.session.commit()
    return delivery


def test_a_delivery_a_lost_worker_left_sending_goes_out_with_the_next_sweep(
    subscribers, outbox, evening_sent
):
    report, now = evening_sent
    lost = _left_sending(report, subscribers["vi"], claimed_minutes_ago=20, attempts=1, now=now)
    busy = _left_sending(report, subscribers["en"], claimed_minutes_ago=2, attempts=1, now=now)

    report_tasks.retry_pending(now)

    assert [message["To"] for message in outbox] == ["truong.phong@soxd.test"]
    db.session.refresh(lost)
    db.session.refresh(busy)
    assert (lost.status, lost.attempts, lost.error) == ("sent", 2, None)
    assert busy.status == "sending"  # its worker may still be sending it


def test_a_delivery_lost_on_its_last_attempt_fails_with_the_reason(
    subscribers, outbox, evening_sent
):
    report, now = evening_sent
    lost = _left_sending(
        report, subscribers["vi"], claimed_minutes_ago=20, attempts=report_tasks.MAX_ATTEMPTS,
        now=now,
    )  # fmt: skip

    assert report_tasks.release_lost_sending(now) == 1
    report_tasks.retry_pending(now)

    db.session.refresh(lost)
    assert (lost.status, lost.error) == ("failed", report_tasks.LOST_SENDING_ERROR)
    assert outbox == []


def test_without_a_mail_server_deliveries_are_skipped(subscribers, inline_jobs, app):
    assert not app.config["MAIL_SERVER"]

    (morning,) = report_tasks.run_due(local(27, 7))

    delivery = db.session.scalars(
        select(ReportDelivery).where(ReportDelivery.report_id == morning.id)
    ).one()
    assert (delivery.user_id, delivery.status) == (subscribers["morning_only"].id, "skipped")


def test_a_failing_mail_server_is_retried_then_given_up(subscribers, outbox, inline_jobs):
    outbox.fail_with = smtplib.SMTPServerDisconnected("gone")

    (morning,) = report_tasks.run_due(local(27, 7))
    delivery = db.session.scalars(
        select(ReportDelivery).where(ReportDelivery.report_id == morning.id)
    ).one()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "gone" in delivery.error

    # Retried by the later runs once it has waited RETRY_AFTER.
    report_tasks.run_due(local(27, 7, 2))
    db.session.refresh(delivery)
    assert delivery.attempts == 1
    report_tasks.run_due(local(27, 7, 10))
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 2)

    outbox.fail_with = None
    report_tasks.run_due(local(27, 7, 20))
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert [m["To"] for m in outbox] == ["admin2@ubnd.test"]


def test_after_three_failures_a_delivery_fails(subscribers, outbox, inline_jobs):
    outbox.fail_with = smtplib.SMTPRecipientsRefused({})
    (morning,) = report_tasks.run_due(local(27, 7))
    for minute in (10, 20, 30, 40):
        report_tasks.run_due(local(27, 7, minute))

    delivery = db.session.scalars(
        select(ReportDelivery).where(ReportDelivery.report_id == morning.id)
    ).one()
    assert (delivery.status, delivery.attempts) == ("failed", 3)


def test_a_subscriber_who_may_no_longer_read_reports_gets_nothing(subscribers, outbox, inline_jobs):
    subscribers["morning_only"].role = "officer"
    db.session.commit()

    report_tasks.run_due(local(27, 7))

    assert outbox == []
    assert db.session.scalar(select(ReportDelivery.status)) == "skipped"


def test_unsubscribing_stops_the_emails(subscribers, outbox, inline_jobs):
    report_tasks.subscribe(subscribers["vi"], "evening_report", "vi", active=False)
    report_tasks.run_due(local(27, 7))
    outbox.clear()

    report_tasks.run_due(local(27, 18))

    assert [m["To"] for m in outbox] == ["analyst@ubnd.test"]


def test_the_job_goes_through_the_emails_queue(app, subscribers, outbox):
    from rq import Queue, SimpleWorker

    from app.jobs import redis_connection

    report_tasks.run_due(local(27, 7))
    connection = redis_connection()
    emails = Queue("emails", connection=connection)
    assert emails.count == 1
    assert outbox == []

    SimpleWorker([emails], connection=connection).work(burst=True)

    assert [m["To"] for m in outbox] == ["admin2@ubnd.test"]


def test_the_periodic_job_is_registered():
    from app.jobs import PERIODIC_JOBS

    (registered,) = [j for j in PERIODIC_JOBS if j.name.endswith("run_report_schedules")]
    assert registered.interval == 60


def test_now_is_used_when_no_time_is_given(app_context, monkeypatch):
    monkeypatch.setattr(report_tasks, "utcnow", lambda: NOW)
    report_tasks.ensure_default_schedules()
    made = report_tasks.run_due()
    assert sorted(r.kind for r in made) == ["evening_report", "morning_digest"]
