"""Recomputing the hourly counts from the posts (`flask stats rebuild-hourly`, app/stats/cli.py).

`rebuild` learns compounds and pairs of words from the latest posts (lexicon.py),
reads the keywords of every post again, then recounts local day by local day: each day in one
transaction that locks the counts against concurrent changes (PostgreSQL), so that triage can
keep running. `scan` is what the counts should hold, read from the posts.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from app.core.time import HCMC
from app.extensions import db
from app.stats.trends import counting, lexicon
from app.stats.trends.hourly import (
    COLUMNS,
    DAILY,
    HOURLY,
    POSTS,
    WORDS,
    apply_changes,
    save_words,
    state_of,
    words_of,
)


def scan(start: datetime | None = None, end: datetime | None = None) -> Counter:
    """(hour, dimension, key) -> count, recomputed from the posts and their stored keywords
    (what the counts should hold)."""
    statement = select(*COLUMNS, WORDS.c.terms).select_from(
        POSTS.join(WORDS, WORDS.c.post_id == POSTS.c.id)
    )
    if start is not None:
        statement = statement.where(POSTS.c.posted_at >= start)
    if end is not None:
        statement = statement.where(POSTS.c.posted_at < end)
    rows = db.session.connection().execute(statement.execution_options(yield_per=5000)).mappings()
    return counting.by_hour(state_of(row, terms=row["terms"]) for row in rows)


def stored(
    start: datetime | None = None, end: datetime | None = None, *, daily: bool = False
) -> Counter:
    """(hour or day, dimension, key) -> count as the table holds it (zeros left out)."""
    table, column = (DAILY, "day") if daily else (HOURLY, "hour")
    statement = select(table.c[column], table.c.dimension, table.c.key, table.c["count"]).where(
        table.c["count"] != 0
    )
    if start is not None:
        statement = statement.where(table.c[column] >= start)
    if end is not None:
        statement = statement.where(table.c[column] < end)
    return Counter({(at, d, k): n for at, d, k, n in db.session.execute(statement)})


def _lock(connection) -> None:
    if connection.dialect.name == "postgresql":
        for table in (HOURLY, DAILY):
            connection.exec_driver_sql(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE")


def recount(start: datetime, end: datetime) -> int:
    """Replace the counts of the local days covering [start, end) by a scan of their posts
    (the stored keywords as they are); commits; returns the rows written."""
    day, written = counting.day_of(start), 0
    while day < end:
        following = day + timedelta(days=1)
        connection = db.session.connection()
        _lock(connection)
        connection.execute(delete(HOURLY).where(HOURLY.c.hour >= day, HOURLY.c.hour < following))
        connection.execute(delete(DAILY).where(DAILY.c.day == day))
        changes = scan(day, following)
        apply_changes(connection, changes)
        db.session.commit()
        written += len(changes)
        day = following
    return written


def resegment(batch_size: int = 2000, progress: Callable[[str], None] | None = None) -> int:
    """Read the keywords of every post again with the lexicon as it is (without moving the
    counts: `recount` afterwards); commits per batch; returns the posts read."""
    progress = progress or (lambda line: None)
    total = db.session.scalar(select(func.count()).select_from(POSTS)) or 0
    began, done, last = time.monotonic(), 0, 0
    while True:
        connection = db.session.connection()
        segmenter = lexicon.segmenter(connection)
        rows = connection.execute(
            select(POSTS.c.id, POSTS.c.posted_at, POSTS.c.is_relevant, POSTS.c.text)
            .where(POSTS.c.id > last)
            .order_by(POSTS.c.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        save_words(
            connection,
            [
                {
                    "post_id": post_id,
                    "posted_at": posted_at,
                    "counted": relevant is not False,
                    "words": words_of(segmenter, text),
                }
                for post_id, posted_at, relevant, text in rows
            ],
        )
        db.session.commit()
        done, last = done + len(rows), rows[-1][0]
        progress(f"  keywords read: {done:,}/{total:,} posts ({time.monotonic() - began:.0f} s)")
    return done


def learn_from_posts(
    limit: int, sample: int = 12_000, progress: Callable[[str], None] | None = None
) -> int:
    """Learn compounds from the `limit` latest posts written with diacritics, then pairs of words
    from a sample of the latest `sample` posts; returns the new lexicon entries."""
    progress = progress or (lambda line: None)
    counted = (POSTS.c.is_relevant.is_(None)) | (POSTS.c.is_relevant.is_(True))
    texts = list(
        db.session.scalars(
            select(POSTS.c.text).where(counted).order_by(POSTS.c.id.desc()).limit(limit)
        )
    )
    learned = 0
    for start in range(0, len(texts), 1000):
        learned += lexicon.learn(texts[start : start + 1000])
        db.session.commit()
        progress(
            f"  compounds: {min(start + 1000, len(texts)):,}/{len(texts):,} posts read, "
            f"{learned:,} new"
        )
    if sample:
        segmenter = lexicon.segmenter()
        recent = db.session.scalars(
            select(POSTS.c.text).where(counted).order_by(POSTS.c.id.desc()).limit(sample)
        )
        pairs = lexicon.learn_pairs([segmenter.words(text) for text in recent])
        db.session.commit()
        progress(f"  pairs of words: {pairs:,} new")
        learned += pairs
    return learned


def rebuild(
    *,
    learn: int = 20_000,
    segment: bool = True,
    batch_size: int = 2000,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Recompute every count from the posts: learn from the latest `learn` posts (0: not),
    read every post's keywords again (unless `segment` is false), then recount day by day.
    Returns the hourly rows written."""
    progress = progress or (lambda line: None)
    began = time.monotonic()
    if learn:
        learn_from_posts(learn, progress=progress)
    if segment:
        resegment(batch_size, progress)
    first, last = db.session.execute(
        select(func.min(POSTS.c.posted_at), func.max(POSTS.c.posted_at))
    ).one()
    db.session.commit()
    if first is None:
        connection = db.session.connection()
        connection.execute(delete(HOURLY))
        connection.execute(delete(DAILY))
        db.session.commit()
        return 0
    written, day = 0, counting.day_of(first)
    days = max(1, (last - day) // timedelta(days=1) + 1)
    for number in range(days):
        start = day + timedelta(days=number)
        written += recount(start, start + timedelta(days=1))
        progress(
            f"  counted day {number + 1}/{days} ({start.astimezone(HCMC):%Y-%m-%d}), "
            f"{written:,} hourly rows ({time.monotonic() - began:.0f} s)"
        )
    # Counts outside the posts' days (left by posts since deleted) go too.
    connection = db.session.connection()
    connection.execute(
        delete(HOURLY).where((HOURLY.c.hour < day) | (HOURLY.c.hour >= day + timedelta(days=days)))
    )
    connection.execute(
        delete(DAILY).where((DAILY.c.day < day) | (DAILY.c.day >= day + timedelta(days=days)))
    )
    db.session.commit()
    return written
