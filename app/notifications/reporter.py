"""Emails to the citizens who reported a case and gave an email address with consent.

They hear when the status changes and when the public response is published: a
short message in the report's language with the public tracking link. The outbox
row is written in the transaction of the change (see app/cases/notices.py); tasks.py
queues a job per row, and the job sends it. What the message says is the public side's
(register_composer): only public facts travel, the status in plain words and the public
response, masked like on the public page. Internal notes never do.
"""

import hashlib
import logging
import smtplib
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from app.collectors.models import Post
from app.core.validation import is_email_address
from app.extensions import db
from app.models import utcnow
from app.notifications import mail
from app.notifications.models import EmailStatus, ReporterEmail

log = logging.getLogger(__name__)

STATUS, RESPONSE = "status", "response"
#: Set in a report's contact when the reporter asked for no more emails about its case.
EMAILS_OFF = "emails_off"
#: The salt of the signed links that stop a reporter's emails about one case.
STOP_SALT = "reporter-emails-stop"
#: A failing address is retried each dispatch, at most this many times.
MAX_ATTEMPTS = 5

_COMPOSER: dict[str, Callable[[ReporterEmail], tuple[str, str]]] = {}


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
    found: dict[str, str] = {}
    for contact, language in rows:
        if (contact or {}).get(EMAILS_OFF):
            continue
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


def register_composer(composer: Callable[[ReporterEmail], tuple[str, str]]) -> None:
    """Say what the emails to reporters say: `composer(message)` -> (subject, body), run in
    the message's language. The public side registers it (app.public.operations): the plain
    words for statuses and the masking of personal data are its own."""
    _COMPOSER["reporter"] = composer


def compose(message: ReporterEmail) -> tuple[str, str]:
    """Subject and body in the active language, as the registered composer writes them."""
    composer = _COMPOSER.get("reporter")
    if composer is None:
        raise RuntimeError("nothing composes reporter emails: app.public.operations registers it")
    return composer(message)


def _stop_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=STOP_SALT)


def _address_key(address: str | None) -> str:
    """What a stop link holds of an address: a digest, so the address is not in the link."""
    return hashlib.sha256((address or "").strip().lower().encode()).hexdigest()[:32]


def stop_token(case_id: int, address: str) -> str:
    """The signed part of the link, in each email, that stops the emails about one case."""
    return _stop_serializer().dumps([case_id, _address_key(address)])


def read_stop_token(token: str) -> tuple[int, str] | None:
    """(case id, address digest) of a stop link; None for anything this site did not sign."""
    try:
        case_id, key = _stop_serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(case_id, int) or not isinstance(key, str):
        return None
    return case_id, key


def stop_emails(case_id: int, address_key: str) -> int:
    """No more emails about the case to the address (`read_stop_token`'s digest): its reports
    that gave it are marked and the messages still waiting are skipped. Commits; returns the
    reports marked."""
    marked = 0
    posts = db.session.scalars(
        select(Post).where(Post.case_id == case_id, Post.contact.is_not(None))
    ).all()
    for post in posts:
        contact = dict(post.contact or {})
        address = str(contact.get("email") or "")
        if not address or _address_key(address) != address_key or contact.get(EMAILS_OFF):
            continue
        post.contact = {**contact, EMAILS_OFF: True}
        marked += 1
    waiting = db.session.scalars(
        select(ReporterEmail).where(
            ReporterEmail.case_id == case_id, ReporterEmail.status == EmailStatus.pending.value
        )
    )
    for message in waiting:
        if _address_key(message.to_address) == address_key:
            message.status = EmailStatus.skipped.value
    db.session.commit()
    return marked
