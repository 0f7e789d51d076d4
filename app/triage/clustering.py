"""Clustering: is this post one more mention of an open case, or a new problem?

A post joins an open case when the category matches, the place is compatible,
the case was last seen within the window (72 h by default), and the post's
embedding is similar enough to the case's centroid. Clustering of one category
is serialised with a PostgreSQL advisory lock, so two workers that see two posts
about the same new problem make one case, not two.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select, text

from app.cases.models import Case
from app.extensions import db
from app.triage.models import CaseSignature

DEFAULT_WINDOW = timedelta(hours=72)
#: Cosine similarity of E5 embeddings above which two posts are about the same problem.
#: Measured on the fine-tuned encoder: posts about one problem score 0.44–0.98 with each other
#: (median 0.84–0.87), posts about different problems 0.2 on average (max 0.76).
DEFAULT_THRESHOLD = 0.6
#: Without embeddings (the fallback model) the word overlap of the folded texts is used.
DEFAULT_WORD_THRESHOLD = 0.35
PERSISTS_WITHIN = timedelta(days=30)
OPEN_STATUSES = ("received", "verifying", "in_progress", "waiting")
FINISHED_STATUSES = ("resolved", "responded")


@dataclass(frozen=True)
class PostFeatures:
    category: str
    ward_codes: tuple[str, ...]
    former_district_code: str | None
    embedding: np.ndarray | None
    words: frozenset[str]
    posted_at: datetime


@dataclass(frozen=True)
class Match:
    case_id: int
    similarity: float
    #: The case was finished recently: the post says the problem persists.
    persists: bool = False


def lock_category(category: str) -> None:
    """Serialise clustering per category until the transaction ends (PostgreSQL only)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"cluster:{category}"})


def places_compatible(post: PostFeatures, signature: CaseSignature) -> bool:
    """No contradiction between the places: a side that names none fits anything.

    A district-level place carries all the wards the district became, so a ward
    and its former district overlap.
    """
    case_wards = set(signature.ward_codes or ())
    if not (post.ward_codes or post.former_district_code) or not (case_wards or signature.former_district_code):
        return True
    if post.ward_codes and case_wards:
        return bool(case_wards & set(post.ward_codes))
    if post.former_district_code and signature.former_district_code:
        return post.former_district_code == signature.former_district_code
    return True


def similarity(post: PostFeatures, signature: CaseSignature, words: frozenset[str]) -> float:
    if post.embedding is not None and signature.centroid:
        centroid = np.frombuffer(signature.centroid, dtype=np.float32)
        if centroid.shape == post.embedding.shape:
            norm = float(np.linalg.norm(centroid)) or 1.0
            return float(np.dot(post.embedding, centroid) / norm)
    if not post.words or not words:
        return 0.0
    return len(post.words & words) / len(post.words | words)


def find_match(
    post: PostFeatures,
    *,
    case_words,
    window: timedelta = DEFAULT_WINDOW,
    threshold: float = DEFAULT_THRESHOLD,
    word_threshold: float = DEFAULT_WORD_THRESHOLD,
) -> Match | None:
    """The best open case for the post, else a recently finished one it says persists, else None.

    `case_words(case_id)` gives a case's folded words, for the fallback similarity.
    """
    rows = db.session.execute(
        select(CaseSignature, Case.status, Case.updated_at)
        .join(Case, Case.id == CaseSignature.case_id)
        .where(
            CaseSignature.category == post.category,
            Case.duplicate_of_id.is_(None),
            (Case.status.in_(OPEN_STATUSES) & (CaseSignature.last_post_at >= post.posted_at - window))
            | (Case.status.in_(FINISHED_STATUSES) & (Case.updated_at >= post.posted_at - PERSISTS_WITHIN)),
        )
    ).all()
    best: Match | None = None
    for signature, status, _ in rows:
        if not places_compatible(post, signature):
            continue
        score = similarity(post, signature, case_words(signature.case_id))
        limit = threshold if post.embedding is not None and signature.centroid else word_threshold
        if score < limit:
            continue
        candidate = Match(signature.case_id, score, persists=status in FINISHED_STATUSES)
        # An open case beats a finished one; then the most similar wins.
        if best is None or (best.persists, -best.similarity) > (candidate.persists, -candidate.similarity):
            best = candidate
    return best


def add_to_signature(signature: CaseSignature, post: PostFeatures, source: str, reach: int) -> None:
    """Fold the post into the case's centroid, counts, sources and reach."""
    if post.embedding is not None:
        vector = post.embedding.astype(np.float32)
        if signature.centroid:
            current = np.frombuffer(signature.centroid, dtype=np.float32)
            vector = (current * signature.post_count + vector) / (signature.post_count + 1)
        signature.centroid = vector.astype(np.float32).tobytes()
    signature.post_count += 1
    signature.sources = {**(signature.sources or {}), source: (signature.sources or {}).get(source, 0) + 1}
    signature.reach += reach
    signature.last_post_at = max(signature.last_post_at, post.posted_at) if signature.last_post_at else post.posted_at


def mentions_in_last_hour(case_id: int, now: datetime) -> int:
    from app.collectors.models import Post

    return db.session.scalar(
        select(func.count(Post.id)).where(Post.case_id == case_id, Post.collected_at >= now - timedelta(hours=1))
    )
