"""What statistics and reports keep: stored reports, schedules, subscriptions, alerts."""

import enum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.time import ZONE_NAME
from app.extensions import db
from app.models import UTCDateTime, utcnow
from app.users.models import User


class ReportKind(enum.StrEnum):
    #: Bản tin điểm báo: the last 24 h of press articles grouped by topic.
    morning_digest = "morning_digest"
    #: Báo cáo tổng hợp dư luận: hot topics, new cases, breaches, responses, overdue.
    evening_report = "evening_report"
    #: On demand: one topic, one case or a date range.
    custom = "custom"


REPORT_KINDS = tuple(ReportKind)


class ReportStatus(enum.StrEnum):
    ready = "ready"
    failed = "failed"


class Report(db.Model):
    """A generated report. `data` is a language-neutral snapshot; it is rendered in vi or en."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_kind_created", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A ReportKind value.
    kind: Mapped[str] = mapped_column(String(20))
    #: A ReportStatus value.
    status: Mapped[str] = mapped_column(String(10), default=ReportStatus.ready.value)
    period_start = mapped_column(UTCDateTime, nullable=False)
    period_end = mapped_column(UTCDateTime, nullable=False)
    #: What was asked for: topic, case id, filters.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The computed content (sections, tables, figures).
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    #: None when a scheduled job made it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    created_by: Mapped[User | None] = relationship()


class ReportSchedule(db.Model):
    """When the periodic job makes a kind of report, in local time; set by the admin."""

    __tablename__ = "report_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: morning_digest or evening_report.
    kind: Mapped[str] = mapped_column(String(20), unique=True)
    #: "HH:MM", local time in `timezone`.
    time_of_day: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64), default=ZONE_NAME)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The local date of the last scheduled run, so each day is made once.
    last_run_on = mapped_column(Date)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ReportSubscription(db.Model):
    """A user who gets a kind of report by email, in a language."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    #: "vi" or "en".
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()


class ReportDelivery(db.Model):
    """One report emailed to one subscriber: never sent twice."""

    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: pending, sending (claimed by a worker), sent, skipped (no mail server or address) or failed.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at = mapped_column(UTCDateTime)
    #: When a worker last claimed it (a delivery left `sending` long after is released).
    claimed_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SpikeAlert(db.Model):
    """A 24 h volume above its 7-day baseline + k·σ, for a category, a place or a watchlist."""

    __tablename__ = "spike_alerts"
    __table_args__ = (
        UniqueConstraint("dimension", "key", "window_end"),
        Index("ix_spike_alerts_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: category, place (a ward code) or watchlist (its id).
    dimension: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    #: Shown to people (a ward's name, a watchlist's name; categories are translated).
    label: Mapped[str] = mapped_column(String(200))
    #: The 24 h window ends here (rounded to the hour).
    window_end = mapped_column(UTCDateTime, nullable=False)
    volume: Mapped[int] = mapped_column(Integer)
    baseline_mean: Mapped[float] = mapped_column(Float)
    baseline_std: Mapped[float] = mapped_column(Float)
    k: Mapped[float] = mapped_column(Float)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class PostCountHour(db.Model):
    """Posts that count in the trends, per UTC hour, dimension and key (app/stats/trends/counting.py
    says which). Kept by app/stats/trends/hourly.py as posts are stored, triaged and merged, in the
    same transaction; `flask stats rebuild-hourly` recomputes it from the posts."""

    __tablename__ = "stats_post_counts_hourly"
    __table_args__ = (PrimaryKeyConstraint("dimension", "hour", "key"),)

    dimension: Mapped[str] = mapped_column(String(16))
    hour = mapped_column(UTCDateTime, nullable=False)
    key: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=0)


class PostCountDay(db.Model):
    """The same counts per local day (app.core.time.ZONE_NAME; `day` is its start in UTC), so that a
    week of baseline is seven rows per key rather than 168."""

    __tablename__ = "stats_post_counts_daily"
    __table_args__ = (PrimaryKeyConstraint("dimension", "day", "key"),)

    dimension: Mapped[str] = mapped_column(String(16))
    day = mapped_column(UTCDateTime, nullable=False)
    key: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=0)


class PostWords(db.Model):
    """The keywords of one post's text as read when it was stored (and again when triage read
    it): `words` is [[key, written form, 1 if a place else 0], …] in reading order. Hot
    keywords group their topics from a sample of the `terms`, and pick the form to show from
    the `words`."""

    __tablename__ = "stats_post_words"
    __table_args__ = (
        Index("ix_stats_post_words_posted", "posted_at", "post_id"),
        # A sample of a window: the posts whose id falls in some of 256 buckets.
        Index("ix_stats_post_words_sample", text("(post_id % 256)"), "posted_at"),
    )

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    #: Copied from the post, so that a sample of a window reads this table alone.
    posted_at = mapped_column(UTCDateTime, nullable=False)
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    words: Mapped[list] = mapped_column(JSON, default=list)
    #: The distinct keys of `words` (what the post counts in), and those that are places.
    terms: Mapped[list] = mapped_column(JSON, default=list)
    places: Mapped[list] = mapped_column(JSON, default=list)


class LexiconEntry(db.Model):
    """A compound the keywords read as one word, learned from the posts: what underthesea's
    word segmentation finds in a post written with diacritics (as triage reads it), and pairs
    of words that keep appearing side by side (`flask stats rebuild-hourly`). The phrases of
    app/stats/trends/data/phrases_vi.txt come on top."""

    __tablename__ = "stats_lexicon"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(200), unique=True)
    #: compound (underthesea) or pair (collocation).
    source: Mapped[str] = mapped_column(String(16), default="compound")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
