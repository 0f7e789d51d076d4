"""Background jobs: the dispatchers (every minute; digests every hour) and the email
senders (`emails` queue), for users and for reporters."""

import logging
import smtplib

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.jobs import job, periodic
from app.models import utcnow
from app.notifications import (
    case_events,  # noqa: F401  (registers the flush listener)
    mail,
    reporter,
)
from app.notifications.models import EmailStatus, Notification
from app.notifications.operations import (
    MAX_EMAIL_ATTEMPTS,
    dispatch_digests,
    dispatch_emails,
    render,
)
from app.users.models import User

log = logging.getLogger(__name__)


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
    return reporter.dispatch(utcnow())


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
