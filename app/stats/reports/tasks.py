"""The scheduled reports: made once per local day at the admin's time, stored, emailed.

Every minute `run_report_schedules` looks at the schedules (by default the morning digest at
07:00 and the evening report at 18:00, the city's local time). A schedule whose time has come and
whose `last_run_on` is not today is claimed with one conditional UPDATE; only the worker whose
UPDATE changed the row makes the report, so two workers (or a rerun) make it once. The report
covers the 24 h up to the scheduled time, so consecutive reports tile without gaps.

Then each active subscriber of that kind gets one ReportDelivery row (unique per report and
user) and the `emails` queue sends the PDF, in the subscriber's language. Without an SMTP server
the deliveries are marked skipped, as notifications are. A failed send is retried by the next
runs, up to MAX_ATTEMPTS.
"""

import logging
import smtplib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core import formatting
from app.core.time import ZONE_NAME
from app.extensions import db
from app.jobs import QueueUnavailable, enqueue, job, periodic
from app.models import utcnow
from app.notifications import mail
from app.stats.models import (
    Report,
    ReportDelivery,
    ReportKind,
    ReportSchedule,
    ReportStatus,
    ReportSubscription,
)
from app.stats.reports import making, pdf, view
from app.stats.reports.access import can_read_reports
from app.stats.reports.documents import LOCALES, filename
from app.users.admin import audit
from app.users.models import User

log = logging.getLogger(__name__)

#: The kinds a schedule makes, with their default local times.
DEFAULT_TIMES = {ReportKind.morning_digest.value: "07:00", ReportKind.evening_report.value: "18:00"}
SCHEDULED_KINDS = tuple(DEFAULT_TIMES)
MAX_ATTEMPTS = 3
#: A delivery still pending after this long is queued again (a lost job, a failed send).
RETRY_AFTER = timedelta(minutes=5)
#: Deliveries older than this are no longer retried.
GIVE_UP_AFTER = timedelta(days=2)
#: A delivery still `sending` this long after its claim was lost with its worker (the email
#: job's timeout is 10 minutes): it is pending again, or failed after MAX_ATTEMPTS.
RELEASE_SENDING_AFTER = timedelta(minutes=15)
LOST_SENDING_ERROR = "the worker stopped while sending"


class DeliveryStatus:
    pending = "pending"
    sending = "sending"
    sent = "sent"
    skipped = "skipped"
    failed = "failed"


# --- schedules ------------------------------------------------------------------------------


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def ensure_default_schedules() -> list[ReportSchedule]:
    """The schedules, creating the default ones that are missing (safe to run concurrently)."""
    now = utcnow()
    rows = [
        {
            "kind": kind,
            "time_of_day": time_of_day,
            "timezone": ZONE_NAME,
            "is_enabled": True,
            "updated_at": now,
        }
        for kind, time_of_day in DEFAULT_TIMES.items()
    ]
    db.session.execute(
        _insert()(ReportSchedule).values(rows).on_conflict_do_nothing(index_elements=["kind"])
    )
    db.session.commit()
    schedules = db.session.scalars(
        select(ReportSchedule).where(ReportSchedule.kind.in_(SCHEDULED_KINDS))
    )
    return sorted(schedules, key=lambda s: SCHEDULED_KINDS.index(s.kind))


def parse_time_of_day(value: str) -> str:
    """ "7:05" or "07:05" -> "07:05"; ValueError for anything else."""
    hours, _, minutes = (value or "").strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError("expected HH:MM")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError("expected a time between 00:00 and 23:59")
    return f"{h:02d}:{m:02d}"


def update_schedule(
    schedule: ReportSchedule, time_of_day: str, is_enabled: bool, actor=None
) -> None:
    """The admin's edit. A report already made today is not made again at the new time.

    A change made by `actor` (the admin screen) is audited in the same commit, as
    `report_schedule.update` with each changed field's [before, after].
    """
    before = {"time_of_day": schedule.time_of_day, "is_enabled": schedule.is_enabled}
    schedule.time_of_day = parse_time_of_day(time_of_day)
    schedule.is_enabled = is_enabled
    after = {"time_of_day": schedule.time_of_day, "is_enabled": schedule.is_enabled}
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if actor is not None and changes:
        audit(actor, "report_schedule.update", "report_schedule", schedule.id,
              kind=schedule.kind, **changes)  # fmt: skip
    db.session.commit()


