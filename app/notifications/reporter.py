"""Emails to the citizens who reported a case and gave an email address with consent.

They hear when the status changes and when the public response is published: a
short message in the report's language with the public tracking link. The outbox
row is written in the transaction of the change (see case_events); a job sends it.
Only public facts travel: the status in plain words and the public response,
masked like on the public page. Internal notes never do.
"""

import logging
import smtplib
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.collectors.models import Post
from app.extensions import db
from app.models import utcnow
from app.notifications import mail
from app.notifications.models import EmailStatus, ReporterEmail

log = logging.getLogger(__name__)

STATUS, RESPONSE = "status", "response"
#: A failing address is retried each dispatch, at most this many times.
MAX_ATTEMPTS = 5
#: Messages claimed per dispatch.
DISPATCH_BATCH = 2000


def reporters_of(case) -> dict[str, str]:
    """address -> language, for the reports of `case` that left an email with consent."""
    if case.id is None:
        return {}
    with db.session.no_autoflush:
        rows = db.session.execute(
            select(Post.contact, Post.language).where(
                Post.case_id == case.id, Post.contact.is_not(None)
            )
        ).all()
    from app.public.operations import is_email_address

    found: dict[str, str] = {}
    for contact, language in rows:
        address = str((contact or {}).get("email") or "").strip()
        if is_email_address(address) and address.lower() not in {a.lower() for a in found}:
            found[address] = language or ""
    return found


def queue_messages(case, kind: str, data: dict, now: datetime) -> list[ReporterEmail]:
    """Add one outbox row per reporter address to the session (the caller's transaction)."""
    supported = set(current_app.config.get("LANGUAGES") or ("vi", "en"))
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    messages = []
    for address, language in reporters_of(case).items():
        message = ReporterEmail(
            case=case,
            to_address=address,
            locale=language if language in supported else default,
            kind=kind,
            data=data,
            status=EmailStatus.pending.value,
            attempts=0,
            created_at=now,
        )
        db.session.add(message)
        messages.append(message)
    return messages


def dispatch(now: datetime | None = None) -> int:
    """Queue a send job per pending message; returns how many. Without a mail server
    they are marked skipped."""
    from app.jobs import QueueUnavailable, enqueue
    from app.notifications.tasks import send_reporter_email

    ids = list(
        db.session.scalars(
            select(ReporterEmail.id)
            .where(ReporterEmail.status == EmailStatus.pending.value)
            .order_by(ReporterEmail.id)
            .limit(DISPATCH_BATCH)
        )
    )
    if not ids:
        return 0
    if not current_app.config.get("MAIL_SERVER"):
        _set_status(ids, EmailStatus.skipped)
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
            _set_status([message_id], EmailStatus.pending)
            db.session.commit()
    return len(claimed)


def send(message_id: int) -> bool:
    """Send one queued message; a failure puts it back for the next dispatch."""
    message = db.session.get(ReporterEmail, message_id)
    if message is None or message.status != EmailStatus.queued.value or message.case is None:
        return False
    with force_locale(message.locale):
        subject, body = compose(message)
    try:
        mail.send_email(message.to_address, subject, body)
    except (smtplib.SMTPException, OSError) as error:
        log.warning("email to a reporter failed: %s", error)
        message.attempts += 1
        failed = message.attempts >= MAX_ATTEMPTS
        message.status = (EmailStatus.failed if failed else EmailStatus.pending).value
        db.session.commit()
        return False
    message.status = EmailStatus.sent.value
    message.sent_at = utcnow()
    db.session.commit()
    return True


def compose(message: ReporterEmail) -> tuple[str, str]:
    """Subject and body in the active language: status in plain words, the public
    response if any, the tracking link."""
    from app.public.labels import PLAIN_STATUS
    from app.public.operations import mask

    case, data = message.case, message.data or {}
    base = current_app.config.get("APP_BASE_URL", "").rstrip("/")
    link = f"{base}/public/cases/{case.code}"
    status = PLAIN_STATUS.get(data.get("status"), "")
    if message.kind == RESPONSE:
        subject = _("[Social Beat] The city answered your report %(code)s", code=case.code)
        lines = [_("The city published its answer to your report %(code)s:", code=case.code)]
        lines += ["", mask(data.get("text") or ""), ""]
    else:
        subject = _("[Social Beat] News on your report %(code)s", code=case.code)
        lines = [_("Your report %(code)s has a new status:", code=case.code), "", str(status), ""]
    lines += [
        _("Follow it here:"),
        link,
        "",
        _("You receive this because you gave your email address with your report."),
    ]
    return subject, "\n".join(lines)


def _set_status(ids: list[int], status: EmailStatus) -> None:
    db.session.execute(
        update(ReporterEmail).where(ReporterEmail.id.in_(ids)).values(status=status.value)
    )
