"""Option lists of the queue's filter form that change rarely, cached in each process.

The ward list (226 wards, communes and special zones) is the same for every officer and every
page; it is read once and kept for TTL_SECONDS. A change to a unit made through this process
(the admin screens, `flask units load`) forgets it at once; other processes see it within the TTL.
"""

import threading
import time

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.units.models import LOCAL_KINDS, Unit

TTL_SECONDS = 300.0

_lock = threading.Lock()
_wards: tuple[float, tuple[tuple[str, str], ...]] | None = None


def ward_choices() -> tuple[tuple[str, str], ...]:
    """(code, Vietnamese name) of every ward, commune and special zone, by name."""
    global _wards
    cached = _wards
    if cached is not None and time.monotonic() - cached[0] < TTL_SECONDS:
        return cached[1]
    rows = db.session.execute(
        select(Unit.code, Unit.name_vi)
        .where(Unit.kind.in_([kind.value for kind in LOCAL_KINDS]))
        .order_by(Unit.name_vi)
    ).all()
    wards = tuple((code, name) for code, name in rows)
    with _lock:
        _wards = (time.monotonic(), wards)
    return wards


def forget() -> None:
    """Drop the cached lists; the next page reads them again."""
    global _wards
    with _lock:
        _wards = None


@event.listens_for(Session, "after_flush")
def _note_changed_units(session, _flush_context) -> None:
    if any(isinstance(obj, Unit) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["units_changed"] = True
        forget()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_units_at_the_end(session) -> None:
    # Forgotten again when the transaction ends: a list read between the flush and the commit
    # (another session's, still the old one) or the rollback (this session's, undone) is stale.
    if session.info.pop("units_changed", False):
        forget()
