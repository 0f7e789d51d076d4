"""Cases, their append-only timeline, the time each took to reach each stage, and the
admin's response templates."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cases.workflow import OPEN_STATUSES
from app.core.vocabulary import CATEGORIES  # noqa: F401  (cases' vocabulary, imported from here)
from app.extensions import db
from app.models import UTCDateTime, utcnow
from app.units.models import FormerDistrict, Unit
from app.users.models import User

PRIORITIES = ("P1", "P2", "P3", "P4")

#: The partial indexes' condition on open cases, as migration a4c7e2b9d815 wrote it.
_OPEN_WHERE = "status IN (" + ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES)) + ")"


class EventKind(enum.StrEnum):
    created = "created"
    status_changed = "status_changed"
    assigned = "assigned"
    transferred = "transferred"
    comment = "comment"
    public_reply = "public_reply"
    merged = "merged"
    merged_into = "merged_into"
    response_submitted = "response_submitted"
    response_approved = "response_approved"
    response_returned = "response_returned"
    updated = "updated"
    sla_at_risk = "sla_at_risk"
    sla_breached = "sla_breached"
    triage = "triage"
    routed = "routed"
    problem_persists = "problem_persists"
    citizen_feedback = "citizen_feedback"
    #: A public note held for a supervisor (internal until approved; see comments.add_comment).
    public_note_submitted = "public_note_submitted"
    public_note_approved = "public_note_approved"
    public_note_rejected = "public_note_rejected"


class Case(db.Model):
    """One real-world problem; many posts and reports can be mentions of it."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_unit_status_created", "unit_id", "status", "created_at"),
        Index("ix_cases_status_created", "status", "created_at"),
        Index("ix_cases_unit_status_next_due", "unit_id", "status", "next_due_at"),
        Index("ix_cases_unit_next_due", "unit_id", "next_due_at", "id"),
        Index("ix_cases_next_due_at", "next_due_at"),
        # The open cases by receipt time, for the backlog (migration a4c7e2b9d815; the
        # statuses are written out so that the planner matches the backlog's query).
        Index(
            "ix_cases_open_created",
            "created_at",
            postgresql_include=["unit_id", "category", "ward_id", "priority"],
            postgresql_where=text(_OPEN_WHERE),
            sqlite_where=text(_OPEN_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public tracking code, e.g. "HCM-7K3M-Q9XW": random, typeable, not enumerable.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: A category code from DESIGN.md.
    category: Mapped[str] = mapped_column(String(32), index=True)
    #: P1 (danger now) … P4 (low).
    priority: Mapped[str] = mapped_column(String(2), default="P3")
    status: Mapped[str] = mapped_column(String(20), default="received")
    #: The unit responsible now.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Today's ward/commune where the problem is.
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: The former district people name, when known.
    former_district_id: Mapped[int | None] = mapped_column(ForeignKey("former_districts.id"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: Where the case came from: citizen, facebook, press, hotline, manual, …
    source: Mapped[str] = mapped_column(String(32), default="manual")
    #: How many posts and reports mention this problem.
    mention_count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: The published answer to citizens.
    public_response: Mapped[str | None] = mapped_column(Text)
    public_response_at = mapped_column(UTCDateTime)
    #: A response written by an officer, waiting for a supervisor's approval.
    pending_response: Mapped[str | None] = mapped_column(Text)
    pending_response_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Why a rejected case was rejected (spam, false_information, out_of_scope, duplicate).
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    #: The case this one duplicates, after a merge.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    #: Possible misinformation: the officer sees it when verifying.
    needs_verification: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Counts reopenings; SLA clocks start a new cycle on each.
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    #: The earliest due time of the SLA clocks still open, for the queue's default sort.
    next_due_at = mapped_column(UTCDateTime)
    #: While `waiting`: the status the case returns to (verifying or in_progress).
    status_before_waiting: Mapped[str | None] = mapped_column(String(20))
    #: Folded (diacritics-free, lower-case) code, title and description for text search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: Optimistic locking: every change bumps it; a stale version is refused.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    ward: Mapped[Unit | None] = relationship(foreign_keys=[ward_id])
    former_district: Mapped[FormerDistrict | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    duplicate_of: Mapped["Case | None"] = relationship(remote_side=[id])
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.id", passive_deletes="all"
    )
    #: Its SLA clocks (app/cases/sla/models.py, which builds on this module: named, not imported).
    sla_clocks = relationship(
        "SlaClock",
        back_populates="case",
        order_by="(SlaClock.cycle, SlaClock.id)",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}


class CaseEvent(db.Model):
    """One entry of a case's timeline. Append-only: never updated, never deleted."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: An EventKind value.
    kind: Mapped[str] = mapped_column(String(32), index=True)
    #: Who did it; None for the system (triage, SLA scans).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    from_value: Mapped[str | None] = mapped_column(String(200))
    to_value: Mapped[str | None] = mapped_column(String(200))
    #: The note, comment or response text.
    body: Mapped[str | None] = mapped_column(Text)
    #: Shown to citizens on the public portal.
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Structured details (reasons, ids, SLA metric…).
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Stage(enum.StrEnum):
    """A stage of handling, counted from the receipt of the case (or its reopening)."""

    verified = "verified"
    resolved = "resolved"
    responded = "responded"


STAGES = tuple(Stage)


class StageTime(db.Model):
    """How long one case took to reach one stage in one cycle.

    Written in the same transaction as the timeline event that reached the stage
    (stage_times.py), with the dimensions the statistics group by copied in, so that a month of
    a million cases is one indexed scan; statistics only read them. `stats rebuild` recomputes
    the rows from the timeline and the SLA clocks.
    """

    # The table keeps the name it had when statistics owned the model.
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


class ResponseTemplate(db.Model):
    """A public-response template per category, edited by admins."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
