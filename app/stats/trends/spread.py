"""Press versus social media: how a case or a topic spread through each channel.

For a case or a topic (a keyword query), per channel type (press, social, direct):

- the volume over time (posts per hour, local day or local week, depending on the span);
- when the channel first saw it (its earliest post) and how long after the first channel;
- its reach.

**Reach** of one post is its views when the source reports views (video, some press sites),
otherwise its interactions: likes + shares + comments. Views and interactions overlap (who
liked also viewed), so they are never added; interactions are a lower bound of the people
reached. A channel's reach is the sum over its posts. The sums of likes, shares, comments
and views are given too, so a reader can weigh them differently. An article from a feed
that reports nothing reaches 0 here; its `posts` count still shows it.

What the other parts of the app call: `spread_for_case(case)` and
`spread_for_topic(q, start, end)`; both return plain dicts, JSON-serialisable (times are ISO
8601 strings in UTC).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, select

from app.cases.models import Case
from app.collectors.models import Post
from app.collectors.watchlists import Watchlist, WatchlistMatcher
from app.core.text import fold
from app.core.vocabulary import CHANNELS
from app.extensions import db
from app.stats.trends.maths import bucket_index, buckets, granularity_for
from app.stats.trends.queries import counted_posts, iso

#: The longest range a topic is searched over (its posts are read and matched one by one).
MAX_TOPIC_DAYS = 92
#: The longest query accepted.
MAX_QUERY_LENGTH = 200

_COLUMNS = (
    Post.id,
    Post.posted_at,
    Post.channel,
    Post.source,
    Post.url,
    Post.likes,
    Post.shares,
    Post.comments,
    Post.views,
)


def reach_of(likes: int | None, shares: int | None, comments: int | None, views: int | None) -> int:
    """One post's reach: its views when reported, else likes + shares + comments.

    >>> reach_of(10, 2, 3, None), reach_of(10, 2, 3, 500), reach_of(None, None, None, 0)
    (15, 500, 0)
    """
    if views:
        return views
    return (likes or 0) + (shares or 0) + (comments or 0)


def topic_terms(q: str) -> list[str]:
    """The alternatives of a topic query: comma- or semicolon-separated phrases, each matched
    as whole words without regard to case or diacritics ("kẹt xe, ùn tắc")."""
    parts = [" ".join(part.split()) for part in q.replace(";", ",").split(",")]
    return [part for part in parts if fold(part)]


def topic_matcher(q: str) -> WatchlistMatcher:
    """Matches posts that contain any of the query's phrases (also as a #hashtag)."""
    return WatchlistMatcher([Watchlist(id=1, name="topic", terms=tuple(topic_terms(q)))])


def summarise(
    rows: Iterable[tuple], start: datetime | None = None, end: datetime | None = None
) -> dict:
    """The spread of a set of posts (pure): `rows` are (id, posted_at, channel, source, url,
    likes, shares, comments, views). Without `start`/`end`, the range is from the first post's
    hour to just after the last post. See `spread_for_case` for the shape."""
    rows = sorted(rows, key=lambda row: (row[1], row[0]))
    if start is None or end is None:
        if rows:
            start = rows[0][1].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            end = max(rows[-1][1] + timedelta(seconds=1), start + timedelta(hours=1))
        else:
            start = end = None
    periods = buckets(start, end, granularity_for(start, end)) if start else []
    series = {channel: [0] * len(periods) for channel in CHANNELS}
    channels: dict[str, dict] = {
        channel: {
            "channel": channel,
            "posts": 0,
            "first_seen_at": None,
            "first_post": None,
            "lag_hours": None,
            "likes": 0,
            "shares": 0,
            "comments": 0,
            "views": 0,
            "interactions": 0,
            "reach": 0,
        }
        for channel in CHANNELS
    }
    for post_id, posted_at, channel, source, url, likes, shares, comments, views in rows:
        entry = channels.get(channel)
        if entry is None:
            continue
        entry["posts"] += 1
        if entry["first_seen_at"] is None:
            entry["first_seen_at"] = posted_at
            entry["first_post"] = {
                "id": post_id,
                "source": source,
                "url": url,
                "posted_at": iso(posted_at),
            }
        for key, value in (("likes", likes), ("shares", shares), ("comments", comments)):
            entry[key] += value or 0
            entry["interactions"] += value or 0
        entry["views"] += views or 0
        entry["reach"] += reach_of(likes, shares, comments, views)
        position = bucket_index(posted_at, periods)
        if position is not None:
            series[channel][position] += 1
    seen = [entry for entry in channels.values() if entry["first_seen_at"] is not None]
    first = min(
        seen, key=lambda e: (e["first_seen_at"], CHANNELS.index(e["channel"])), default=None
    )
    for entry in seen:
        lag = entry["first_seen_at"] - first["first_seen_at"]
        entry["lag_hours"] = round(lag.total_seconds() / 3600, 2)
    for entry in channels.values():
        entry["first_seen_at"] = iso(entry["first_seen_at"])
    return {
        "start": iso(start),
        "end": iso(end),
        "granularity": granularity_for(start, end) if start else None,
        "buckets": [{"start": iso(p.start), "end": iso(p.end), "label": p.label} for p in periods],
        "series": series,
        "channels": [channels[channel] for channel in CHANNELS],
        "first_channel": first["channel"] if first else None,
        "total_posts": sum(entry["posts"] for entry in channels.values()),
        "total_reach": sum(entry["reach"] for entry in channels.values()),
    }


