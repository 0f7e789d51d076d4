"""Sentiment share and volume by channel over time, read from the hourly counts (hourly_reads.py).

Every result is plain dicts and lists, JSON-serialisable: times are ISO 8601 strings in UTC,
shares are percentages.

- `sentiment_share(start, end)`: positive / neutral / negative posts per local day;
- `volume_by_channel(start, end)`: posts per local day by channel (press, social, direct);
- `counted_posts()`: which posts count: every post that triage did not mark *not relevant*
  (advertising, chit-chat, world news stay out), by the time it was posted (`Post.posted_at`).

Days are local days in the city's time zone (app.core.time.ZONE_NAME).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_

from app.collectors.models import Post
from app.core.vocabulary import CHANNELS
from app.stats.trends import hourly_reads
from app.stats.trends.maths import bucket_index, buckets, granularity_for

SENTIMENTS = ("positive", "neutral", "negative")


def counted_posts():
    """Posts that count: all but those triage marked not relevant."""
    return or_(Post.is_relevant.is_(None), Post.is_relevant.is_(True))


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _share(part: int, total: int) -> float | None:
    return round(100 * part / total, 1) if total else None


def _counts_by_bucket(
    start: datetime, end: datetime, dimension: str, values: Sequence[str], granularity=None
):
    granularity = granularity or granularity_for(start, end)
    periods = buckets(start, end, granularity)
    if not periods:
        return periods, []
    table = [dict.fromkeys(values, 0) for _ in periods]
    found = hourly_reads.series(dimension, start, end, days=granularity != "hour")
    for moment, value, count in found:
        position = bucket_index(moment, periods)
        if position is not None and value in table[position]:
            table[position][value] += count
    return periods, table


def sentiment_share(start: datetime, end: datetime, granularity: str | None = None) -> dict:
    """Positive, neutral and negative posts in each local day (or week, past 92 days) of
    [start, end), counted and as a percentage of the posts with a sentiment that period.

    Returns::

        {"start": iso, "end": iso, "granularity": "day",
         "periods": [{"start": iso, "end": iso, "label": "2026-12-09",
                      "counts": {"positive": 3, "neutral": 5, "negative": 2}, "total": 10,
                      "shares": {"positive": 30.0, "neutral": 50.0, "negative": 20.0}}],
         "counts": {...over the whole range}, "total": n, "shares": {...}}

    Shares are None where a period has no post with a sentiment.
    """
    granularity = granularity or ("day" if end - start <= timedelta(days=92) else "week")
    periods, table = _counts_by_bucket(start, end, "sentiment", SENTIMENTS, granularity)
    rows = []
    totals = dict.fromkeys(SENTIMENTS, 0)
    for period, counts in zip(periods, table, strict=True):
        total = sum(counts.values())
        for key in SENTIMENTS:
            totals[key] += counts[key]
        rows.append(
            {
                "start": iso(period.start),
                "end": iso(period.end),
                "label": period.label,
                "counts": counts,
                "total": total,
                "shares": {key: _share(counts[key], total) for key in SENTIMENTS},
            }
        )
    grand = sum(totals.values())
    return {
        "start": iso(start),
        "end": iso(end),
        "granularity": granularity,
        "periods": rows,
        "counts": totals,
        "total": grand,
        "shares": {key: _share(totals[key], grand) for key in SENTIMENTS},
    }


def volume_by_channel(start: datetime, end: datetime, granularity: str | None = None) -> dict:
    """Posts in each local day (or week, past 92 days) of [start, end) by channel.

    Returns::

        {"start": iso, "end": iso, "granularity": "day",
         "periods": [{"start": iso, "end": iso, "label": "2026-12-09",
                      "counts": {"press": 1, "social": 7, "direct": 2}, "total": 10}],
         "counts": {...over the whole range}, "total": n}
    """
    granularity = granularity or ("day" if end - start <= timedelta(days=92) else "week")
    periods, table = _counts_by_bucket(start, end, "channel", CHANNELS, granularity)
    totals = {key: sum(counts[key] for counts in table) for key in CHANNELS}
    return {
        "start": iso(start),
        "end": iso(end),
        "granularity": granularity,
        "periods": [
            {
                "start": iso(period.start),
                "end": iso(period.end),
                "label": period.label,
                "counts": counts,
                "total": sum(counts.values()),
            }
            for period, counts in zip(periods, table, strict=True)
        ],
        "counts": totals,
        "total": sum(totals.values()),
    }
