"""Notifications for users: shown in the app and sent by email once they are due."""

import enum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
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

    user: Mapped[User] = relationship()
    case = relationship("Case")
