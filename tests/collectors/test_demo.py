"""`demo load` brings a week of posts that go through triage, so trends and reports show data."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.collectors.models import Post
from app.demo.posts import load_demo_posts
from app.extensions import db
from app.stats.models import SpikeAlert

NOW = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


def test_demo_posts_are_triaged_and_make_a_flooding_spike(app_context, keyword_classifier):
    line = load_demo_posts(NOW)

    stored = db.session.scalar(select(func.count(Post.id)))
    assert line.startswith(f"demo posts: {stored} stored, {stored} triaged")
    channels = dict(
        db.session.execute(select(Post.channel, func.count()).group_by(Post.channel)).all()
    )
    assert set(channels) == {"press", "social", "direct"}
    recent_press = db.session.scalar(
        select(func.count()).where(
            Post.channel == "press", Post.posted_at >= NOW - timedelta(days=1)
        )
    )
    assert recent_press >= 10
    assert db.session.scalar(select(func.count()).where(Post.case_id.is_not(None))) > 0
    assert db.session.scalar(select(func.min(Post.posted_at))) >= NOW - timedelta(days=60)
    spikes = {(a.dimension, a.key) for a in db.session.scalars(select(SpikeAlert))}
    assert ("category", "flooding") in spikes

    # A second run adds nothing.
    assert load_demo_posts(NOW) == f"demo posts: {stored} already there"
    assert db.session.scalar(select(func.count(Post.id))) == stored
