"""Storing what collectors bring in: once per (source, external_id), in batches, then triage.

The order matters for "nothing lost": posts (and the source's checkpoint) are
committed first; only then are they handed on (`hooks.hand_over_new_posts`: triage
enqueues them). If Redis is down at that moment the posts stay `pending` and
triage's sweeper enqueues them later.
"""

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError, StatementError

from app.collectors.base import MAX_EXTERNAL_ID_LENGTH, PostData, check_storable, json_safe
from app.collectors.hooks import run_posts_stored_hooks
from app.collectors.models import Post, Source, TriageStatus, Watchlist, channel_of, default_scope
from app.collectors.watchlists import Watchlist as WatchlistSpec
from app.collectors.watchlists import WatchlistMatcher
from app.extensions import db
from app.models import utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 500
#: Why a post of a pulled source was not kept (a filter, not an error).
NO_WATCHLIST = "no watchlist matched"


def scopes_of(source_names: Iterable[str]) -> dict[str, str]:
    """The scope ("local" or "national") of each post source name, e.g. "rss" or "webhook:x".

    A configured `Source` row decides (by its name, else by the part before ":");
    a source without one (the citizen form, Open311, a webhook partner) has its
    `default_scope`.
    """
    names = set(source_names)
    keys = names | {name.split(":", 1)[0] for name in names}
    configured = dict(
        db.session.execute(select(Source.name, Source.scope).where(Source.name.in_(keys))).all()
    )
    return {
        name: configured.get(name) or configured.get(name.split(":", 1)[0]) or default_scope(name)
        for name in names
    }


@dataclass
class IngestStats:
    """What happened to a batch or a run: the summary line of `collect run`/`collect import`."""

    read: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: Counter = field(default_factory=Counter)
    new_ids: list[int] = field(default_factory=list)
    #: (position in the posts given to `store_posts`, reason) for each post not stored.
    refused: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: "IngestStats") -> None:
        self.read += other.read
        self.new += other.new
        self.duplicate += other.duplicate
        self.rejected.update(other.rejected)
        self.new_ids.extend(other.new_ids)

    def reject(self, reason: str) -> None:
        self.read += 1
        self.rejected[reason] += 1

    def refuse(self, index: int, reason: str) -> None:
        """Count a post that was read but not stored (already counted in `read`)."""
        self.rejected[reason] += 1
        self.refused.append((index, reason))

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": sum(self.rejected.values()),
            "reasons": dict(self.rejected),
        }

    def summary(self, *, with_reasons: bool = True) -> str:
        line = (
            f"read {self.read}, new {self.new}, duplicate {self.duplicate}, "
            f"rejected {sum(self.rejected.values())}"
        )
        if self.rejected and with_reasons:
            reasons = "; ".join(
                f"{reason} ×{count}" for reason, count in self.rejected.most_common(10)
            )
            line += f" ({reasons})"
        return line


_matcher_cache: dict = {}


def current_matcher() -> tuple[WatchlistMatcher | None, bool]:
    """The automaton over the active watchlists (rebuilt when they change), and whether any exist."""
    key = db.session.execute(
        select(func.count(Watchlist.id), func.max(Watchlist.updated_at)).where(
            Watchlist.is_active.is_(True)
        )
    ).one()
    if _matcher_cache.get("key") != tuple(key):
        rows = db.session.scalars(select(Watchlist).where(Watchlist.is_active.is_(True))).all()
        specs = [
            WatchlistSpec(
                id=w.id,
                name=w.name,
                terms=w.terms,
                purpose=w.purpose,
                mode=w.mode,
                must_not=w.must_not or (),
            )
            for w in rows
            if w.terms
        ]
        _matcher_cache.update(key=tuple(key), matcher=WatchlistMatcher(specs) if specs else None)
    return _matcher_cache["matcher"], bool(key[0])


