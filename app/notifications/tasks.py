"""Background jobs: the dispatchers (every minute; digests every hour) and the email
senders (`emails` queue), for users and for reporters.

The top layer of notifications: operations.py and reporter.py write the rows, the
dispatchers here claim them and queue one send job each.
"""

import logging
import smtplib
from collections import defaultdict
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.jobs import QueueUnavailable, enqueue, job, periodic
from app.models import utcnow
from app.notifications import mail, reporter
from app.notifications.models import (
    EmailStatus,
    Notification,
    NotificationSettings,
    ReporterEmail,
)
from app.notifications.operations import MAX_EMAIL_ATTEMPTS, render
from app.users.models import User

log = logging.getLogger(__name__)

#: Notifications claimed per dispatch; the next minute takes the rest.
DISPATCH_BATCH = 5000
#: Reporter messages claimed per dispatch.
REPORTER_DISPATCH_BATCH = 2000


@periodic(interval=60)
def dispatch_notification_emails() -> int:
    """Queue the emails of notifications whose delivery time has come."""
    return dispatch_emails(utcnow())


@periodic(interval=3600)
def dispatch_digest_emails() -> int:
    """Queue one digest email per user in digest mode."""
    return dispatch_digests(utcnow())


@periodic(interval=60)
def dispatch_reporter_emails() -> int:
    """Queue the emails to reporters about their cases (status changes, public responses)."""
    return dispatch_reporter_messages(utcnow())


@job(queue="emails", timeout=120)
def send_reporter_email(message_id: int) -> bool:
    """Send one queued email to a reporter; see reporter.send."""
    return reporter.send(message_id)


@job(queue="emails", timeout=120)
def send_notification_email(user_id: int, notification_ids: list[int], digest: bool = False) -> int:
    """Send one email listing the user's queued notifications; returns how many it covered.

    `digest`: the hourly email of a user in digest mode (its subject says so).
    """
    notifications = list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.id.in_(notification_ids),
                Notification.user_id == user_id,
                Notification.email_status == EmailStatus.queued.value,
            )
            .order_by(Notification.id)
        )
    )
    user = db.session.get(User, user_id)
    if not notifications or user is None:
        return 0
    if not user.email or not user.is_active_account:
        _finish(notifications, EmailStatus.skipped)
        return 0
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, body = _compose(notifications, digest=digest)
    try:
        mail.send_email(user.email, subject, body)
    except (smtplib.SMTPException, OSError) as error:
        log.warning("email to user %s failed: %s", user_id, error)
        for notification in notifications:
            notification.email_attempts += 1
            failed = notification.email_attempts >= MAX_EMAIL_ATTEMPTS
            notification.email_status = (
                EmailStatus.failed if failed else EmailStatus.pending
            ).value
        db.session.commit()
        return 0
    _finish(notifications, EmailStatus.sent)
    return len(notifications)


@job(queue="emails", timeout=120)
def send_plain_email(to: str, subject: str, body: str) -> bool:
    """Send one email to someone who is not a user (a citizen who filed a report).

    A failure is logged and not retried: the page the citizen saw showed the same.
    """
    try:
        mail.send_email(to, subject, body)
    except (smtplib.SMTPException, OSError) as error:
        log.warning("email to a citizen failed: %s", error)
        return False
    return True


def dispatch_emails(now: datetime | None = None) -> int:
    """Queue one email per user for the notifications that are due; returns how many users.

    Users in digest mode are left to dispatch_digests. Claiming with UPDATE … WHERE
    email_status = 'pending' makes a second run, or a concurrent one, find nothing to send.
    """
    return _dispatch(now or utcnow(), digest=False)


def dispatch_digests(now: datetime | None = None) -> int:
    """Queue one digest email per user in digest mode, gathering all their notifications
    not emailed yet; returns how many users. Runs every hour (dispatch_digest_emails)."""
    return _dispatch(now or utcnow(), digest=True)


