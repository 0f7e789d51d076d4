"""What triage keeps: routing rules, each case's clustering signature, and analysts' labels."""

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import UTCDateTime, utcnow
from app.units.models import FormerDistrict, Unit


class RoutingRule(db.Model):
    """Maps a category (and optionally a place) to the unit responsible. Data, edited by admins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Rules are tried in this order; the first match routes the case.
    position: Mapped[int] = mapped_column(Integer, index=True)
    #: A category code, or None for any category.
    category: Mapped[str | None] = mapped_column(String(32))
    #: Only posts placed in this ward (None: anywhere).
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: Only posts placed in this former district (None: anywhere).
    former_district_id: Mapped[int | None] = mapped_column(ForeignKey("former_districts.id"))
    #: The rule applies only when triage found the ward.
    requires_ward: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "unit" routes to target_unit; "ward" routes to the post's own ward.
    target: Mapped[str] = mapped_column(String(16), default="unit")
    target_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: Why the rule exists, shown on the timeline of the cases it routes.
    description: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    ward: Mapped[Unit | None] = relationship(foreign_keys=[ward_id])
    former_district: Mapped[FormerDistrict | None] = relationship()
    target_unit: Mapped[Unit | None] = relationship(foreign_keys=[target_unit_id])


class CaseSignature(db.Model):
    """What clustering compares a new post with: one row per case that triage may add mentions to."""

    __tablename__ = "case_signatures"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), index=True)
    #: The ward codes and former district code the case is about (may be empty).
    ward_codes: Mapped[list] = mapped_column(JSON, default=list)
    former_district_code: Mapped[str | None] = mapped_column(String(16))
    #: Mean of its posts' L2-normalised embeddings (float32 bytes); renormalised on use.
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Sources and reach seen so far.
    sources: Mapped[dict] = mapped_column(JSON, default=dict)
    reach: Mapped[int] = mapped_column(Integer, default=0)
    last_post_at = mapped_column(UTCDateTime, nullable=False)
    model_version: Mapped[str | None] = mapped_column(String(64))


class TriageLabel(db.Model):
    """A person's decision on a post, kept as a labelled example for the next training run."""

    __tablename__ = "triage_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    relevant: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(32))
    ward_code: Mapped[str | None] = mapped_column(String(16))
    #: What the model had said, for measuring how often people correct it.
    model_category: Mapped[str | None] = mapped_column(String(32))
    model_confidence: Mapped[float | None] = mapped_column(Float)
    labelled_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
