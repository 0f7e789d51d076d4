"""Applying triage to stored posts: record the decision, then join, flag or open a case.

Runs inside the triage job's transaction; each post gets a savepoint, so one
bad post does not undo the batch.
"""

from datetime import datetime

from sqlalchemy import select

from app.cases import operations
from app.cases.models import Case, EventKind
from app.collectors.models import Post
from app.extensions import db
from app.triage import clustering
from app.triage.models import CaseSignature
from app.triage.pipeline import PLACE_THRESHOLD, Analysis
from app.triage.routing import route
from app.triage.signals import assess
from app.units.models import FormerDistrict, Unit

PRIORITY_ORDER = ("P1", "P2", "P3", "P4")
TITLE_LENGTH = 140


def apply(post: Post, analysis: Analysis, now: datetime) -> None:
    """Store the decision on the post and, when it is confident and relevant, link it to a case."""
    post.is_relevant = analysis.relevant
    post.category = analysis.category
    post.confidence = analysis.confidence
    post.priority = analysis.priority
    post.sentiment = analysis.sentiment
    post.place = analysis.place
    post.flags = analysis.flags
    post.reasons = analysis.reasons
    post.model_version = analysis.model_version
    post.needs_review = analysis.needs_review
    if analysis.relevant and not analysis.needs_review:
        link_to_case(post, analysis, now)


def _place(analysis: Analysis) -> tuple[tuple[str, ...], str | None]:
    place = analysis.place
    if not place or place["confidence"] < PLACE_THRESHOLD:
        return (), None
    district = place.get("former_district")
    return tuple(w["code"] for w in place["wards"]), district["code"] if district else None


def _case_words(case_id: int) -> frozenset[str]:
    return frozenset((db.session.scalar(select(Case.search_text).where(Case.id == case_id)) or "").split())


def link_to_case(post: Post, analysis: Analysis, now: datetime, category: str | None = None) -> Case:
    """Join the post to its case (or open one), under the category's clustering lock."""
    category = category or analysis.category
    ward_codes, district_code = _place(analysis)
    features = clustering.PostFeatures(
        category=category, ward_codes=ward_codes, former_district_code=district_code,
        embedding=analysis.embedding, words=analysis.words, posted_at=post.posted_at,
    )
    clustering.lock_category(category)
    match = clustering.find_match(features, case_words=_case_words)
    reach = sum(v or 0 for v in (post.likes, post.shares, post.comments))
    if match is None:
        case = _open_case(post, analysis, features, now)
    else:
        case = db.session.get(Case, match.case_id)
        _add_mention(case, post, analysis, match, now)
    signature = db.session.get(CaseSignature, case.id)
    clustering.add_to_signature(signature, features, post.source, reach)
    post.case_id = case.id
    return case


def _open_case(post: Post, analysis: Analysis, features, now: datetime) -> Case:
    ward = None
    if len(features.ward_codes) == 1:
        ward = db.session.scalar(select(Unit).where(Unit.code == features.ward_codes[0]))
    district = None
    if features.former_district_code:
        district = db.session.scalar(select(FormerDistrict).where(FormerDistrict.code == features.former_district_code))
    decision = route(features.category, ward, district.id if district else None)
    text = " ".join(post.text.split())
    title = text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    case = operations.open_case_for_post(
        {
            "title": title,
            "description": post.text,
            "category": features.category,
            "priority": analysis.priority or "P3",
            "ward": ward.code if ward else None,
            "source": post.source.split(":", 1)[0],
        },
        unit=decision.unit,
        former_district=district,
        needs_verification="needs_verification" in analysis.flags,
        first_seen_at=post.posted_at,
        now=now,
    )
    # A case opened from a citizen's report answers to the code the citizen was given.
    if post.tracking_code and db.session.scalar(select(Case.id).where(Case.code == post.tracking_code)) is None:
        case.code = post.tracking_code
        operations.refresh_search_text(case)
    operations.record_event(
        case, EventKind.triage, None, body="; ".join(analysis.reasons),
        data={"post_id": post.id, "model_version": analysis.model_version, "confidence": analysis.confidence},
        at=now,
    )
    operations.record_event(
        case, EventKind.routed, None, to_value=decision.unit.code, body=decision.reason,
        data={"rule_id": decision.rule_id}, at=now,
    )
    db.session.add(CaseSignature(
        case_id=case.id, category=features.category, ward_codes=list(features.ward_codes),
        former_district_code=features.former_district_code, post_count=0, sources={}, reach=0,
        last_post_at=post.posted_at, model_version=analysis.model_version,
    ))
    db.session.flush()
    return case


def _add_mention(case: Case, post: Post, analysis: Analysis, match, now: datetime) -> None:
    case.mention_count += 1
    case.first_seen_at = min(case.first_seen_at, post.posted_at)
    case.last_seen_at = max(case.last_seen_at, post.posted_at)
    case.updated_at = now
    if match.persists:
        operations.record_event(
            case, EventKind.problem_persists, None, body=post.text[:2000],
            data={"post_id": post.id, "similarity": round(match.similarity, 3)}, at=now,
        )
        return
    operations.record_event(
        case, EventKind.triage, None, body=f"new mention from {post.source} (similarity {match.similarity:.2f})",
        data={"post_id": post.id, "similarity": round(match.similarity, 3)}, at=now,
    )
    signals = assess(post.text, case.category, mentions_last_hour=clustering.mentions_in_last_hour(case.id, now) + 1)
    if PRIORITY_ORDER.index(signals.priority) < PRIORITY_ORDER.index(case.priority):
        operations.record_event(case, EventKind.updated, None, from_value=case.priority, to_value=signals.priority,
                                body="; ".join(signals.reasons), data={"field": "priority"}, at=now)
        case.priority = signals.priority