def pseudonymise(handle: str | None) -> str | None:
    """A keyed hash of the author's handle: stable per author, not reversible without the key."""
    if not handle:
        return None
    key = (current_app.config.get("PSEUDONYM_KEY") or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, handle.strip().lower().encode(), hashlib.sha256).hexdigest()[:40]


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _row(post: PostData, watchlist_ids: list, now) -> dict:
    return {
        "source": post.source,
        "external_id": post.external_id[:MAX_EXTERNAL_ID_LENGTH],
        "channel": channel_of(post.source),
        "url": post.url,
        "text": post.text,
        "language": post.language,
        "posted_at": post.posted_at,
        "collected_at": now,
        "likes": post.likes,
        "shares": post.shares,
        "comments": post.comments,
        "views": post.views,
        "media_urls": post.media_urls,
        "parent_external_id": post.parent_external_id,
        "place_hints": json_safe(post.place_hints),
        "watchlist_ids": watchlist_ids,
        "raw": json_safe(post.raw),
        "author_pseudonym": pseudonymise(post.author_handle),
        "author_name": post.author_name,
        "contact": post.contact,
        "triage_status": TriageStatus.pending.value,
        "triage_attempts": 0,
    }


def store_posts(posts: Iterable[PostData], *, commit: bool = True) -> IngestStats:
    """Insert new posts, skip those already stored, drop what no watchlist keeps.

    Direct reports (citizens, webhooks) are always kept; other channels are
    kept when a watchlist matches, or when no watchlist is defined yet.

    A post the database cannot hold is rejected alone (`stats.refused` names it
    by its position in `posts`): each is checked first (`check_storable`), and
    should a batch insert still fail, that batch is stored again row by row,
    each in its own savepoint.
    """
    stats = IngestStats()
    matcher, have_watchlists = current_matcher()
    now = utcnow()
    rows: dict[tuple[str, str], tuple[int, dict]] = {}
    for index, post in enumerate(posts):
        stats.read += 1
        try:
            check_storable(post, truncate_id=True)
            matched = matcher.match(post.text) if matcher else []
            if have_watchlists and not matched and channel_of(post.source) != "direct":
                stats.refuse(index, NO_WATCHLIST)
                continue
            key = (post.source, post.external_id[:MAX_EXTERNAL_ID_LENGTH])
            if key in rows:
                stats.duplicate += 1
                continue
            rows[key] = (index, _row(post, list(matched), now))
        except (ValueError, TypeError, OverflowError) as error:  # InvalidItem is a ValueError
            stats.refuse(index, str(error))
    values = list(rows.values())
    for start in range(0, len(values), BATCH_SIZE):
        _insert_chunk(values[start : start + BATCH_SIZE], stats)
    _link_parents(stats.new_ids)
    run_posts_stored_hooks(stats.new_ids)  # the trends count them from now on
    if commit:
        db.session.commit()
    return stats


def _insert_statement(rows: list[dict]):
    return (
        _insert()(Post)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(Post.id)
    )


#: Errors that say the database is unwell, not the row: they propagate, nothing is dropped.
_NOT_THE_ROW = (OperationalError, InterfaceError, InternalError)


def _insert_chunk(chunk: list[tuple[int, dict]], stats: IngestStats) -> None:
    """Insert a chunk in one statement; if the database refuses it, row by row.

    A refused row is one the database cannot hold (a `DataError` such as a NUL,
    or a `ValueError` from encoding a lone surrogate); a lost connection raises.
    """
    try:
        with db.session.begin_nested():
            inserted = list(db.session.scalars(_insert_statement([row for _, row in chunk])))
    except (StatementError, ValueError) as error:
        if isinstance(error, _NOT_THE_ROW):
            raise
        log.warning(
            "a batch of %d posts was refused (%s); storing it row by row", len(chunk), error
        )
    else:
        stats.new += len(inserted)
        stats.duplicate += len(chunk) - len(inserted)
        stats.new_ids.extend(inserted)
        return
    for index, row in chunk:
        try:
            with db.session.begin_nested():
                inserted = list(db.session.scalars(_insert_statement([row])))
        except (StatementError, ValueError) as error:
            if isinstance(error, _NOT_THE_ROW):
                raise
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            stats.refuse(index, f"the database refused it: {reason[:200]}")
            continue
        stats.new += len(inserted)
        stats.duplicate += 1 - len(inserted)
        stats.new_ids.extend(inserted)


def _link_parents(post_ids: list[int]) -> None:
    """Point comments at their parent post when the parent was collected from the same source."""
    if not post_ids:
        return
    children = db.session.scalars(
        select(Post).where(Post.id.in_(post_ids), Post.parent_external_id.is_not(None))
    ).all()
    for child in children:
        child.parent_id = db.session.scalar(
            select(Post.id).where(
                Post.source == child.source, Post.external_id == child.parent_external_id
            )
        )
