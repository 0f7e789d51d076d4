"""The hourly counts the trends read (app/stats/trends/hourly.py) follow every change to the posts
(stored by a collector, triaged, edited, merged, deleted) and agree with a count of the posts
themselves; hot topics read from them are what a full rebuild gives."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cases import moves
from app.collectors.base import PostData
from app.collectors.models import Post
from app.collectors.operations import store_posts
from app.extensions import db
from app.stats.models import LexiconEntry, PostWords
from app.stats.trends import counting, hot_topics, hourly_reads, hourly_rebuild
from app.triage.tasks import triage_posts
from tests.stats.trend_dataset import NOW, make_hot_topics


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


def _collected(number: int, text: str, hours_before: float) -> PostData:
    return PostData(
        source="facebook",
        external_id=f"hourly-{number}",
        text=text,
        posted_at=NOW - timedelta(hours=hours_before),
    )


def _assert_counts_agree_with_the_posts() -> None:
    scanned = hourly_rebuild.scan()
    assert scanned, "something to count"
    assert hourly_rebuild.stored() == scanned
    by_day: Counter = Counter()
    for (hour, dimension, key), count in scanned.items():
        by_day[(counting.day_of(hour), dimension, key)] += count
    assert hourly_rebuild.stored(daily=True) == by_day


def test_the_counts_follow_every_change_and_agree_with_a_scan(
    app_context, admin, keyword_classifier
):
    cases = make_hot_topics(admin)  # through the ORM, one by one
    stats = store_posts(  # a collector's INSERT, pending triage
        [
            _collected(1, "Ngập nước sâu đường Nguyễn Hữu Cảnh, xe chết máy", 2.5),
            _collected(2, "ngap nuoc nguyen huu canh lai roi", 3.5),
            _collected(3, "Giá vàng hôm nay tăng mạnh", 4.5),
            _collected(4, "Kẹt xe cầu Sài Gòn từ sáng", 30),
        ]
    )
    assert triage_posts(stats.new_ids, now=NOW)["done"] == 4  # one UPDATE per batch
    # Edited through the ORM: a reading, a text, a time; one post deleted.
    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    posts[0].is_relevant = False
    posts[1].text = "Ngập nước kéo dài ở Thủ Đức"
    posts[2].posted_at = NOW - timedelta(days=3, minutes=20)
    db.session.delete(posts[3])
    db.session.commit()
    moves.merge(cases["W"], cases["X"], admin, version=cases["W"].version)

    _assert_counts_agree_with_the_posts()
    # A range cut mid-hour (and across a local midnight) reads its ends from the posts.
    start, end = NOW - timedelta(hours=30, minutes=40), NOW - timedelta(minutes=90)
    for dimension in ("posts", "case", "term", "sentiment"):
        expected: Counter = Counter()
        for (_hour, found, key), count in hourly_rebuild.scan(start, end).items():
            if found == dimension:
                expected[key] += count
        assert hourly_reads.totals(dimension, start, end) == dict(+expected)
    assert (
        hourly_reads.totals("case", NOW - timedelta(hours=24), NOW).get(str(cases["W"].id)) is None
    )
    incremental = hot_topics.hot_topics(NOW, min_volume=2)
    assert incremental["cases"] and incremental["keywords"]

    # A rebuild from the posts (same lexicon, keywords read again) changes nothing.
    hourly_rebuild.rebuild(learn=0)

    _assert_counts_agree_with_the_posts()
    assert hot_topics.hot_topics(NOW, min_volume=2) == incremental


def test_a_triaged_post_moves_its_counts(app_context, keyword_classifier):
    window = (NOW - timedelta(hours=24), NOW)
    stats = store_posts(
        [
            _collected(1, "Ngập nước sâu đường Nguyễn Hữu Cảnh, xe chết máy hàng loạt", 1),
            _collected(2, "Giá vàng hôm nay tăng mạnh, mua vàng nhẫn", 2),
        ]
    )
    db.session.commit()
    # Stored, not triaged yet: both count, by channel and keywords.
    assert hourly_reads.totals("posts", *window) == {"all": 2}
    assert hourly_reads.totals("channel", *window) == {"social": 2}
    terms = hourly_reads.totals("term", *window)
    assert terms["ngap nuoc"] == 1 and terms["gia"] == 1
    assert "hang loat" not in terms  # two lone syllables: no keyword yet
    assert hourly_reads.totals("sentiment", *window) == {}

    triage_posts(stats.new_ids, now=NOW)

    flood = db.session.get(Post, stats.new_ids[0])
    assert flood.is_relevant and flood.case_id
    assert db.session.get(Post, stats.new_ids[1]).is_relevant is False
    assert hourly_reads.totals("posts", *window) == {"all": 1}
    assert hourly_reads.totals("category", *window) == {"flooding": 1}
    assert hourly_reads.totals("sentiment", *window) == {"negative": 1}
    assert hourly_reads.totals("case", *window) == {str(flood.case_id): 1}
    # Triage learned the compounds of the relevant text (underthesea) and read it again.
    assert "hàng loạt" in set(db.session.scalars(select(LexiconEntry.phrase)))
    terms = hourly_reads.totals("term", *window)
    assert terms["ngap nuoc"] == 1 and terms["hang loat"] == 1 and "gia" not in terms
    assert ["hang loat", "hàng loạt", 0] in db.session.get(PostWords, flood.id).words
    hot = hot_topics.hot_topics(NOW, min_volume=1)
    assert [c["case_id"] for c in hot["cases"]] == [flood.case_id]
    shown = {k["display"] for k in hot["keywords"]} | {
        word for k in hot["keywords"] for word in k["related"]
    }
    assert "ngập nước" in shown and "giá" not in shown


@pytest.fixture
def sqlite_app(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from config import TestConfig

    config = type(
        "SqliteConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hot.db'}", "JOBS_MODE": "inline"},
    )
    application = create_app(config)
    with application.app_context():
        upgrade()
        yield application
        db.session.remove()


def test_sqlite_keeps_the_same_counts(sqlite_app):
    from tests.stats.test_trends_keywords import BASELINE_POSTS, WINDOW_POSTS
    from tests.stats.trend_dataset import in_baseline, in_window, post

    db.session.add_all([post(in_window(1 + i), text) for i, text in enumerate(WINDOW_POSTS)])
    db.session.add_all([post(in_baseline(day), text) for day in (1, 3) for text in BASELINE_POSTS])
    db.session.commit()
    store_posts([_collected(1, "Ngập nước ở Thủ Đức, nước vô tận nhà", 2.5)])
    assert lexicon_learns("Xe buýt trễ chuyến") >= 0  # learning writes on SQLite too
    first = db.session.scalars(select(Post).order_by(Post.id)).first()
    first.is_relevant = False
    db.session.commit()

    _assert_counts_agree_with_the_posts()
    hot = hot_topics.hot_topics(NOW - timedelta(minutes=25), limit=20, min_volume=2)
    flood = next(k for k in hot["keywords"] if k["term"] == "ngap nuoc")
    assert flood["display"] == "ngập nước" and flood["volume"] == 4  # 5 posts, one dropped
    hourly_rebuild.rebuild(learn=0)
    assert hot_topics.hot_topics(NOW - timedelta(minutes=25), limit=20, min_volume=2) == hot


def lexicon_learns(text: str) -> int:
    from app.stats.trends import lexicon

    learned = lexicon.learn([text])
    db.session.commit()
    return learned


def test_the_pieces_of_any_range_add_up_to_it():
    import doctest
    import random
    from datetime import UTC, datetime

    assert doctest.testmod(counting).failed == 0
    rng = random.Random(7)
    origin = datetime(2026, 12, 1, tzinfo=UTC)
    for _ in range(100):
        start = origin + timedelta(minutes=5 * rng.randrange(0, 12 * 24 * 9))
        end = start + timedelta(minutes=5 * rng.randrange(1, 12 * 24 * 9))
        now = origin + timedelta(minutes=5 * rng.randrange(0, 12 * 24 * 20))
        ranges = [(start, end), (start - timedelta(days=7), start)]
        parts = counting.plan(ranges, free_from=now)
        # Every 5 minutes (all ranges start and end on one), each range is covered exactly
        # once; the counts are read by whole hours and local days.
        moment = origin - timedelta(days=8)
        while moment < origin + timedelta(days=20):
            cover = [0, 0]
            for part in parts:
                if part.start <= moment < part.end:
                    for index, weight in enumerate(part.weights):
                        cover[index] += weight
            assert cover == [int(a <= moment < b) for a, b in ranges], (ranges, now, moment)
            moment += timedelta(minutes=5)
        for part in parts:
            if part.span == "hour":
                assert part.start.minute == part.end.minute == 0
            if part.span == "day":
                assert part.start == counting.day_of(part.start)
