"""The human review queue: posts triage was unsure of wait here for an analyst.

A decision is kept as a labelled example (TriageLabel) for the next training
run, and a relevant post then goes on to its case like any confident one.
"""

import json
from collections.abc import Iterator

from sqlalchemy import select

from app.cases.models import CATEGORIES
from app.collectors.models import Post
from app.extensions import db
from app.models import utcnow
from app.triage.intake import link_to_case
from app.triage.models import TriageLabel
from app.triage.pipeline import analyse
from app.units.models import LOCAL_KINDS, Unit
from app.users.models import User


class ReviewError(ValueError):
    pass


def review_queue():
    """A select() of the posts waiting for a person, oldest first."""
    return select(Post).where(Post.needs_review.is_(True)).order_by(Post.collected_at, Post.id)


def decide(
    post: Post, reviewer: User, *, relevant: bool, category: str | None, ward_code: str | None
) -> TriageLabel:
    """Record an analyst's decision on a post and act on it; commits."""
    if not post.needs_review:
        raise ReviewError("this post is not waiting for review")
    if relevant and category not in CATEGORIES:
        raise ReviewError("choose the category of a relevant post")
    ward = None
    if ward_code:
        ward = db.session.scalar(
            select(Unit).where(
                Unit.code == ward_code, Unit.kind.in_([k.value for k in LOCAL_KINDS])
            )
        )
        if ward is None:
            raise ReviewError(f"no ward with code {ward_code}")
    label = TriageLabel(
        post_id=post.id,
        text=post.text,
        relevant=relevant,
        category=category if relevant else None,
        ward_code=ward.code if ward else None,
        model_category=post.category,
        model_confidence=post.confidence,
        labelled_by_id=reviewer.id,
    )
    db.session.add(label)
    post.needs_review = False
    post.is_relevant = relevant
    post.category = category if relevant else None
    post.reasons = [*(post.reasons or []), f"reviewed by {reviewer.email}"]
    if ward:
        post.place = {
            "wards": [{"code": ward.code, "name": ward.name_vi}],
            "former_district": None,
            "confidence": 1.0,
            "level": "ward",
            "reason": f"chosen by {reviewer.email}",
        }
    if relevant:
        analysis = analyse([post.text])[0]
        analysis.category = category
        analysis.place = post.place
        link_to_case(post, analysis, utcnow(), category=category)
    db.session.commit()
    return label


def export_labels() -> Iterator[str]:
    """The analysts' labels as JSON lines in the training data's format."""
    for label in db.session.scalars(select(TriageLabel).order_by(TriageLabel.id)):
        yield json.dumps(
            {
                "id": f"review-{label.id}",
                "text": label.text,
                "relevant": label.relevant,
                "category": label.category,
                "sentiment": None,
                "priority": None,
                "style": "review",
            },
            ensure_ascii=False,
        )