def _dispatch(now: datetime, *, digest: bool) -> int:
    digest_users = select(NotificationSettings.user_id).where(NotificationSettings.digest.is_(True))
    in_digest = Notification.user_id.in_(digest_users)
    due = (
        select(Notification.id)
        .where(
            Notification.email_status == EmailStatus.pending.value,
            Notification.deliver_at <= now,
            in_digest if digest else ~in_digest,
        )
        .order_by(Notification.id)
        .limit(DISPATCH_BATCH)
    )
    ids = list(db.session.scalars(due))
    if not ids:
        return 0
    if not current_app.config.get("MAIL_SERVER"):
        _set_status(ids, EmailStatus.skipped)
        db.session.commit()
        return 0
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.email_status == EmailStatus.pending.value)
        .values(email_status=EmailStatus.queued.value)
        .returning(Notification.id, Notification.user_id)
    ).all()
    db.session.commit()
    by_user: dict[int, list[int]] = defaultdict(list)
    for notification_id, user_id in claimed:
        by_user[user_id].append(notification_id)
    for user_id, notification_ids in by_user.items():
        try:
            enqueue(send_notification_email, user_id, sorted(notification_ids), digest=digest)
        except QueueUnavailable as error:
            log.warning("emails not queued, retried next dispatch: %s", error)
            _set_status(notification_ids, EmailStatus.pending)
            db.session.commit()
    return len(by_user)


def _set_status(ids: list[int], status: EmailStatus) -> None:
    db.session.execute(
        update(Notification).where(Notification.id.in_(ids)).values(email_status=status.value)
    )


def dispatch_reporter_messages(now: datetime | None = None) -> int:
    """Queue a send job per pending reporter message (reporter.py); returns how many.
    Without a mail server they are marked skipped."""
    ids = list(
        db.session.scalars(
            select(ReporterEmail.id)
            .where(ReporterEmail.status == EmailStatus.pending.value)
            .order_by(ReporterEmail.id)
            .limit(REPORTER_DISPATCH_BATCH)
        )
    )
    if not ids:
        return 0
    if not current_app.config.get("MAIL_SERVER"):
        _set_reporter_status(ids, EmailStatus.skipped)
        db.session.commit()
        return 0
    claimed = list(
        db.session.scalars(
            update(ReporterEmail)
            .where(ReporterEmail.id.in_(ids), ReporterEmail.status == EmailStatus.pending.value)
            .values(status=EmailStatus.queued.value)
            .returning(ReporterEmail.id)
        )
    )
    db.session.commit()
    for message_id in sorted(claimed):
        try:
            enqueue(send_reporter_email, message_id)
        except QueueUnavailable as error:
            log.warning("reporter email not queued, retried next dispatch: %s", error)
            _set_reporter_status([message_id], EmailStatus.pending)
            db.session.commit()
    return len(claimed)


def _set_reporter_status(ids: list[int], status: EmailStatus) -> None:
    db.session.execute(
        update(ReporterEmail).where(ReporterEmail.id.in_(ids)).values(status=status.value)
    )


def _finish(notifications: list[Notification], status: EmailStatus) -> None:
    now = utcnow()
    for notification in notifications:
        notification.email_status = status.value
        if status is EmailStatus.sent:
            notification.emailed_at = now
    db.session.commit()


def _compose(notifications: list[Notification], *, digest: bool = False) -> tuple[str, str]:
    rendered = [render(notification) for notification in notifications]
    if digest:
        subject = "[Social Beat] " + ngettext(
            "Hourly digest: %(num)d notification",
            "Hourly digest: %(num)d notifications",
            len(rendered),
        )
    elif len(rendered) == 1:
        subject = f"[Social Beat] {rendered[0].title}"
    else:
        subject = "[Social Beat] " + ngettext(
            "%(num)d notification", "%(num)d notifications", len(rendered)
        )
    base = current_app.config.get("APP_BASE_URL", "").rstrip("/")
    lines = []
    for item in rendered:
        lines.append(item.title)
        if item.text:
            lines.append(item.text)
        if item.path and base:
            lines.append(base + item.path)
        lines.append("")
    lines.append(_("You receive this because of your notification settings:"))
    lines.append(f"{base}/notifications/settings" if base else "/notifications/settings")
    return subject, "\n".join(lines)
