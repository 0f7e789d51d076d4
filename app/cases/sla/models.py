"""SLA data: working calendars, policies (targets per metric) and each case's clocks.

The maths lives in the pure modules maths.py and calendars.py; these rows are
what it is fed with, and what it computed (due and warning times) so that the
periodic scan is a cheap indexed UPDATE.
"""

import enum
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import UTCDateTime, utcnow
from app.units.models import Unit

#: The calendar used when a policy names none.
DEFAULT_CALENDAR_NAME = "default"


class Metric(enum.StrEnum):
    """What a clock measures, from the start of its cycle."""

    #: until verification is done (the case leaves `verifying`, or is rejected);
    verify = "verify"
    #: until the case is `resolved`;
    resolve = "resolve"
    #: until the public response is published (`responded`).
    respond = "respond"


METRICS = tuple(Metric)


class ClockState(enum.StrEnum):
    running = "running"
    #: the case waits for coordination; the clock does not count.
    paused = "paused"
    #: stopped on time.
    met = "met"
    #: its due time passed, whether it is still running or stopped late.
    breached = "breached"
    #: no longer owed: the case was rejected, or a reopening started a new cycle.
    cancelled = "cancelled"


class DayKind(enum.StrEnum):
    #: nobody works although the weekday says so (an extra holiday).
    day_off = "day_off"
    #: a normally free day that is worked ("làm bù"), with Monday's slots.
    make_up = "make_up"


def _new_revision() -> str:
    return uuid.uuid4().hex


class SlaCalendar(db.Model):
    """When working time runs: a time zone, weekly slots, holidays and the admin's exceptions."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique; "default" is the city's office calendar.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: An IANA time zone, e.g. the city's (app.core.time.ZONE_NAME).
    timezone: Mapped[str] = mapped_column(String(64))
    #: A country of the `holidays` package ("VN") whose public holidays apply; None for none.
    holiday_country: Mapped[str | None] = mapped_column(String(8))
    #: Changes on every edit, so each process knows its cached Calendar is stale.
    revision: Mapped[str] = mapped_column(String(32), default=_new_revision)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    slots: Mapped[list["SlaCalendarSlot"]] = relationship(
        back_populates="calendar",
        cascade="all, delete-orphan",
        order_by="(SlaCalendarSlot.weekday, SlaCalendarSlot.start_time)",
    )
    days: Mapped[list["SlaCalendarDay"]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="SlaCalendarDay.day"
    )

    @property
    def is_default(self) -> bool:
        """The city's office calendar, used when a policy names none."""
        return self.name == DEFAULT_CALENDAR_NAME

    def touch(self) -> None:
        """Mark the calendar changed: cached copies and running clocks must follow."""
        self.revision = _new_revision()
        self.updated_at = utcnow()


class SlaCalendarSlot(db.Model):
    """One stretch of working time on a weekday (several per day for the lunch break)."""

    __tablename__ = "sla_calendar_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("sla_calendars.id", ondelete="CASCADE"), index=True
    )
    #: 0 = Monday … 6 = Sunday.
    weekday: Mapped[int] = mapped_column(Integer)
    #: Local wall-clock time the slot starts, in the calendar's zone.
    start_time = mapped_column(Time, nullable=False)
    #: Local wall-clock time the slot ends.
    end_time = mapped_column(Time, nullable=False)

    calendar: Mapped[SlaCalendar] = relationship(back_populates="slots")


class SlaCalendarDay(db.Model):
    """An admin's exception for one date: a day off or a make-up working day."""

    __tablename__ = "sla_calendar_days"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id", ondelete="CASCADE"))
    #: The local date.
    day = mapped_column(Date, nullable=False)
    #: A DayKind value.
    kind: Mapped[str] = mapped_column(String(16))
    #: Why, e.g. "Nghỉ bù Quốc khánh".
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    calendar: Mapped[SlaCalendar] = relationship(back_populates="days")


