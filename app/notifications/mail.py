"""Sending one email through the SMTP server in the MAIL_* settings."""

import smtplib
from collections.abc import Iterable
from email.message import EmailMessage

from flask import current_app


def send_email(to: str, subject: str, body: str) -> None:
    """Send a plain-text email; raises smtplib.SMTPException or OSError on failure."""
    _deliver(_message(to, subject, body))


def send_email_with_attachments(
    to: str, subject: str, body: str, attachments: Iterable[tuple[str, str, bytes]]
) -> None:
    """Send a plain-text email with files attached, each as (filename, mimetype, content).

    Raises smtplib.SMTPException or OSError on failure, like send_email.
    """
    message = _message(to, subject, body)
    for filename, mimetype, content in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    _deliver(message)


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
