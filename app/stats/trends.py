"""Trends over the collected posts: hot topics, spike alerts and sentiment share.

What the other parts of the app call (every result is plain dicts and lists, JSON-serialisable:
times are ISO 8601 strings in UTC, shares are percentages):

- `hot_topics(now, window_hours=24, limit=10)`: cases (clusters) and keywords whose mention
  volume in the last `window_hours` rises above their usual volume over the 7 days before;
- `recent_spikes(since)`: the spike alerts stored since a time, newest first;
- `sentiment_share(start, end)`: positive / neutral / negative posts per local day;
- `volume_by_channel(start, end)`: posts per local day by channel (press, social, direct);
- `detect_spikes(now)`: the hourly check that stores `SpikeAlert`s and notifies the analysts.

The baseline maths is `baseline()` and `is_spike()`, pure and tested with hand-computed numbers.

Which posts count: every post that triage did not mark *not relevant* (advertising, chit-chat,
world news stay out), by the time it was posted (`Post.posted_at`). Days are local days in
Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import contextlib
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import redis
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.cases.labels import CATEGORY_LABELS
from app.cases.models import Case
from app.collectors.models import Post, Watchlist
from app.core.validation import check_date
from app.extensions import db
from app.models import utcnow
from app.notifications.operations import Rendered, add_notifications, register_renderer
from app.stats import keywords
from app.stats.models import SpikeAlert
from app.units.models import Unit
from app.users.models import Role, User

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNELS = ("press", "social", "direct")
SENTIMENTS = ("positive", "neutral", "negative")
#: Hot topics compare the window with the average of this many days before it.
BASELINE_DAYS = 7
#: A case or keyword needs at least this many mentions in the window to be a hot topic.
HOT_MIN_VOLUME = 3
#: Texts read per period for keywords; above it every n-th post is read and counts scaled by n.
MAX_KEYWORD_POSTS = 6_000
#: Keywords whose posts overlap this much (Jaccard) are one topic; a phrase made of
#: overlapping keywords must be written in this share of the topic's posts.
GROUP_OVERLAP = 0.6
#: Rising keywords considered for the topics.
MAX_GROUPED_TERMS = 300
#: Spike alert defaults; config.py's SPIKE_K and SPIKE_MIN_VOLUME override them.
DEFAULT_SPIKE_K = 2.0
DEFAULT_SPIKE_MIN_VOLUME = 5
#: While a key keeps spiking, it is alerted again only after this long.
REALERT_AFTER = timedelta(hours=24)
SPIKE_DIMENSIONS = ("category", "place", "watchlist")
NOTIFICATION_KIND = "spike_alert"

DIMENSION_LABELS = {
    "category": _l("Category"),
    "place": _l("Ward"),
    "watchlist": _l("Watchlist"),
}
CHANNEL_LABELS = {
    "press": _l("Press"),
    "social": _l("Social media"),
    "direct": _l("Direct reports"),
}
SENTIMENT_LABELS = {
    "positive": _l("Positive"),
    "neutral": _l("Neutral"),
    "negative": _l("Negative"),
}


# -- time buckets ------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """One period of a chart: [start, end) in UTC, and its label in local time."""

    start: datetime
    end: datetime
    label: str


def _local_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(LOCAL_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def granularity_for(start: datetime, end: datetime) -> str:
    """hour up to 2 days, day up to 92 days, week beyond."""
    span = end - start
    if span <= timedelta(days=2):
        return "hour"
    if span <= timedelta(days=92):
        return "day"
    return "week"


def buckets(start: datetime, end: datetime, granularity: str | None = None) -> list[Bucket]:
    """The hours, local days or local weeks (from Monday) that cover [start, end).

    The first and last buckets are whole periods, so they may reach outside the range;
    the queries still count only what lies inside [start, end).
    """
    granularity = granularity or granularity_for(start, end)
    result: list[Bucket] = []
    if granularity == "hour":
        current = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while current < end:
            following = current + timedelta(hours=1)
            result.append(
                Bucket(current, following, current.astimezone(LOCAL_TZ).strftime("%d/%m %H:00"))
            )
            current = following
        return result
    current = _local_midnight(start)
    step = timedelta(days=1)
    if granularity == "week":
        current -= timedelta(days=current.weekday())
        step = timedelta(days=7)
    while current.astimezone(UTC) < end:
        following = current + step  # wall-clock arithmetic; Vietnam keeps no summer time
        result.append(
            Bucket(current.astimezone(UTC), following.astimezone(UTC), current.date().isoformat())
        )
        current = following
    return result


def bucket_index(moment: datetime, periods: Sequence[Bucket]) -> int | None:
    """The index of the bucket holding `moment`, or None (a binary search)."""
    low, high = 0, len(periods)
    while low < high:
        middle = (low + high) // 2
        if moment < periods[middle].start:
            high = middle
        elif moment >= periods[middle].end:
            low = middle + 1
        else:
            return middle
    return None


def _bucket_case(column, periods: Sequence[Bucket]):
    """A SQL CASE giving the bucket index of `column` (portable: PostgreSQL and SQLite)."""
    return case(*((column < p.end, i) for i, p in enumerate(periods)), else_=len(periods))


def _counted_posts():
    """Posts that count: all but those triage marked not relevant."""
    return or_(Post.is_relevant.is_(None), Post.is_relevant.is_(True))


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _share(part: int, total: int) -> float | None:
    return round(100 * part / total, 1) if total else None


# -- baseline maths (pure) -----------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """The usual daily volume: the mean and the *sample* standard deviation of the days."""

    mean: float
    std: float

    def threshold(self, k: float) -> float:
        return self.mean + k * self.std


def baseline(daily_volumes: Sequence[float]) -> Baseline:
    """Mean and sample standard deviation (n − 1 in the denominator, Bessel's correction).

    The sample σ is the cautious choice with only 7 points: it is larger than the population
    σ, so a single busy day in the baseline raises the bar a little more. No days: 0 ± 0;
    one day: that value ± 0.

    >>> baseline([2, 2, 2, 2, 2, 2, 9])
    Baseline(mean=3.0, std=2.6457513110645907)
    """
    values = [float(v) for v in daily_volumes]
    if not values:
        return Baseline(0.0, 0.0)
    if len(values) == 1:
        return Baseline(values[0], 0.0)
    return Baseline(statistics.fmean(values), statistics.stdev(values))


def is_spike(volume: float, base: Baseline, k: float, min_volume: int) -> bool:
    """True when the volume reaches `min_volume` and is strictly above mean + k·σ."""
    return volume >= min_volume and volume > base.threshold(k)


def growth(volume: float, expected: float) -> float:
    """How many times the usual volume, smoothed by one so that new topics stay finite:
    (volume + 1) / (expected + 1)."""
    return (volume + 1) / (expected + 1)


# -- keywords ---------------------------------------------------------------------
# Words and phrases of the posts: see app/stats/keywords.py.


@dataclass(frozen=True)
class Trend:
    key: str
    volume: float
    expected: float

    @property
    def growth(self) -> float:
        return growth(self.volume, self.expected)


def rank_rising(
    current: dict[str, float],
    previous: dict[str, float],
    *,
    scale: float,
    min_volume: float,
    limit: int | None = None,
) -> list[Trend]:
    """Keys whose volume rises, best first.

    `current` is the volume in the window, `previous` the volume over the baseline period and
    `scale` the window's length over the baseline's (24 h / 7 days = 1/7), so the expected
    volume is previous × scale. A key is rising when its volume reaches `min_volume` and
    exceeds the expected volume; the rank is by growth, then volume, then longer keys (more
    words) first, then key.
    """
    trends = [
        Trend(key, volume, previous.get(key, 0) * scale)
        for key, volume in current.items()
        if volume >= min_volume and volume > previous.get(key, 0) * scale
    ]
    trends.sort(key=lambda t: (-t.growth, -t.volume, -t.key.count(" "), t.key))
    return trends if limit is None else trends[:limit]


def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def group_keywords(
    rising: Sequence[Trend], docs: dict[str, set[int]], limit: int, overlap: float = GROUP_OVERLAP
) -> list[list[Trend]]:
    """Group ranked terms that mostly appear in the same posts (pure).

    Walking the terms best first, a term joins the first group whose leading term's posts
    overlap its own by `overlap` (Jaccard) or more; otherwise it leads a new group, while
    fewer than `limit` groups exist. "ket", "ket xe" and "xe cau sai" from the same posts
    are one topic.
    """
    groups: list[list[Trend]] = []
    for trend in rising:
        posts = docs.get(trend.key, set())
        for group in groups:
            if jaccard(posts, docs.get(group[0].key, set())) >= overlap:
                group.append(trend)
                break
        else:
            if len(groups) < limit:
                groups.append([trend])
    return groups


# -- hot topics -------------------------------------------------------------------


def _texts(start: datetime, end: datetime, *, limit: int = MAX_KEYWORD_POSTS):
    """(texts, scale): the texts of the posts in [start, end); every n-th post past `limit`."""
    where = and_(Post.posted_at >= start, Post.posted_at < end, _counted_posts())
    total = db.session.scalar(select(func.count()).select_from(Post).where(where)) or 0
    step = max(1, math.ceil(total / limit)) if limit else 1
    statement = select(Post.text).where(where)
    if step > 1:
        statement = statement.where(Post.id % step == 0)
    texts = db.session.scalars(statement.execution_options(yield_per=2000))
    return texts, float(step)


def _hot_keywords(window_start, now, baseline_start, limit, min_volume) -> list[dict]:
    texts, step = _texts(window_start, now)
    window_texts = list(texts)
    if not window_texts:
        return []
    segmenter = keywords.build_segmenter(window_texts)
    window_words = [segmenter.words(text) for text in window_texts]
    base_texts, base_step = _texts(baseline_start, window_start)
    base_words = [segmenter.words(text) for text in base_texts]
    pairs = keywords.collocations(window_words + base_words)
    window_words = [keywords.join_pairs(words, pairs) for words in window_words]
    window_terms = [keywords.keywords(words) for words in window_words]
    counts: Counter = Counter()
    for terms in window_terms:
        counts.update(terms)
    current = {k: v * step for k, v in counts.items()}
    candidates = {k for k, v in current.items() if v >= min_volume}
    if not candidates:
        return []
    previous_counts: Counter = Counter()
    for words in base_words:
        previous_counts.update(keywords.keywords(keywords.join_pairs(words, pairs)) & candidates)
    previous = {k: v * base_step for k, v in previous_counts.items()}
    scale = (now - window_start) / (window_start - baseline_start)
    places = {w.key for words in window_words for w in words if w is not None and w.place}
    rising = rank_rising(current, previous, scale=scale, min_volume=min_volume)
    # On a tie, a word leads its topic before the place it happens at ("kẹt xe", then
    # "cầu Sài Gòn").
    rising.sort(key=lambda t: (-t.growth, -t.volume, t.key in places, -t.key.count(" "), t.key))
    rising = rising[:MAX_GROUPED_TERMS]
    wanted = {trend.key for trend in rising}
    docs: dict[str, set[int]] = defaultdict(set)
    for index, terms in enumerate(window_terms):
        for term in terms & wanted:
            docs[term].add(index)
    forms = keywords.display_forms(window_words, wanted)
    result = []
    for group in group_keywords(rising, docs, limit):
        lead = group[0]
        related = [t.key for t in group[1:]][:4]
        result.append(
            {
                "term": lead.key,
                "display": forms.get(lead.key, lead.key),
                "volume": round(lead.volume),
                "baseline": round(lead.expected, 2),
                "growth": round(lead.growth, 2),
                "related": [forms.get(key, key) for key in related],
            }
        )
    return result


def _hot_cases(window_start, now, baseline_start, limit, min_volume, unit_ids) -> list[dict]:
    in_window = case((Post.posted_at >= window_start, 1), else_=0)
    counts = (
        select(Post.case_id, func.sum(in_window).label("current"), func.count().label("total"))
        .where(
            Post.case_id.is_not(None),
            Post.posted_at >= baseline_start,
            Post.posted_at < now,
            _counted_posts(),
        )
        .group_by(Post.case_id)
        .having(func.sum(in_window) >= min_volume)
    )
    rows = {
        case_id: (int(cur), int(total) - int(cur))
        for case_id, cur, total in db.session.execute(counts)
    }
    if not rows:
        return []
    scale = (now - window_start) / (window_start - baseline_start)
    trends = rank_rising(
        {str(k): v[0] for k, v in rows.items()},
        {str(k): v[1] for k, v in rows.items()},
        scale=scale,
        min_volume=min_volume,
    )
    statement = select(Case).where(Case.id.in_([int(t.key) for t in trends]))
    if unit_ids is not None:
        statement = statement.where(Case.unit_id.in_(unit_ids))
    cases = {c.id: c for c in db.session.scalars(statement)}
    result = []
    for trend in trends:
        found = cases.get(int(trend.key))
        if found is None:
            continue
        result.append(
            {
                "case_id": found.id,
                "code": found.code,
                "title": found.title,
                "category": found.category,
                "status": found.status,
                "mention_count": found.mention_count,
                "first_seen_at": _iso(found.first_seen_at),
                "volume": round(trend.volume),
                "baseline": round(trend.expected, 2),
                "growth": round(trend.growth, 2),
            }
        )
        if len(result) == limit:
            break
    return result


def hot_topics(
    now: datetime,
    window_hours: int = 24,
    limit: int = 10,
    *,
    baseline_days: int = BASELINE_DAYS,
    min_volume: int = HOT_MIN_VOLUME,
    unit_ids: set[int] | None = None,
    cache_seconds: int = 0,
) -> dict:
    """Cases and keywords whose mentions rise: the last `window_hours` before `now` against the
    average of the `baseline_days` days before the window.

    For each item: `volume` (mentions in the window), `baseline` (the mentions expected in a
    window of that length: the baseline period's mentions × window / baseline length) and
    `growth` = (volume + 1) / (baseline + 1). An item needs `min_volume` mentions and a volume
    above its baseline; items are ranked by growth, then volume.

    A case's mentions are its posts. Keywords are the words and phrases of the post texts
    (app/stats/keywords.py: compounds such as "ngập nước" stay one keyword, places are one
    keyword by their name, forms with and without diacritics count together, stopwords
    out), each counted once per post. Rising keywords that mostly appear in the same posts
    form one topic (`group_keywords`), led by its best-ranked keyword (a word before a place
    on a tie), whose figures it carries; `term` is its folded key, `display` its most frequent
    written form (diacritics first; a place's name), `related` up to 4 other keywords of the
    topic. `unit_ids` limits the cases to those units (None: all).

    Keywords read every post text of the 8 days (at most MAX_KEYWORD_POSTS per period), which
    takes a few seconds on a busy week: with `cache_seconds`, the keywords are kept in Redis
    (when in use) for that long, per window and limit.

    Returns::

        {"window_start": iso, "window_end": iso, "window_hours": 24, "baseline_days": 7,
         "cases": [{"case_id", "code", "title", "category", "status", "mention_count",
                    "first_seen_at", "volume", "baseline", "growth"}],
         "keywords": [{"term", "display", "volume", "baseline", "growth", "related"}]}
    """
    window_start = now - timedelta(hours=window_hours)
    baseline_start = window_start - timedelta(days=baseline_days)
    return {
        "window_start": _iso(window_start),
        "window_end": _iso(now),
        "window_hours": window_hours,
        "baseline_days": baseline_days,
        "cases": _hot_cases(window_start, now, baseline_start, limit, min_volume, unit_ids),
        "keywords": _cached(
            f"{window_hours}:{limit}:{baseline_days}:{min_volume}",
            now,
            cache_seconds,
            lambda: _hot_keywords(window_start, now, baseline_start, limit, min_volume),
        ),
    }


def _cached(key: str, now: datetime, seconds: int, compute):
    """compute(), kept in Redis for `seconds` (per time slot of that length) when in use."""
    from app.jobs import redis_connection

    connection = redis_connection() if seconds > 0 else None
    if connection is None:
        return compute()
    slot = int(now.timestamp() // seconds)
    name = f"socialbeat:trends:keywords:{key}:{seconds}:{slot}"
    try:
        found = connection.get(name)
        if found is not None:
            return json.loads(found)
    except redis.RedisError:
        return compute()
    value = compute()
    with contextlib.suppress(redis.RedisError):
        connection.set(name, json.dumps(value), ex=seconds)
    return value


# -- sentiment and volume over time --------------------------------------------------


def _counts_by_bucket(
    start: datetime, end: datetime, column, values: Sequence[str], granularity=None
):
    periods = buckets(start, end, granularity)
    if not periods:
        return periods, []
    index = _bucket_case(Post.posted_at, periods).label("bucket")
    statement = (
        select(index, column, func.count())
        .where(Post.posted_at >= start, Post.posted_at < end, _counted_posts(), column.in_(values))
        .group_by(index, column)
    )
    table = [dict.fromkeys(values, 0) for _ in periods]
    for position, value, count in db.session.execute(statement):
        if position < len(periods):
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
    periods, table = _counts_by_bucket(start, end, Post.sentiment, SENTIMENTS, granularity)
    rows = []
    totals = dict.fromkeys(SENTIMENTS, 0)
    for period, counts in zip(periods, table, strict=True):
        total = sum(counts.values())
        for key in SENTIMENTS:
            totals[key] += counts[key]
        rows.append(
            {
                "start": _iso(period.start),
                "end": _iso(period.end),
                "label": period.label,
                "counts": counts,
                "total": total,
                "shares": {key: _share(counts[key], total) for key in SENTIMENTS},
            }
        )
    grand = sum(totals.values())
    return {
        "start": _iso(start),
        "end": _iso(end),
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
    periods, table = _counts_by_bucket(start, end, Post.channel, CHANNELS, granularity)
    totals = {key: sum(counts[key] for counts in table) for key in CHANNELS}
    return {
        "start": _iso(start),
        "end": _iso(end),
        "granularity": granularity,
        "periods": [
            {
                "start": _iso(period.start),
                "end": _iso(period.end),
                "label": period.label,
                "counts": counts,
                "total": sum(counts.values()),
            }
            for period, counts in zip(periods, table, strict=True)
        ],
        "counts": totals,
        "total": sum(totals.values()),
    }


# -- spike alerts ---------------------------------------------------------------------


def spike_settings() -> tuple[float, int]:
    """(k, minimum 24 h volume) from config.py's SPIKE_K and SPIKE_MIN_VOLUME."""
    config = current_app.config
    return (
        float(config.get("SPIKE_K", DEFAULT_SPIKE_K)),
        int(config.get("SPIKE_MIN_VOLUME", DEFAULT_SPIKE_MIN_VOLUME)),
    )


def _place_codes(place) -> set[str]:
    """The ward codes a post's place names, when triage was confident enough."""
    from app.triage.pipeline import PLACE_THRESHOLD

    if not isinstance(place, dict) or (place.get("confidence") or 0) < PLACE_THRESHOLD:
        return set()
    return {w["code"] for w in place.get("wards") or () if isinstance(w, dict) and w.get("code")}


def daily_volumes(
    window_end: datetime, days: int = BASELINE_DAYS
) -> dict[tuple[str, str], list[int]]:
    """(dimension, key) -> [volume of the last 24 h, then each of the `days` 24 h blocks before].

    Blocks end at `window_end`, `window_end` − 24 h, …; a post counts once in its category,
    in each ward of its place (a former district counts in each ward it became) and in each
    watchlist it matched.
    """
    start = window_end - timedelta(days=days + 1)
    statement = select(Post.posted_at, Post.category, Post.place, Post.watchlist_ids).where(
        Post.posted_at >= start, Post.posted_at < window_end, _counted_posts()
    )
    volumes: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (days + 1))
    for posted_at, category, place, watchlist_ids in db.session.execute(
        statement.execution_options(yield_per=5000)
    ):
        block = int((window_end - posted_at) / timedelta(days=1))
        if block > days:
            continue
        if category:
            volumes[("category", category)][block] += 1
        for code in _place_codes(place):
            volumes[("place", code)][block] += 1
        for watchlist_id in set(watchlist_ids or ()):
            volumes[("watchlist", str(watchlist_id))][block] += 1
    return dict(volumes)


def find_spikes(
    volumes: dict[tuple[str, str], list[int]], k: float, min_volume: int
) -> list[tuple[str, str, int, Baseline]]:
    """(dimension, key, volume, baseline) of each key whose first volume is a spike over the
    rest (pure); sorted by dimension then key."""
    found = []
    for (dimension, key), series in sorted(volumes.items()):
        base = baseline(series[1:])
        if is_spike(series[0], base, k, min_volume):
            found.append((dimension, key, series[0], base))
    return found


def _labels(spikes) -> dict[tuple[str, str], str]:
    wards = [key for dimension, key, *_ in spikes if dimension == "place"]
    watchlists = [
        int(key) for dimension, key, *_ in spikes if dimension == "watchlist" and key.isdigit()
    ]
    names = {}
    if wards:
        for code, name in db.session.execute(
            select(Unit.code, Unit.name_vi).where(Unit.code.in_(wards))
        ):
            names[("place", code)] = name
    if watchlists:
        for wid, name in db.session.execute(
            select(Watchlist.id, Watchlist.name).where(Watchlist.id.in_(watchlists))
        ):
            names[("watchlist", str(wid))] = name
    return {(d, k): names.get((d, k), k)[:200] for d, k, *_ in spikes}


def detect_spikes(
    now: datetime | None = None, *, k: float | None = None, min_volume: int | None = None
) -> list[SpikeAlert]:
    """Store a SpikeAlert for each category, ward and watchlist whose last 24 h volume is above
    its 7-day baseline mean + k·σ (sample σ), and notify the analysts; commit; return the new
    alerts.

    The window ends at `now` rounded down to the hour, so hourly runs line up and a rerun in
    the same hour stores nothing (unique per dimension, key and window end). A key alerted in
    the last 24 h is not alerted again while it keeps spiking.
    """
    default_k, default_min = spike_settings()
    k = default_k if k is None else k
    min_volume = default_min if min_volume is None else min_volume
    window_end = (now or utcnow()).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    spikes = find_spikes(daily_volumes(window_end), k, min_volume)
    if not spikes:
        return []
    recent = set(
        db.session.execute(
            select(SpikeAlert.dimension, SpikeAlert.key).where(
                SpikeAlert.window_end > window_end - REALERT_AFTER,
                SpikeAlert.window_end <= window_end,
            )
        ).all()
    )
    labels = _labels(spikes)
    created: list[SpikeAlert] = []
    for dimension, key, volume, base in spikes:
        if (dimension, key) in recent:
            continue
        alert = SpikeAlert(
            dimension=dimension,
            key=key,
            label=labels[(dimension, key)],
            window_end=window_end,
            volume=volume,
            baseline_mean=base.mean,
            baseline_std=base.std,
            k=k,
            created_at=utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(alert)
        except IntegrityError:  # a concurrent run stored it first
            continue
        created.append(alert)
    _notify_analysts(created)
    db.session.commit()
    return created


def _notify_analysts(alerts: list[SpikeAlert]) -> int:
    if not alerts:
        return 0
    analysts = list(
        db.session.scalars(
            select(User.id).where(User.role == Role.analyst.value, User.is_active_account.is_(True))
        )
    )
    rows = [
        {
            "user_id": user_id,
            "kind": NOTIFICATION_KIND,
            "data": {
                "alert_id": alert.id,
                "dimension": alert.dimension,
                "key": alert.key,
                "label": alert.label,
                "volume": alert.volume,
                "mean": round(alert.baseline_mean, 2),
                "std": round(alert.baseline_std, 2),
                "window_end": _iso(alert.window_end),
            },
            "dedupe_key": f"spike:{alert.id}",
            "deliver_at": alert.created_at,
            "created_at": alert.created_at,
        }
        for alert in alerts
        for user_id in analysts
    ]
    return add_notifications(rows)


def spike_label(dimension: str, key: str, label: str) -> str:
    """What people read for a spike's key, in the current language (categories translated)."""
    if dimension == "category":
        return str(CATEGORY_LABELS.get(key, key))
    return label


def dimension_label(dimension: str) -> str:
    return str(DIMENSION_LABELS.get(dimension, dimension))


def _render(notification) -> Rendered:
    data = notification.data or {}
    subject = spike_label(data.get("dimension", ""), data.get("key", ""), data.get("label", ""))
    title = _(
        "Spike: %(name)s (%(dimension)s)",
        name=subject,
        dimension=dimension_label(data.get("dimension", "")),
    )
    text = _(
        "%(volume)d posts in 24 hours; usually %(mean).1f ± %(std).1f a day.",
        volume=data.get("volume", 0),
        mean=data.get("mean", 0.0),
        std=data.get("std", 0.0),
    )
    return Rendered(title=title, text=text, path="/stats/trends")


register_renderer(NOTIFICATION_KIND, _render)


def recent_spikes(since: datetime, until: datetime | None = None, limit: int = 200) -> list[dict]:
    """Spike alerts whose window ended in [since, until) (until: now), newest first.

    Each: {"id", "dimension", "key", "label", "window_end", "volume", "baseline_mean",
    "baseline_std", "k", "threshold", "created_at"}. `label` is stored as written when the
    alert fired: the ward's or watchlist's name, a category's code (translate it with
    `spike_label`).
    """
    statement = select(SpikeAlert).where(SpikeAlert.window_end >= since)
    if until is not None:
        statement = statement.where(SpikeAlert.window_end < until)
    statement = statement.order_by(SpikeAlert.window_end.desc(), SpikeAlert.id.desc()).limit(limit)
    return [
        {
            "id": alert.id,
            "dimension": alert.dimension,
            "key": alert.key,
            "label": alert.label,
            "window_end": _iso(alert.window_end),
            "volume": alert.volume,
            "baseline_mean": round(alert.baseline_mean, 2),
            "baseline_std": round(alert.baseline_std, 2),
            "k": alert.k,
            "threshold": round(alert.baseline_mean + alert.k * alert.baseline_std, 2),
            "created_at": _iso(alert.created_at),
        }
        for alert in db.session.scalars(statement)
    ]


# -- request parameters (pure; shared by the API and the pages) --------------------------

#: Window lengths offered on the pages, in hours.
WINDOW_CHOICES = (6, 12, 24, 48, 72, 168)
MAX_WINDOW_HOURS = 168
DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366


class ParamError(ValueError):
    """A bad query parameter: `field` and a message in English (the API's language)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def parse_window(raw: str | None, default: int = 24) -> int:
    """Hours of the hot-topic window: "24", "24h" or "7d"; 1 to 168 hours."""
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip().lower()
    factor = 24 if text.endswith("d") else 1
    number = text[:-1] if text[-1:] in ("d", "h") else text
    if not (number.isascii() and number.isdigit() and len(number) <= 6):
        raise ParamError("window", f"must be hours like 24, 24h or 7d, got {raw[:40]!r}")
    hours = int(number) * factor
    if not 1 <= hours <= MAX_WINDOW_HOURS:
        raise ParamError("window", f"must be between 1 and {MAX_WINDOW_HOURS} hours")
    return hours


def parse_moment(raw: str, field: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date (a local day in Asia/Ho_Chi_Minh) or datetime (naive means local).

    A date as the end of a range means the end of that day: the next local midnight.
    """
    text = raw.strip()
    try:
        if not text.isascii():
            raise ValueError(text)
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ParamError(field, f"must be an ISO 8601 date or datetime, got {raw[:40]!r}") from None
    try:
        check_date(day if len(text) == 10 else moment)
    except ValueError as error:
        raise ParamError(field, str(error)) from None
    if len(text) == 10:
        return (day + timedelta(days=1) if end_of_day else day).astimezone(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)


def parse_range(
    raw_from: str | None,
    raw_to: str | None,
    now: datetime,
    *,
    default_days: int = DEFAULT_RANGE_DAYS,
    max_days: int = MAX_RANGE_DAYS,
) -> tuple[datetime, datetime]:
    """[start, end) from ?from= and ?to= (either may be missing: `default_days` before the end,
    which defaults to now). The range must be positive and at most `max_days` long."""
    end = parse_moment(raw_to, "to", end_of_day=True) if raw_to and raw_to.strip() else now
    if raw_from and raw_from.strip():
        start = parse_moment(raw_from, "from")
    else:
        start = end - timedelta(days=default_days)
    if start >= end:
        raise ParamError("from", "must be before 'to'")
    if end - start > timedelta(days=max_days):
        raise ParamError("from", f"the range is at most {max_days} days")
    return start, end