def spread_for_case(case: Case, *, include_duplicates: bool = True) -> dict:
    """The spread of a case's posts (and, by default, those of the cases merged into it as
    duplicates), over the span from its first to its last post.

    Returns::

        {"subject": {"kind": "case", "case_id", "code", "title", "category"},
         "start": iso, "end": iso, "granularity": "hour" | "day" | "week",
         "buckets": [{"start": iso, "end": iso, "label": "2026-12-09"}],
         "series": {"press": [n per bucket], "social": [...], "direct": [...]},
         "channels": [{"channel": "press", "posts": n, "first_seen_at": iso | None,
                       "first_post": {"id", "source", "url", "posted_at"} | None,
                       "lag_hours": hours after the first channel | None,
                       "likes", "shares", "comments", "views", "interactions", "reach"}],
         "first_channel": "social" | None, "total_posts": n, "total_reach": n}

    Channels come in the order press, social, direct. A channel that never saw the case has
    posts 0 and first_seen_at None. Hourly buckets up to 2 days, local days up to 92.
    """
    case_ids = [case.id]
    if include_duplicates:
        case_ids += list(db.session.scalars(select(Case.id).where(Case.duplicate_of_id == case.id)))
    rows = db.session.execute(select(*_COLUMNS).where(Post.case_id.in_(case_ids))).all()
    result = summarise(rows)
    return {
        "subject": {
            "kind": "case",
            "case_id": case.id,
            "code": case.code,
            "title": case.title,
            "category": case.category,
        },
        **result,
    }


def spread_for_topic(q: str, start: datetime, end: datetime) -> dict:
    """The spread of the posts in [start, end) that mention the topic `q`.

    `q` is one phrase or several separated by commas (any of them matches), matched as whole
    words, ignoring case and diacritics, also in hashtag form ("kẹt xe" finds "#ketxe").
    Posts triage marked not relevant are left out. The range is cut to its last
    MAX_TOPIC_DAYS days. Same shape as `spread_for_case`, with
    `"subject": {"kind": "topic", "q": q, "terms": [phrases]}`; the buckets cover [start, end).
    """
    if not topic_terms(q):
        raise ValueError("the topic has no words")
    start = max(start, end - timedelta(days=MAX_TOPIC_DAYS))
    matcher = topic_matcher(q)
    statement = select(*_COLUMNS, Post.text).where(
        and_(Post.posted_at >= start, Post.posted_at < end, counted_posts())
    )
    rows = [
        tuple(row[:-1])
        for row in db.session.execute(statement.execution_options(yield_per=5000))
        if matcher.match(row[-1])
    ]
    result = summarise(rows, start, end)
    return {"subject": {"kind": "topic", "q": q, "terms": topic_terms(q)}, **result}
