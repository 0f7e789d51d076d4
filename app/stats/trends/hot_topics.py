"""Hot topics: the cases and keywords whose mentions rise, read from the hourly counts.

`hot_topics(now, window_hours=24, limit=10)` compares the last `window_hours` with the
`baseline_days` days before them. The counts per case and per keyword are exact, read from
the hourly and daily counts (hourly_reads.py: the parts of hours at the ends of the
ranges from the posts), in one SQL statement each, so a million posts cost little more than
a thousand. The rising keywords are grouped into topics by the posts they share in a sample
of about MAX_KEYWORD_POSTS posts of the window, and shown in the form written most often in
up to FORM_POSTS of those posts each. The maths (`rank_rising`, `group_keywords`) is
maths.py.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from app.stats.trends import hourly_reads, keywords
from app.stats.trends.maths import group_keywords, rank_rising

#: Hot topics compare the window with the average of this many days before it.
BASELINE_DAYS = 7
#: A case or keyword needs at least this many mentions in the window to be a hot topic.
HOT_MIN_VOLUME = 3
#: About this many posts of the window (a fixed share of ids when there are more) tell which
#: rising keywords share their posts (one topic) and how they are written.
MAX_KEYWORD_POSTS = 6_000
#: Posts whose written forms are read for each keyword shown (the sampled posts that hold it).
FORM_POSTS = 20
#: Rising keywords considered for the topics.
MAX_GROUPED_TERMS = 300
#: Cases read at a time (at least; 3 × the limit) while looking for those the reader may see.
CASE_CHUNK = 30


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _display_form(key: str, forms: Counter | None) -> str:
    """The form to show: a place's name, else the most frequent written form, forms with
    diacritics first (as `keywords.display_forms`)."""
    if not forms:
        return key
    return max(forms.items(), key=lambda item: (keywords.has_diacritics(item[0]), item[1]))[0]


def _forms(keys: set[str], docs: dict[str, set[int]]) -> dict[str, Counter]:
    """key -> its written forms and how often, in (at most FORM_POSTS of) the sampled posts
    that hold it."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for key in keys:
        for post_id in sorted(docs.get(key, ()))[-FORM_POSTS:]:
            wanted[post_id].add(key)
    forms: dict[str, Counter] = defaultdict(Counter)
    for post_id, words in hourly_reads.words_of_posts(wanted).items():
        for key, form, _place in words:
            if key in wanted[post_id]:
                forms[key][form] += 1
    return forms


def _rising(kind: str, window_start, now, baseline_start, min_volume) -> list:
    """The keys of one kind ("term" or "case") whose window volume rose over the baseline,
    ranked, from the hourly counts."""
    scale = (now - window_start) / (window_start - baseline_start)
    current, previous = hourly_reads.compare(
        kind,
        (window_start, now),
        (baseline_start, window_start),
        min_volume=min_volume,
        scale=scale,
    )
    if not current:
        return []
    return rank_rising(current, previous, scale=scale, min_volume=min_volume)


def hot_keywords(window_start, now, baseline_start, limit, min_volume) -> list[dict]:
    rising = _rising("term", window_start, now, baseline_start, min_volume)
    if not rising:
        return []
    # The terms that may make the cut, ties included; a place's flag only breaks ties.
    if len(rising) > MAX_GROUPED_TERMS:
        last = rising[MAX_GROUPED_TERMS - 1]
        rising = [t for t in rising if (t.growth, t.volume) >= (last.growth, last.volume)]
    wanted = {trend.key for trend in rising}
    docs, places = hourly_reads.sample_docs(window_start, now, MAX_KEYWORD_POSTS, wanted)
    # On a tie, a word leads its topic before the place it happens at ("kẹt xe", then
    # "cầu Sài Gòn").
    rising.sort(key=lambda t: (-t.growth, -t.volume, t.key in places, -t.key.count(" "), t.key))
    rising = rising[:MAX_GROUPED_TERMS]
    groups = group_keywords(rising, docs, limit)
    shown = {t.key for group in groups for t in [group[0], *group[1:5]]}
    forms = _forms(shown, docs)
    result = []
    for group in groups:
        lead = group[0]
        related = [t.key for t in group[1:]][:4]
        result.append(
            {
                "term": lead.key,
                "display": _display_form(lead.key, forms.get(lead.key)),
                "volume": round(lead.volume),
                "baseline": round(lead.expected, 2),
                "growth": round(lead.growth, 2),
                "related": [_display_form(key, forms.get(key)) for key in related],
            }
        )
    return result


def hot_cases(window_start, now, baseline_start, limit, min_volume, unit_ids) -> list[dict]:
    trends = _rising("case", window_start, now, baseline_start, min_volume)
    result = []
    chunk_size = max(CASE_CHUNK, 3 * limit)
    columns = (Case.id, Case.code, Case.title, Case.category, Case.status, Case.mention_count,
               Case.first_seen_at)  # fmt: skip
    for start in range(0, len(trends), chunk_size):
        chunk = trends[start : start + chunk_size]
        statement = select(*columns).where(Case.id.in_([int(t.key) for t in chunk]))
        if unit_ids is not None:
            statement = statement.where(Case.unit_id.in_(unit_ids))
        cases = {row.id: row for row in db.session.execute(statement)}
        for trend in chunk:
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
                return result
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
    (keywords.py: compounds such as "ngập nước" stay one keyword, places are one
    keyword by their name, forms with and without diacritics count together, stopwords
    out), each counted once per post. Rising keywords that mostly appear in the same posts
    form one topic (`group_keywords`), led by its best-ranked keyword (a word before a place
    on a tie), whose figures it carries; `term` is its folded key, `display` its most frequent
    written form (diacritics first; a place's name), `related` up to 4 other keywords of the
    topic. `unit_ids` limits the cases to those units (None: all).

    Both read the hourly counts (a few tens of milliseconds over a million posts); with
    `cache_seconds`, the keywords are also kept in Redis (when in use) for that long, per
    window and limit, so that every reader of the page sees the same list for a while.

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
        "cases": hot_cases(window_start, now, baseline_start, limit, min_volume, unit_ids),
        "keywords": _cached(
            f"{window_hours}:{limit}:{baseline_days}:{min_volume}",
            now,
            cache_seconds,
            lambda: hot_keywords(window_start, now, baseline_start, limit, min_volume),
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
