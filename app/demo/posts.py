"""Demo posts for `make run`: two months of press, social and direct posts, triaged for real.

The texts are the hand-written posts of the project's labelled dataset (data/triage/raw): every
style a city hears from (Facebook groups, Zalo, comments, the press, the citizen form). They are
spread over the last `DAYS` days with a rise in flooding posts in the last 24 hours, so that the
trends, spike alerts, the press-versus-social pages and both daily reports have something to show.

The posts are replayed in time order through the real triage pipeline (model, gazetteer,
clustering, routing), each group at the hour it was collected, and the cases they open move on
through the workflow at times drawn per stage (`app.demo.cases.History`): so cases spread over
the two months, and the old ones are finished while the recent ones are open. Before that, the
posts the dataset labels off-topic are read by the same model and left out when it would take
them for a problem (a demo shows what triage gets right; the evaluation shows what it misses).
A post that names no ward carries the ward of its author's check-in as a place hint, as the
social sources give. Idempotent: a second run adds nothing.
"""

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.collectors.base import PostData
from app.collectors.models import Post
from app.collectors.operations import store_posts
from app.extensions import db
from app.models import utcnow

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "triage"
#: Stories of the last hours: several posts about one problem each, which triage gathers into
#: one case, so the trends page has hot cases (and hot keywords such as "ngập nước").
STORIES_FILE = Path(__file__).with_name("demo_stories.json")
#: Posts of the whole demo period, and the extra flooding posts of the last 24 hours.
WEEK_POSTS = 560
SPIKE_POSTS = 8
#: Press articles of the last 24 hours, for the morning digest.
RECENT_PRESS = 10
DAYS = 60
#: Posts closer together than this are triaged together (one model call).
GROUP = timedelta(hours=2)
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


def _post(
    row: dict, index: int, posted_at: datetime, rng: random.Random, wards: list[str] = ()
) -> PostData:
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
        place_hints=_place_hint(row["text"], rng, wards),
        raw={"demo_label": {"relevant": row.get("relevant"), "category": row.get("category")}},
    )


def _place_hint(text: str, rng: random.Random, wards: list[str]) -> dict:
    """A check-in ward for a post whose text names no one ward: one the gazetteer offers for
    its street or landmark, else one of the demo's wards (`wards`, names)."""
    from app.triage.pipeline import place_of
    from app.triage.places.gazetteer import find_outside
    from app.triage.places.scope import PLACE_THRESHOLD

    if not wards or find_outside(text) is not None:
        return {}  # no check-in for a post about somewhere else
    place = place_of(text)
    if place and len(place["wards"]) == 1 and place["confidence"] >= PLACE_THRESHOLD:
        return {}
    names = [ward["name"] for ward in place["wards"]] if place else []
    return {"place_name": rng.choice(names or list(wards))}


def screen(posts: list[PostData]) -> tuple[list[PostData], int]:
    """The posts less those the demo data labels off-topic that triage would take for a
    problem (read as triage reads them, with their place hints); and how many were left out."""
    from app.triage.pipeline import analyse

    off_topic = [p for p in posts if p.raw.get("demo_label", {}).get("relevant") is False]
    if not off_topic:
        return posts, 0
    readings = analyse(
        [post.text for post in off_topic],
        place_texts=[post.place_hints.get("place_name") for post in off_topic],
    )
    taken = {
        id(post) for post, reading in zip(off_topic, readings, strict=True) if reading.relevant
    }
    return [post for post in posts if id(post) not in taken], len(taken)


def demo_posts(
    now: datetime, rng: random.Random, *, wards: list[str] = (), left_out: list | None = None
) -> list[PostData]:
    """The demo's posts, the same on every run (a fixed seed), times relative to now.

    The last 24 hours get extra flooding posts (a spike) and extra press articles (the digest).
    `wards`: ward names for the posts that name none; with `left_out` (a list), the off-topic
    posts the model would take for problems are left out (`screen`) and their count appended.
    """
    rows = _rows()
    if not rows:
        return []
    rng.shuffle(rows)
    rows = rows[: WEEK_POSTS + 400]
    flooding = [r for r in rows if r.get("relevant") and r.get("category") == "flooding"]
    press = [r for r in rows if r.get("style") == "press" and r not in flooding]
    recent = flooding[:SPIKE_POSTS] + press[:RECENT_PRESS]
    recent_ids = {id(r) for r in recent}
    week = [r for r in rows if id(r) not in recent_ids][:WEEK_POSTS]
    posts = []
    for index, row in enumerate(week):
        posted_at = now - timedelta(seconds=rng.randrange(60, DAYS * 86_400))
        posts.append(_post(row, index, posted_at, rng, wards))
    for index, row in enumerate(recent, start=len(week)):
        posted_at = now - timedelta(seconds=rng.randrange(60, 86_400))
        posts.append(_post(row, index, posted_at, rng, wards))
    posts.extend(story_posts(now, rng, wards))
    if left_out is not None:
        posts, count = screen(posts)
        left_out.append(count)
    return posts


