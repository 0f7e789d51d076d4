"""Creating, listing and reading notifications; tasks.py hands their emails to the queue.

Domains register how each kind reads with `register_renderer`, so this module
knows nothing about cases or deadlines.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from app.core.bulk import insert_rows
from app.extensions import db
from app.models import utcnow
from app.notifications import preferences
from app.notifications.models import EmailStatus, Notification
from app.users.models import User

#: A failing address is retried each dispatch, at most this many times.
MAX_EMAIL_ATTEMPTS = 5


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str
    #: A path inside the app, e.g. "/cases/12".
    path: str | None = None


_RENDERERS: dict[str, Callable[[Notification], Rendered]] = {}


def register_renderer(kind: str, renderer: Callable[[Notification], Rendered]) -> None:
    """Say how notifications of `kind` read; the renderer runs in the reader's language."""
    _RENDERERS[kind] = renderer


def render(notification: Notification) -> Rendered:
    renderer = _RENDERERS.get(notification.kind)
    if renderer is None:
        return Rendered(notification.kind, "", None)
    return renderer(notification)


def add_notifications(rows: list[dict]) -> int:
    """Insert notifications in the caller's transaction (keys: user_id, kind, case_id,
    data, dedupe_key, deliver_at); returns how many.

    The users' settings apply: a kind switched off on both channels is not stored,
    one switched off in the app is emailed only, one switched off by email is not emailed.
    """
    if not rows:
        return 0
    now = utcnow()
    values = [
        {
            "case_id": None,
            "data": {},
            "dedupe_key": None,
            "deliver_at": now,
            **row,
            "created_at": row.get("created_at", now),
            "email_attempts": 0,
        }
        for row in rows
    ]
    return insert_rows(Notification.__table__, with_preferences(values))


def with_preferences(rows: list[dict]) -> list[dict]:
    """The rows the users want, each with `in_app` and `email_status` set from their settings."""
    kept = []
    for kind in sorted({row["kind"] for row in rows}):
        of_kind = [row for row in rows if row["kind"] == kind]
        choices = preferences.choices_for((row["user_id"] for row in of_kind), kind)
        for row in of_kind:
            choice = choices[row["user_id"]]
            if not choice.wanted:
                continue
            status = EmailStatus.pending if choice.email else EmailStatus.skipped
            kept.append({**row, "in_app": choice.in_app, "email_status": status.value})
    return kept


def add_notification_objects(rows: list[dict]) -> list[Notification]:
    """Like add_notifications, as ORM objects added to the session: a row may carry
    `case` (a Case not flushed yet) instead of `case_id`. For use during a flush."""
    now = utcnow()
    objects = []
    for row in with_preferences(rows):
        values = {"data": {}, "deliver_at": now, "created_at": now, "email_attempts": 0, **row}
        notification = Notification(**values)
        db.session.add(notification)
        objects.append(notification)
    return objects


def _visible(user: User, now: datetime):
    return select(Notification).where(
        Notification.user_id == user.id,
        Notification.deliver_at <= now,
        Notification.in_app.is_(True),
    )


def unread_count(user: User, now: datetime | None = None) -> int:
    statement = _visible(user, now or utcnow()).where(Notification.read_at.is_(None))
    return db.session.scalar(select(func.count()).select_from(statement.subquery()))


def list_for(user: User, now: datetime | None = None, limit: int = 100) -> list[Notification]:
    """The user's delivered notifications, newest first."""
    statement = _visible(user, now or utcnow()).order_by(
        Notification.deliver_at.desc(), Notification.id.desc()
    )
    return list(db.session.scalars(statement.limit(limit)))


def mark_read(user: User, notification_id: int | None = None) -> Notification | None:
    """Mark one notification (or, without an id, all of them) read; returns the one."""
    now = utcnow()
    if notification_id is None:
        db.session.execute(
            update(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.read_at.is_(None),
                Notification.in_app.is_(True),
            )
            .values(read_at=now)
        )
        db.session.commit()
        return None
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id or not notification.in_app:
        return None
    notification.read_at = notification.read_at or now
    db.session.commit()
    return notification
