"""Collection on a schedule: one job per due source, and a sweeper so no post is left behind."""

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from app.collectors.base import ConfigError, SourceError
from app.collectors.models import Post, Source, TriageStatus
from app.collectors.operations import enqueue_triage
from app.collectors.runner import due_sources, run_source
from app.extensions import db
from app.jobs import QueueUnavailable, enqueue, job, periodic
from app.models import utcnow

log = logging.getLogger(__name__)

#: A queued post not done after this long is assumed lost with its worker.
STALE_QUEUED_AFTER = timedelta(minutes=15)
MAX_TRIAGE_ATTEMPTS = 5


@periodic(interval=60)
def schedule_collection() -> list[str]:
    """Enqueue a collect job for every source that is due, each on its own."""
    names = list(due_sources())
    now = utcnow()
    for name in names:
        source = db.session.scalar(select(Source).where(Source.name == name))
        # Claim the slot first, so the next tick does not enqueue the same source again.
        source.next_run_at = now + timedelta(seconds=source.interval_seconds)
        db.session.commit()
        try:
            enqueue(collect_source, name)
        except QueueUnavailable as error:
            log.warning("could not enqueue collection of %s: %s", name, error)
    return names


@job(queue="collect", timeout=1800)
def collect_source(name: str) -> dict:
    """Collect one source; its failure is recorded on the source and stays there."""
    try:
        return run_source(name).as_dict()
    except (SourceError, ConfigError) as error:
        log.warning("source %s failed: %s", name, error)
        return {"error": str(error)}


@periodic(interval=300)
def sweep_pending_posts(limit: int = 5000) -> int:
    """Re-enqueue posts that never reached triage or whose worker died; returns how many."""
    now = utcnow()
    statement = (
        select(Post.id)
        .where(
            or_(
                Post.triage_status == TriageStatus.pending.value,
                (Post.triage_status == TriageStatus.queued.value)
                & (Post.triage_enqueued_at < now - STALE_QUEUED_AFTER),
                (Post.triage_status == TriageStatus.failed.value)
                & (Post.triage_attempts < MAX_TRIAGE_ATTEMPTS),
            )
        )
        .order_by(Post.id)
        .limit(limit)
    )
    post_ids = list(db.session.scalars(statement))
    if post_ids:
        enqueue_triage(post_ids)
        log.info("sweeper re-enqueued %d posts for triage", len(post_ids))
    return len(post_ids)
