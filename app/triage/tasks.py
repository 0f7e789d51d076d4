"""The triage job: the one entry point collectors hand new posts to.

Safe to run twice and under concurrent workers: posts are locked while they
are processed and skipped once done, so a re-enqueued post is triaged once.
Posts are committed in small batches, so a worker that dies loses at most the
batch in hand, which the sweeper hands out again.
"""

import logging

from sqlalchemy import select

from app.collectors.models import Post, TriageStatus
from app.extensions import db
from app.jobs import job
from app.models import utcnow

log = logging.getLogger(__name__)

#: Posts analysed per model call and committed together.
MODEL_BATCH = 32


def _lock_pending(post_ids: list[int]) -> list[Post]:
    statement = (
        select(Post)
        .where(Post.id.in_(post_ids), Post.triage_status != TriageStatus.done.value)
        .order_by(Post.id)
    )
    if db.engine.dialect.name == "postgresql":
        # A post another worker holds is being triaged already: skip it.
        statement = statement.with_for_update(skip_locked=True)
    return list(db.session.scalars(statement))


@job(queue="triage", timeout=900)
def triage_posts(post_ids: list[int]) -> dict:
    """Triage the posts that are not done yet; returns counts of done, skipped and failed."""
    counts = {"done": 0, "skipped": 0, "failed": 0}
    for start in range(0, len(post_ids), MODEL_BATCH):
        batch = _triage_batch(post_ids[start : start + MODEL_BATCH])
        for key, value in batch.items():
            counts[key] += value
    return counts


def _triage_batch(post_ids: list[int]) -> dict:
    from app.triage.intake import apply
    from app.triage.pipeline import analyse

    posts = _lock_pending(post_ids)
    counts = {"done": 0, "skipped": len(post_ids) - len(posts), "failed": 0}
    if not posts:
        db.session.rollback()
        return counts
    now = utcnow()
    for post in posts:
        post.triage_attempts += 1
    try:
        analyses = analyse(
            [p.text for p in posts],
            urls=[p.url for p in posts],
            place_texts=[(p.place_hints or {}).get("place_name") for p in posts],
        )
    except Exception as error:  # the model failing must not lose the posts: they retry later
        log.exception("triage model failed on posts %s", post_ids)
        for post in posts:
            _fail(post, error)
        db.session.commit()
        counts["failed"] = len(posts)
        return counts
    for post, analysis in zip(posts, analyses, strict=True):
        try:
            with db.session.begin_nested():
                apply(post, analysis, now)
        except Exception as error:  # one bad post must not stop the batch
            log.exception("triage failed for post %s", post.id)
            _fail(post, error)
            counts["failed"] += 1
            continue
        post.triage_status = TriageStatus.done.value
        post.triaged_at = now
        post.triage_error = None
        counts["done"] += 1
    db.session.commit()
    return counts


def _fail(post: Post, error: Exception) -> None:
    post.triage_status = TriageStatus.failed.value
    post.triage_error = f"{type(error).__name__}: {error}"[:2000]
