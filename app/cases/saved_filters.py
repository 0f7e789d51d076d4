"""A user's saved queue filters ("my P1 cases", "late in my unit"): a name and a query string.

Only the queue's filter arguments are kept, checked as the queue checks them, so a saved
filter opens the same list the user saw (without its page number).
"""

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from app.cases.schemas import list_args_from
from app.extensions import db
from app.models import UTCDateTime, utcnow

#: A user keeps at most this many.
MAX_PER_USER = 30
NAME_LENGTH = 80
QUERY_LENGTH = 1000
#: The queue arguments a saved filter keeps, in a stable order (page and page size left out).
FILTER_KEYS = (
    "q",
    "status",
    "category",
    "priority",
    "unit",
    "ward",
    "assignee",
    "sla",
    "created_from",
    "created_to",
    "sort",
)


class SavedFilter(db.Model):
    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    query: Mapped[str] = mapped_column(String(QUERY_LENGTH))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SavedFilterError(Exception):
    """Why a filter was not saved: "name_required", "no_filters", "too_long" or "too_many"."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalized_query(raw: str) -> str:
    """The queue's filter arguments of a query string, checked (ValidationError) and re-encoded."""
    pairs = MultiDict(parse_qsl(raw[: QUERY_LENGTH * 2]))
    args = list_args_from(pairs)
    kept = []
    for key in FILTER_KEYS:
        value = args.get(key)
        if key in ("created_from", "created_to") and value is not None:
            value = pairs.get(key)
        values = value if isinstance(value, list) else [value]
        kept.extend((key, item) for item in values if item not in (None, ""))
    return urlencode(kept)


def for_user(user_id: int) -> list[SavedFilter]:
    return db.session.scalars(
        select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(SavedFilter.name)
    ).all()


def save(user_id: int, name: str, raw_query: str) -> SavedFilter:
    """Save the filters of `raw_query` under `name`; the same name again replaces them."""
    name = " ".join(name.split())[:NAME_LENGTH]
    if not name:
        raise SavedFilterError("name_required")
    query = normalized_query(raw_query)
    if not query:
        raise SavedFilterError("no_filters")
    if len(query) > QUERY_LENGTH:
        raise SavedFilterError("too_long")
    existing = db.session.scalar(
        select(SavedFilter).where(SavedFilter.user_id == user_id, SavedFilter.name == name)
    )
    if existing is not None:
        existing.query = query
        return existing
    count = db.session.scalar(
        select(func.count()).select_from(SavedFilter).where(SavedFilter.user_id == user_id)
    )
    if count >= MAX_PER_USER:
        raise SavedFilterError("too_many")
    saved = SavedFilter(user_id=user_id, name=name, query=query)
    db.session.add(saved)
    return saved


def delete(user_id: int, filter_id: int) -> bool:
    """Delete one of the user's own saved filters; False when there is none with that id."""
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != user_id:
        return False
    db.session.delete(saved)
    return True
