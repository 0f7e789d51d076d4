"""What statistics and reports keep: stage times, stored reports, schedules, subscriptions, alerts."""

import enum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import UTCDateTime, utcnow
from app.users.models import User


class Stage(enum.StrEnum):
    """A stage of handling, counted from the receipt of the case (or its reopening)."""

    verified = "verified"
    resolved = "resolved"
    responded = "responded"


STAGES = tuple(Stage)


class StageTime(db.Model):
    """How long one case took to reach one stage in one cycle.

    Written in the same transaction as the timeline event that reached the stage, with the
    dimensions the statistics group by copied in, so that a month of a million cases is one
    indexed scan. `stats rebuild` recomputes the rows from the timeline and the SLA clocks.
    """

    __tablename__ = "stats_stage_times"
    __table_args__ = (
        UniqueConstraint("case_id", "cycle", "stage"),
        # Covering: a month of a stage grouped by any dimension is an index-only scan.
        Index(
            "ix_stats_stage_times_stage_stopped_cover",
            "stage",
            "stopped_at",
            postgresql_include=[
                "unit_id",
                "category",
                "source",
                "ward_id",
                "former_district_id",
                "working_seconds",
                "calendar_seconds",
                "on_time",
            ],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    #: A Stage value.
    stage: Mapped[str] = mapped_column(String(16))
    #: The receipt of the case, or of its reopening for a later cycle.
    started_at = mapped_column(UTCDateTime, nullable=False)
    #: When the stage was reached: the time of the timeline event.
    stopped_at = mapped_column(UTCDateTime, nullable=False)
    #: Working time between the two on the case's calendar, waiting excluded.
    working_seconds: Mapped[int] = mapped_column(Integer)
    #: Wall-clock time between the two.
    calendar_seconds: Mapped[int] = mapped_column(Integer)
    #: The SLA target of the matching clock, if there was one.
    target_seconds: Mapped[int | None] = mapped_column(Integer)
    #: Met the SLA (None when no clock measured this stage).
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    # The dimensions at the time the stage was reached.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(2))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    former_district_id: Mapped[int | None] = mapped_column(ForeignKey("former_districts.id"))


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
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
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
