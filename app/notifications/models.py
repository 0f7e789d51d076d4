"""Notifications for users: shown in the app and sent by email once they are due."""

import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import UTCDateTime, utcnow
from app.users.models import User


class EmailStatus(enum.StrEnum):
    #: waits for its delivery time, or for the dispatcher.
    pending = "pending"
    #: a send job is on the `emails` queue.
    queued = "queued"
    sent = "sent"
    #: no SMTP server is configured, or the user has no address: in-app only.
    skipped = "skipped"
    #: gave up after MAX_EMAIL_ATTEMPTS.
    failed = "failed"


class Notification(db.Model):
    """One message to one user. Domains register how each `kind` reads (see operations)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_user_read_deliver", "user_id", "read_at", "deliver_at"),
        Index("ix_notifications_email_status_deliver", "email_status", "deliver_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What happened, e.g. "sla_at_risk", "sla_breached".
    kind: Mapped[str] = mapped_column(String(32))
    #: The case it is about, if any.
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    #: Details the renderer of the kind needs (metric, due time…).
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The same key is never notified twice to the same user.
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: Shown and emailed from then on (the next working hour, except for urgent ones).
    deliver_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at = mapped_column(UTCDateTime)
    #: An EmailStatus value.
    email_status: Mapped[str] = mapped_column(String(10), default=EmailStatus.pending.value)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    emailed_at = mapped_column(UTCDateTime)
    #: Shown on /notifications; False when the user switched the kind off in the app but
    #: still wants its email (see preferences).
    in_app: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")

    user: Mapped[User] = relationship()
    case = relationship("Case")


class NotificationSettings(db.Model):
    """One user's choices: which kinds they do not want, per channel, and digest mode.

    No row means the defaults: every kind in the app and by email, one email per dispatch.
    """

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: "kind:channel" entries switched off, e.g. ["new_p1:email", "case_mention:app"].
    disabled: Mapped[list] = mapped_column(JSON, default=list)
    #: One email an hour gathering the notifications not yet emailed, instead of one each.
    digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ReporterEmail(db.Model):
    """An email to a citizen who gave an address with their report (outbox, sent by a job).

    Written in the transaction of the change it tells about; holds only public facts
    (the new status, the public response), never internal notes.
    """

    __tablename__ = "reporter_emails"
    __table_args__ = (Index("ix_reporter_emails_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    #: The citizen's language (the report's), e.g. "vi".
    locale: Mapped[str] = mapped_column(String(8))
    #: "status" (the status changed) or "response" (the public response was published).
    kind: Mapped[str] = mapped_column(String(16))
    #: {"status": …} and, for a response, {"text": …}.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: An EmailStatus value.
    status: Mapped[str] = mapped_column(String(10), default=EmailStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)

    case = relationship("Case")