def story_posts(now: datetime, rng: random.Random, wards: list[str] = ()) -> list[PostData]:
    """The posts of demo_stories.json, each so many hours before `now`."""
    posts = []
    stories = json.loads(STORIES_FILE.read_text(encoding="utf-8"))
    for number, story in enumerate(stories):
        for index, ((style, text), hours) in enumerate(
            zip(story["posts"], story["hours_ago"], strict=True)
        ):
            row = {"id": f"story-{number}-{index}", "text": text, "style": style}
            posts.append(_post(row, index, now - timedelta(hours=hours), rng, wards))
    return posts


def _ward_names() -> list[str]:
    from app.demo.cases import demo_wards
    from app.units.models import Unit

    codes = demo_wards()
    return sorted(db.session.scalars(select(Unit.name_vi).where(Unit.code.in_(codes))))


def _groups(rows: list) -> list[list]:
    """(id, posted_at) rows in time order, cut where GROUP has passed since a group's first."""
    groups: list[list] = []
    for row in rows:
        if groups and row.posted_at - groups[-1][0].posted_at < GROUP:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def load_demo_posts(
    now: datetime | None = None, progress: Callable[[str], None] | None = None
) -> str:
    """Store the demo posts and replay them through triage day by day, moving the cases on;
    then check for spikes. A summary line for `demo load`; `progress` hears how far it got."""
    from app.cases.models import Case
    from app.demo.cases import History, sync_mentions
    from app.stats.trends.spikes import detect_spikes
    from app.triage.tasks import triage_posts
    from app.users.models import User as Staff

    now = now or utcnow()
    progress = progress or (lambda line: None)
    already = db.session.scalar(
        select(func.count(Post.id)).where(Post.external_id.like(f"{EXTERNAL_PREFIX}%"))
    )
    if already:
        return f"demo posts: {already} already there"
    progress("demo posts: reading the off-topic posts with the triage model…")
    left_out: list[int] = []
    posts = demo_posts(now, random.Random(20261128), wards=_ward_names(), left_out=left_out)
    stats = store_posts(posts)
    # Collected a few minutes after they were posted, as a collector would have.
    for post in db.session.scalars(select(Post).where(Post.id.in_(stats.new_ids))):
        post.collected_at = post.posted_at + timedelta(minutes=3)
    db.session.commit()
    stored = db.session.execute(
        select(Post.id, Post.posted_at).where(Post.id.in_(stats.new_ids)).order_by(Post.posted_at)
    ).all()
    admin = db.session.scalar(select(Staff).where(Staff.role == "admin").order_by(Staff.id))
    history = History(admin, random.Random(20261207)) if admin is not None else None
    done, groups = 0, _groups(stored)
    for number, group in enumerate(groups, start=1):
        at = min(group[-1].posted_at + timedelta(minutes=5), now)
        if history is not None:
            history.advance(at)
        done += triage_posts([row.id for row in group], now=at)["done"]
        if history is not None:
            history.plan_new(
                db.session.scalars(
                    select(Case).where(
                        Case.created_by_id.is_(None), Case.id.not_in(list(history.plans) or [0])
                    )
                )
            )
        if number % max(1, len(groups) // 10) == 0:
            progress(f"demo posts: {done} of {len(stored)} triaged, up to {at:%Y-%m-%d}")
    if history is not None:
        history.advance(now)
    fixed = sync_mentions()
    alerts = detect_spikes(now)
    return (
        f"demo posts: {stats.new} stored, {done} triaged, {sum(left_out)} off-topic left out, "
        f"{fixed} mention count(s) fixed, {len(alerts)} spike alert(s)"
    )
