"""Posts as collected, the sources that collect them, and the watchlists that decide what is kept."""

import enum

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.vocabulary import DIRECT, PRESS, SOCIAL
from app.extensions import db
from app.models import UTCDateTime, utcnow


class TriageStatus(enum.StrEnum):
    #: Stored, not yet handed to triage (or Redis was down when it was).
    pending = "pending"
    #: A triage job has been enqueued.
    queued = "queued"
    done = "done"
    #: Triage raised; the sweeper retries a few times.
    failed = "failed"


#: Source kind -> the channel (app.core.vocabulary.CHANNELS) statistics group it in.
SOURCE_CHANNELS = {
    "facebook": SOCIAL,
    "youtube": SOCIAL,
    "x": SOCIAL,
    "zalo": SOCIAL,
    "rss": PRESS,
    "press": PRESS,
    "citizen": DIRECT,
    "webhook": DIRECT,
    "open311": DIRECT,
    "hotline": DIRECT,
    "import": SOCIAL,
}


def channel_of(source: str) -> str:
    """press, social or direct, from a source name such as "rss" or "webhook:partner"."""
    return SOURCE_CHANNELS.get(source.split(":", 1)[0], SOCIAL)


#: Where a source's posts come from, which decides what a post without a place means.
#: "local": a city group or page, a ward's Zalo account, the citizen form, Open311: a
#: post that names no place is about the city. "national": national press and pages:
#: a post needs a place in the city to become a case.
SCOPES = ("local", "national")
#: Sources that read the national press or search nationwide start as national.
NATIONAL_BY_DEFAULT = ("rss", "youtube", "x")


def default_scope(source: str) -> str:
    """The scope a source has until an admin says otherwise ("rss" -> "national")."""
    return "national" if source.split(":", 1)[0] in NATIONAL_BY_DEFAULT else "local"


def _default_scope_of_row(context) -> str:
    """A new `Source` row's scope when none is given: its kind's `default_scope`."""
    return default_scope(context.get_current_parameters().get("kind") or "")


class Source(db.Model):
    """A configured collector: its schedule, checkpoint and last outcome."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique name, e.g. "facebook", "rss".
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: The adapter that runs it (facebook, youtube, x, zalo, rss).
    kind: Mapped[str] = mapped_column(String(32))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Non-secret settings edited by the admin (e.g. RSS_FEEDS); credentials stay in the environment.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Where the adapter resumes; written with each page of posts.
    checkpoint: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Seconds between runs.
    interval_seconds: Mapped[int] = mapped_column(Integer, default=900)
    next_run_at = mapped_column(UTCDateTime)
    last_run_at = mapped_column(UTCDateTime)
    last_success_at = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at = mapped_column(UTCDateTime)
    #: Failures in a row; drives the exponential backoff.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    #: read/new/duplicate/rejected of the last run.
    last_run_stats: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Posts stored from this source, all time.
    items_collected: Mapped[int] = mapped_column(Integer, default=0)
    #: "local" or "national" (see `SCOPES`); the admin edits it on the sources page.
    scope: Mapped[str] = mapped_column(
        String(16), default=_default_scope_of_row, server_default="local"
    )


class Watchlist(db.Model):
    """Named keywords and phrases that decide what is kept and what sources search for."""

    __tablename__ = "watchlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: topic_monitoring, direct_feedback or trend_analysis.
    purpose: Mapped[str] = mapped_column(String(32), default="topic_monitoring")
    #: any, all or none of the terms.
    mode: Mapped[str] = mapped_column(String(8), default="any")
    terms: Mapped[list] = mapped_column(JSON, default=list)
    #: A post with any of these is never matched.
    must_not: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Post(db.Model):
    """One post, comment, article or report, stored once per (source, external_id)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_posts_source_external_id"),
        Index("ix_posts_triage_status_collected", "triage_status", "collected_at"),
        Index("ix_posts_posted_at", "posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Source name, e.g. "facebook", "rss", "citizen", "webhook:partner".
    source: Mapped[str] = mapped_column(String(64))
    #: The source's own id of the item.
    external_id: Mapped[str] = mapped_column(String(255))
    #: press, social or direct.
    channel: Mapped[str] = mapped_column(String(16), default="social")
    url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    posted_at = mapped_column(UTCDateTime, nullable=False)
    collected_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    likes: Mapped[int | None] = mapped_column(Integer)
    shares: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    views: Mapped[int | None] = mapped_column(Integer)
    media_urls: Mapped[list] = mapped_column(JSON, default=list)
    #: The post this one comments on, when both were collected.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    parent_external_id: Mapped[str | None] = mapped_column(String(255))
    #: Geo tags and place names the source gave.
    place_hints: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Ids of the watchlists the text matched.
    watchlist_ids: Mapped[list] = mapped_column(JSON, default=list)
    #: The source's original item.
    raw: Mapped[dict] = mapped_column(JSON, default=dict)
    #: HMAC of the author's handle: the same author links up, the handle is not stored.
    author_pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The display name, for officers only; never shown publicly.
    author_name: Mapped[str | None] = mapped_column(String(200))
    #: Contact details a citizen gave with consent; internal only.
    contact: Mapped[dict | None] = mapped_column(JSON)
    #: For citizen reports: the tracking code handed back on filing.
    tracking_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    triage_status: Mapped[str] = mapped_column(String(16), default=TriageStatus.pending.value)
    triage_attempts: Mapped[int] = mapped_column(Integer, default=0)
    triage_enqueued_at = mapped_column(UTCDateTime)
    triaged_at = mapped_column(UTCDateTime)
    triage_error: Mapped[str | None] = mapped_column(Text)
    #: The case this post is a mention of, once triage has clustered it.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    #: Triage's decisions; each carries its confidence, and `reasons` says why in words.
    is_relevant: Mapped[bool | None] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[str | None] = mapped_column(String(2))
    sentiment: Mapped[str | None] = mapped_column(String(16))
    #: {"wards": [{"code", "name"}], "former_district": …, "confidence": …}
    place: Mapped[dict | None] = mapped_column(JSON)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    model_version: Mapped[str | None] = mapped_column(String(64))
    #: Waiting for a person in the triage review queue.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    parent: Mapped["Post | None"] = relationship(remote_side=[id])