def scheduled_moment(day: date, time_of_day: str, timezone: str = ZONE_NAME) -> datetime:
    """The UTC instant of a local date at "HH:MM" in a zone."""
    hours, minutes = (int(part) for part in time_of_day.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local_day(schedule: ReportSchedule, now: datetime) -> date:
    return now.astimezone(ZoneInfo(schedule.timezone)).date()


def is_due(schedule: ReportSchedule, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(schedule.timezone))
    return (
        schedule.is_enabled
        and local.strftime("%H:%M") >= schedule.time_of_day
        and schedule.last_run_on != local.date()
    )


def claim(schedule_id: int, day: date) -> bool:
    """Mark today's run as taken; True only for the one caller whose UPDATE changed the row."""
    result = db.session.execute(
        update(ReportSchedule)
        .where(
            ReportSchedule.id == schedule_id,
            or_(ReportSchedule.last_run_on.is_(None), ReportSchedule.last_run_on < day),
        )
        .values(last_run_on=day)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def next_run(schedule: ReportSchedule, now: datetime) -> datetime | None:
    """When the schedule makes its next report (UTC): now when it is due, None when it is off."""
    if not schedule.is_enabled:
        return None
    day = local_day(schedule, now)
    if schedule.last_run_on is not None and schedule.last_run_on >= day:
        day += timedelta(days=1)
    return max(now, scheduled_moment(day, schedule.time_of_day, schedule.timezone))


def run_due(now: datetime | None = None) -> list[Report]:
    """Make the reports whose time has come today and that nobody made yet; queue their emails."""
    now = now or utcnow()
    made = []
    for schedule in ensure_default_schedules():
        if not is_due(schedule, now):
            continue
        day = local_day(schedule, now)
        if not claim(schedule.id, day):
            continue
        at = scheduled_moment(day, schedule.time_of_day, schedule.timezone)
        try:
            report = making.generate(schedule.kind, at=at)
        except Exception as error:  # noqa: BLE001 — keep the failure for the admin to see
            log.exception("scheduled %s for %s failed", schedule.kind, day)
            db.session.rollback()
            made.append(making.store_failure(schedule.kind, at, f"{type(error).__name__}: {error}"))
            continue
        made.append(report)
        create_deliveries(report, now)
        queue_emails(report.id)
    retry_pending(now)
    return made


# --- subscriptions and deliveries -----------------------------------------------------------


def subscription_for(user: User, kind: str) -> ReportSubscription | None:
    return db.session.scalar(
        select(ReportSubscription).where(
            ReportSubscription.user_id == user.id, ReportSubscription.kind == kind
        )
    )


def subscribe(user: User, kind: str, locale: str, active: bool = True) -> ReportSubscription:
    """Start, change or stop (active=False) the user's subscription to a kind of report."""
    if kind not in SCHEDULED_KINDS:
        raise ValueError(f"{kind!r} is not a scheduled report")
    if locale not in LOCALES:
        raise ValueError(f"unknown language {locale!r}")
    subscription = subscription_for(user, kind)
    if subscription is None:
        subscription = ReportSubscription(user_id=user.id, kind=kind)
        db.session.add(subscription)
    subscription.locale = locale
    subscription.is_active = active
    db.session.commit()
    return subscription


def create_deliveries(report: Report, now: datetime | None = None) -> int:
    """One pending delivery per active subscriber of the report's kind (never two)."""
    user_ids = list(
        db.session.scalars(
            select(ReportSubscription.user_id).where(
                ReportSubscription.kind == report.kind, ReportSubscription.is_active.is_(True)
            )
        )
    )
    if not user_ids:
        return 0
    now = now or utcnow()
    rows = [
        {
            "report_id": report.id,
            "user_id": user_id,
            "status": DeliveryStatus.pending,
            "attempts": 0,
            "created_at": now,
        }
        for user_id in user_ids
    ]
    db.session.execute(
        _insert()(ReportDelivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["report_id", "user_id"])
    )
    db.session.commit()
    return len(rows)


def queue_emails(report_id: int) -> None:
    """Send on the emails queue (inline without Redis); a down queue leaves them for a retry."""
    try:
        enqueue(send_report_emails, report_id)
    except QueueUnavailable as error:
        log.warning("report %s emails not queued (%s); the next run retries", report_id, error)


def release_lost_sending(now: datetime) -> int:
    """Deliveries a worker claimed and never finished (it crashed or was killed): pending
    again, to be retried, or failed once they had MAX_ATTEMPTS. Returns how many."""
    released = db.session.execute(
        update(ReportDelivery)
        .where(
            ReportDelivery.status == DeliveryStatus.sending,
            func.coalesce(ReportDelivery.claimed_at, ReportDelivery.created_at)
            < now - RELEASE_SENDING_AFTER,
        )
        .values(
            status=case(
                (ReportDelivery.attempts >= MAX_ATTEMPTS, DeliveryStatus.failed),
                else_=DeliveryStatus.pending,
            ),
            error=LOST_SENDING_ERROR,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if released:
        log.warning("%s report deliveries were left sending by a lost worker", released)
    db.session.commit()
    return released


def retry_pending(now: datetime) -> int:
    """Queue again the reports whose deliveries are still pending after RETRY_AFTER (and the
    ones a lost worker left sending, `release_lost_sending`)."""
    release_lost_sending(now)
    report_ids = list(
        db.session.scalars(
            select(ReportDelivery.report_id)
            .where(
                ReportDelivery.status == DeliveryStatus.pending,
                ReportDelivery.created_at < now - RETRY_AFTER,
                ReportDelivery.created_at > now - GIVE_UP_AFTER,
            )
            .distinct()
        )
    )
    for report_id in report_ids:
        queue_emails(report_id)
    return len(report_ids)


def _claim_deliveries(report_id: int) -> list[tuple[int, int, int]]:
    """Take the report's pending deliveries: (id, user_id, attempts) — nobody else sends them."""
    rows = db.session.execute(
        update(ReportDelivery)
        .where(
            ReportDelivery.report_id == report_id,
            ReportDelivery.status == DeliveryStatus.pending,
        )
        .values(
            status=DeliveryStatus.sending,
            attempts=ReportDelivery.attempts + 1,
            claimed_at=utcnow(),
        )
        .returning(ReportDelivery.id, ReportDelivery.user_id, ReportDelivery.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def _finish(delivery_id: int, status: str, error: str | None = None) -> None:
    values = {"status": status, "error": error}
    if status == DeliveryStatus.sent:
        values["sent_at"] = utcnow()
    db.session.execute(
        update(ReportDelivery)
        .where(ReportDelivery.id == delivery_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


@job(queue="emails", timeout=600)
def send_report_emails(report_id: int) -> int:
    """Email the report's PDF to its pending subscribers; returns how many were sent."""
    report = db.session.get(Report, report_id)
    if report is None:
        return 0
    if not current_app.config.get("MAIL_SERVER"):
        db.session.execute(
            update(ReportDelivery)
            .where(
                ReportDelivery.report_id == report_id,
                ReportDelivery.status == DeliveryStatus.pending,
            )
            .values(status=DeliveryStatus.skipped, error="no mail server configured")
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return 0
    sent = 0
    pdfs: dict[str, bytes] = {}
    for delivery_id, user_id, attempts in _claim_deliveries(report_id):
        user = db.session.get(User, user_id)
        subscription = subscription_for(user, report.kind) if user else None
        if (
            user is None
            or not user.email
            or not user.is_active_account
            or not can_read_reports(user)
            or report.status != ReportStatus.ready.value
        ):
            _finish(delivery_id, DeliveryStatus.skipped, "no address, or may not read reports")
            continue
        locale = subscription.locale if subscription else (user.locale or "vi")
        try:
            if locale not in pdfs:
                pdfs[locale] = pdf.render(report, locale)
            with view.report_locale(locale):
                subject, body = compose(report)
            mail.send_email_with_attachments(
                user.email,
                subject,
                body,
                [(filename(report, "pdf", locale), pdf.MIMETYPE, pdfs[locale])],
            )
        except (smtplib.SMTPException, OSError) as error:
            log.warning("report %s to user %s failed: %s", report_id, user_id, error)
            status = DeliveryStatus.failed if attempts >= MAX_ATTEMPTS else DeliveryStatus.pending
            _finish(delivery_id, status, str(error)[:1000])
            continue
        _finish(delivery_id, DeliveryStatus.sent)
        sent += 1
    return sent


def compose(report: Report) -> tuple[str, str]:
    """The subject and plain-text body, in the current (forced) language."""
    current = view.view(report)
    day = formatting.date_local(report.period_end)
    subject = f"[Social Beat] {current.title} — {day}"
    lines = [current.title, current.period_text, ""]
    for section in current.sections:
        if section.type == "summary":
            for row in section.rows:
                indent = "    " if row.get("_part") else ""
                lines.append(f"{indent}{row['label']}: {view.cell_text(row['value'])}")
            lines.append("")
    lines.append(_("The full report is attached as a PDF."))
    base = current_app.config.get("APP_BASE_URL", "").rstrip("/")
    if base:
        lines.append(_("Read it in Social Beat: %(url)s", url=f"{base}/stats/reports/{report.id}"))
        lines.append(
            _(
                "Change or stop your subscriptions: %(url)s",
                url=f"{base}/stats/reports/subscriptions",
            )
        )
    else:
        lines.append(_("You receive this because you subscribed to this report in Social Beat."))
    return subject, "\n".join(lines)


# --- the periodic job -----------------------------------------------------------------------


@periodic(interval=60)
def run_report_schedules() -> list[int]:
    """Every minute: make the reports that are due and email them."""
    return [report.id for report in run_due()]
