"""Running one source: page by page, checkpoint with each page, backoff on failure.

A source that is down records its error and waits (exponentially longer, or
as long as a 429 asked); it never blocks the others, since each source is its
own job.
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.collectors.base import ConfigError, SourceError
from app.collectors.hooks import hand_over_new_posts
from app.collectors.models import Source, Watchlist
from app.collectors.operations import IngestStats, store_posts
from app.collectors.sources import PULL_ADAPTERS, build_adapter
from app.collectors.sources.rss import load_feeds
from app.extensions import db
from app.models import utcnow

#: The longest a failing source waits before it is tried again.
MAX_BACKOFF = timedelta(hours=6)
DEFAULT_INTERVALS = {"rss": 600, "facebook": 900, "youtube": 3600, "x": 900, "zalo": 300}


class UnknownSource(LookupError):
    pass


def ensure_sources() -> list[Source]:
    """One row per pull adapter (RSS with the shipped feed list); new ones start disabled."""
    existing = {s.name: s for s in db.session.scalars(select(Source))}
    for kind in PULL_ADAPTERS:
        if kind not in existing:
            settings = {"RSS_FEEDS": load_feeds()} if kind == "rss" else {}
            db.session.add(
                Source(
                    name=kind,
                    kind=kind,
                    is_enabled=False,
                    settings=settings,
                    checkpoint={},
                    interval_seconds=DEFAULT_INTERVALS.get(kind, 900),
                )
            )
    db.session.commit()
    return db.session.scalars(select(Source).order_by(Source.name)).all()


def _query_terms() -> list[str]:
    rows = db.session.scalars(
        select(Watchlist).where(Watchlist.is_active.is_(True), Watchlist.mode != "none")
    )
    return sorted({term for watchlist in rows for term in watchlist.terms})


def _settings(source: Source) -> dict:
    # Credentials come from the environment/config; the admin's non-secret settings win.
    return {**current_app.config, **(source.settings or {})}


def run_source(
    name: str,
    *,
    max_pages: int = 10,
    progress: Callable[[str], None] = lambda message: None,
    now: datetime | None = None,
    adapter_factory=build_adapter,
) -> IngestStats:
    """Collect one source now; returns the run's stats. Failures are recorded on the source."""
    source = db.session.scalar(select(Source).where(Source.name == name))
    if source is None:
        known = ensure_sources()
        source = next((s for s in known if s.name == name), None)
        if source is None:
            raise UnknownSource(
                f"no source named {name!r}; known: {', '.join(s.name for s in known)}"
            )
    started = now or utcnow()
    stats = IngestStats()
    try:
        adapter = adapter_factory(source.kind, _settings(source))
        for page_number, page in enumerate(
            adapter.fetch_all(source.checkpoint, _query_terms(), max_pages), 1
        ):
            batch = store_posts(page.posts, commit=False)
            for item, reason in page.rejected:
                current_app.logger.info("source %s skipped an item (%s): %s", name, reason, item)
                batch.reject(reason)
            source.checkpoint = page.checkpoint
            db.session.commit()
            hand_over_new_posts(batch.new_ids)
            stats.add(batch)
            progress(f"page {page_number}: {batch.summary()}")
    except (SourceError, ConfigError) as error:
        db.session.rollback()
        _record_failure(source, error, started)
        raise
    else:
        source.last_success_at = started
        source.consecutive_failures = 0
        source.last_error = None
        source.next_run_at = started + timedelta(seconds=source.interval_seconds)
    finally:
        source.last_run_at = started
        source.last_run_stats = stats.as_dict()
        source.items_collected = (source.items_collected or 0) + stats.new
        db.session.commit()
    return stats


def _record_failure(source: Source, error: Exception, started: datetime) -> None:
    source.consecutive_failures = (source.consecutive_failures or 0) + 1
    source.last_error = str(error)[:2000]
    source.last_error_at = started
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        wait = timedelta(seconds=float(retry_after))
    else:
        wait = timedelta(
            seconds=source.interval_seconds * 2 ** min(source.consecutive_failures, 10)
        )
    source.next_run_at = started + min(wait, MAX_BACKOFF)


def due_sources(now: datetime | None = None) -> Iterable[str]:
    """Names of enabled sources whose next run time has come."""
    now = now or utcnow()
    rows = db.session.scalars(select(Source).where(Source.is_enabled.is_(True)))
    return [s.name for s in rows if s.next_run_at is None or s.next_run_at <= now]


def setup_problem(source: Source) -> str | None:
    """Why `source` cannot run with today's settings (the adapter's ConfigError), else None.

    Builds the adapter as a run would, without fetching anything, so the sources page can name
    a missing token before anyone presses "Run now".
    """
    try:
        build_adapter(source.kind, _settings(source))
    except ConfigError as error:
        return str(error)
    except ValueError:  # not a pull adapter
        return None
    return None
