"""What citizens tell the city after a public response, and the reporter's key to say it."""

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cases.models import Case
from app.extensions import db
from app.models import UTCDateTime, utcnow


class CitizenFeedback(db.Model):
    """A citizen's answer to a public response: solved or not, and how satisfied (1–5)."""

    __tablename__ = "citizen_feedback"
    __table_args__ = (Index("ix_citizen_feedback_case_cycle", "case_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: The case's cycle the response belonged to; a reopening starts the next one.
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    #: The citizen says the problem is solved.
    is_solved: Mapped[bool] = mapped_column(Boolean)
    #: Satisfaction from 1 (very unhappy) to 5 (very happy); None when not given.
    score: Mapped[int | None] = mapped_column(Integer)
    #: The "not solved" answer reopened the case (else it was only flagged).
    reopened_case: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    case: Mapped[Case] = relationship()


class FeedbackToken(db.Model):
    """The secret of a report's feedback link, stored as its SHA-256 (the link itself never is).

    Only the person who filed the report receives the link, once; it lets them say
    whether the problem of the case their report joined is solved.
    """

    __tablename__ = "feedback_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The report (a citizen post); refiling the same form replaces its token.
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    #: Hex SHA-256 of the token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
