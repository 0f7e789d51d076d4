"""Collection on a schedule: one job per due source.

(The sweeper that hands posts left behind to triage again is triage's:
`app.triage.tasks.sweep_pending_posts`.)
"""

import logging
from datetime import timedelta

from sqlalchemy import select

from app.collectors.base import ConfigError, SourceError
from app.collectors.models import Source
from app.collectors.runner import due_sources, run_source
from app.extensions import db
from app.jobs import QueueUnavailable, enqueue, job, periodic
from app.models import utcnow

log = logging.getLogger(__name__)


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
