"""Cases, their append-only timeline, and the admin's response templates."""

import enum

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cases.sla_models import SlaClock
from app.extensions import db
from app.models import UTCDateTime, utcnow
from app.units.models import FormerDistrict, Unit
from app.users.models import User

CATEGORIES = (
    "flooding",
    "traffic",
    "environment",
    "urban_order",
    "security",
    "infrastructure",
    "administrative",
    "health",
    "education",
    "other",
)
PRIORITIES = ("P1", "P2", "P3", "P4")


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
    #: A public note held for a supervisor (internal until approved; see operations.add_comment).
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
        Index("ix_cases_next_due_at", "next_due_at"),
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
    sla_clocks: Mapped[list[SlaClock]] = relationship(
        back_populates="case", order_by="(SlaClock.cycle, SlaClock.id)", passive_deletes=True
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


class ResponseTemplate(db.Model):
    """A public-response template per category, edited by admins."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