class SlaPolicy(db.Model):
    """Targets for the three metrics; the first active policy (by position) that matches wins."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The admin's order: lower comes first.
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Matches a category code; None matches any.
    category: Mapped[str | None] = mapped_column(String(32))
    #: Matches P1…P4; None matches any.
    priority: Mapped[str | None] = mapped_column(String(2))
    #: Matches the responsible unit; None matches any.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    #: Matches the case's source (facebook, press, hotline…); None matches any.
    source: Mapped[str | None] = mapped_column(String(32))
    #: Target for `verify` in minutes; None: no verify clock.
    verify_minutes: Mapped[int | None] = mapped_column(Integer)
    #: "working" (calendar slots only) or "calendar" (around the clock).
    verify_counting: Mapped[str] = mapped_column(String(10), default="working")
    #: Target for `resolve` in minutes; None: no resolve clock.
    resolve_minutes: Mapped[int | None] = mapped_column(Integer)
    resolve_counting: Mapped[str] = mapped_column(String(10), default="working")
    #: Target for `respond` in minutes; None: no respond clock.
    respond_minutes: Mapped[int | None] = mapped_column(Integer)
    respond_counting: Mapped[str] = mapped_column(String(10), default="working")
    #: The working calendar; None: the "default" calendar.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("sla_calendars.id"))
    #: A clock is at risk when less than this share of its target is left.
    at_risk_percent: Mapped[int] = mapped_column(Integer, default=20)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    unit: Mapped[Unit | None] = relationship()
    calendar: Mapped[SlaCalendar | None] = relationship()

    def target(self, metric: str) -> tuple[int | None, str]:
        """(minutes or None, counting mode) for a metric."""
        return getattr(self, f"{metric}_minutes"), getattr(self, f"{metric}_counting")


class SlaClock(db.Model):
    """One clock per (case, metric, cycle). Due and warning times are precomputed."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("case_id", "metric", "cycle"),
        # The scan's two UPDATEs read only these partial indexes.
        Index(
            "ix_sla_clocks_running_due",
            "due_at",
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
        Index(
            "ix_sla_clocks_running_warn",
            "warn_at",
            postgresql_where=text("state = 'running' AND warned_at IS NULL"),
            sqlite_where=text("state = 'running' AND warned_at IS NULL"),
        ),
        Index("ix_sla_clocks_stopped_at", "stopped_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: A Metric value.
    metric: Mapped[str] = mapped_column(String(16))
    #: The case's cycle when the clock started; a reopening starts the next one.
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    #: The policy whose target this is (None once that policy is deleted).
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True
    )
    #: The calendar counted on; None means the built-in city calendar.
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_calendars.id", ondelete="SET NULL"), index=True
    )
    #: "working" or "calendar".
    counting: Mapped[str] = mapped_column(String(10), default="working")
    target_seconds: Mapped[int] = mapped_column(Integer)
    #: At risk when less than this share of the target is left.
    at_risk_percent: Mapped[int] = mapped_column(Integer, default=20)
    #: The state; see ClockState.
    state: Mapped[str] = mapped_column(String(12), default=ClockState.running.value)
    started_at = mapped_column(UTCDateTime, nullable=False)
    #: When the target is reached, pauses included (moves later when a pause ends).
    due_at = mapped_column(UTCDateTime, nullable=False)
    #: When the clock becomes at risk.
    warn_at = mapped_column(UTCDateTime, nullable=False)
    #: Closed pauses as [[paused ISO 8601, resumed ISO 8601], …], to recompute exactly.
    pauses: Mapped[list] = mapped_column(JSON, default=list)
    #: The start of the pause going on now, if any.
    paused_at = mapped_column(UTCDateTime)
    #: Counted (working or wall-clock) seconds covered by the closed pauses.
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    stopped_at = mapped_column(UTCDateTime)
    #: Counted seconds from start to the last pause or stop.
    elapsed_seconds: Mapped[int] = mapped_column(Integer, default=0)
    #: When the scan flagged it at risk (and notified).
    warned_at = mapped_column(UTCDateTime)
    #: When the breach was noticed: by the scan, or by a late stop.
    breached_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    case = relationship("Case", back_populates="sla_clocks")
    policy: Mapped[SlaPolicy | None] = relationship()

    @property
    def is_open(self) -> bool:
        """Not stopped yet (running, paused, or breached and still running)."""
        return self.stopped_at is None
