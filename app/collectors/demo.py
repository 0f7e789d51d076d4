"""Demo posts for `make run`: a week of press, social and direct posts, triaged for real.

The texts are the hand-written posts of the project's labelled dataset (data/triage/raw): every
style a city hears from (Facebook groups, Zalo, comments, the press, the citizen form). They are spread over the last eight days with a rise in flooding posts in the last 24 hours,
so that the trends, spike alerts, the press-versus-social pages and both daily reports have
something to show. The posts go through the real triage pipeline (model, gazetteer, clustering,
routing). Idempotent: a second run adds nothing.
"""

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.collectors.base import PostData
from app.collectors.models import Post
from app.collectors.operations import store_posts
from app.extensions import db
from app.models import utcnow

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "triage"
#: Posts of the whole demo week, and the extra flooding posts of the last 24 hours.
WEEK_POSTS = 220
SPIKE_POSTS = 14
#: Press articles of the last 24 hours, for the morning digest.
RECENT_PRESS = 10
DAYS = 8
PRESS_SOURCES = ("rss:tuoitre", "rss:vnexpress", "rss:thanhnien", "rss:nld")
SOURCES_BY_STYLE = {
    "facebook": "facebook",
    "zalo": "zalo",
    "x": "x",
    "youtube_comment": "youtube",
    "forum": "facebook",
    "citizen_form": "citizen",
}
EXTERNAL_PREFIX = "demo-"


def _rows() -> list[dict]:
    rows = []
    for path in sorted((DATA_DIR / "raw").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def _source(row: dict, rng: random.Random) -> str:
    if row.get("style") == "press":
        return rng.choice(PRESS_SOURCES)
    return SOURCES_BY_STYLE.get(row.get("style"), "facebook")


def _post(row: dict, index: int, posted_at: datetime, rng: random.Random) -> PostData:
    source = _source(row, rng)
    social = not source.startswith(("rss", "citizen"))
    return PostData(
        source=source,
        external_id=f"{EXTERNAL_PREFIX}{row.get('id', index)}",
        url=f"https://example.vn/demo/{index}" if source.startswith("rss") else None,
        text=row["text"],
        language="vi",
        posted_at=posted_at,
        author_handle=f"demo-user-{rng.randrange(60)}" if social else None,
        likes=rng.randrange(0, 400) if social else None,
        shares=rng.randrange(0, 60) if social else None,
        comments=rng.randrange(0, 120) if social else None,
        views=rng.randrange(2_000, 90_000) if source.startswith("rss") else None,
    )


def demo_posts(now: datetime, rng: random.Random) -> list[PostData]:
    """The demo week's posts, the same on every run (a fixed seed), times relative to now.

    The last 24 hours get extra flooding posts (a spike) and extra press articles (the digest).
    """
    rows = _rows()
    if not rows:
        return []
    rng.shuffle(rows)
    flooding = [r for r in rows if r.get("relevant") and r.get("category") == "flooding"]
    press = [r for r in rows if r.get("style") == "press" and r not in flooding]
    recent = flooding[:SPIKE_POSTS] + press[:RECENT_PRESS]
    recent_ids = {id(r) for r in recent}
    week = [r for r in rows if id(r) not in recent_ids][:WEEK_POSTS]
    posts = []
    for index, row in enumerate(week):
        posted_at = now - timedelta(seconds=rng.randrange(60, DAYS * 86_400))
        posts.append(_post(row, index, posted_at, rng))
    for index, row in enumerate(recent, start=len(week)):
        posted_at = now - timedelta(seconds=rng.randrange(60, 86_400))
        posts.append(_post(row, index, posted_at, rng))
    return posts


def load_demo_posts(now: datetime | None = None) -> str:
    """Store and triage the demo posts, then check for spikes; a summary line for `demo load`."""
    from app.stats.trends import detect_spikes
    from app.triage.tasks import triage_posts

    now = now or utcnow()
    already = db.session.scalar(
        select(func.count(Post.id)).where(Post.external_id.like(f"{EXTERNAL_PREFIX}%"))
    )
    if already:
        return f"demo posts: {already} already there"
    stats = store_posts(demo_posts(now, random.Random(20261128)))
    # Triage here rather than on the queue, so the demo is complete when `demo load` returns.
    counts = triage_posts(stats.new_ids)
    alerts = detect_spikes(now)
    return f"demo posts: {stats.new} stored, {counts['done']} triaged, {len(alerts)} spike alert(s)"
