"""The triage job: the one entry point collectors hand new posts to.

Safe to run twice and under concurrent workers: each post is locked while it
is processed and skipped once done, so a re-enqueued post is triaged once.
"""

import logging

from sqlalchemy import select

from app.collectors.models import Post, TriageStatus
from app.extensions import db
from app.jobs import job
from app.models import utcnow

log = logging.getLogger(__name__)


def _locked(post_id: int) -> Post | None:
    statement = select(Post).where(Post.id == post_id)
    if db.engine.dialect.name == "postgresql":
        # Another worker holding this post means it is being triaged already: skip it.
        statement = statement.with_for_update(skip_locked=True)
    return db.session.scalar(statement)


@job(queue="triage", timeout=900)
def triage_posts(post_ids: list[int]) -> dict:
    """Triage each post that is not done yet; returns counts of done, skipped and failed."""
    from app.triage.pipeline import process_post

    counts = {"done": 0, "skipped": 0, "failed": 0}
    for post_id in post_ids:
        post = _locked(post_id)
        if post is None or post.triage_status == TriageStatus.done.value:
            db.session.rollback()
            counts["skipped"] += 1
            continue
        post.triage_attempts += 1
        try:
            process_post(post)
        except Exception as error:  # one bad post must not stop the batch
            log.exception("triage failed for post %s", post_id)
            db.session.rollback()
            post = db.session.get(Post, post_id)
            post.triage_attempts += 1
            post.triage_status = TriageStatus.failed.value
            post.triage_error = f"{type(error).__name__}: {error}"[:2000]
            db.session.commit()
            counts["failed"] += 1
            continue
        post.triage_status = TriageStatus.done.value
        post.triaged_at = utcnow()
        post.triage_error = None
        db.session.commit()
        counts["done"] += 1
    return counts
