"""Redis down: the report form and feedback still answer, limited in this process's memory."""

import logging

import pytest
import redis

from app.collectors.models import Post
from app.extensions import db
from app.jobs import new_redis
from app.public.models import CitizenFeedback
from app.public.ratelimit import RateLimiter
from tests.conftest import TEST_REDIS_URL
from tests.public.conftest import csrf_token

DEAD_REDIS = "redis://127.0.0.1:1/0"
WARNING = "Redis is unavailable for rate limits"


@pytest.fixture
def redis_down(app, monkeypatch):
    """The app found Redis at start-up (its jobs go to the queues); now it does not answer."""
    monkeypatch.setitem(app.extensions, "socialbeat_redis", new_redis(DEAD_REDIS))
    monkeypatch.setitem(app.extensions, "socialbeat_ratelimit", RateLimiter())


@pytest.fixture(autouse=True)
def _log_enabled(monkeypatch):
    """Alembic's logging set-up in the app fixture disables loggers that already exist."""
    monkeypatch.setattr(logging.getLogger("app.public.ratelimit"), "disabled", False)


def _warnings(caplog) -> int:
    return sum(WARNING in record.getMessage() for record in caplog.records)


def test_the_report_form_works_while_redis_is_down_and_keeps_the_report(
    file_report, redis_down, caplog
):
    problems = [
        ("Ngập nước sâu ở đường Nguyễn Hữu Cảnh", "flooding"),
        ("Rác ùn ứ trước chợ Bà Chiểu nhiều ngày", "environment"),
        ("Cây đổ chắn ngang đường Điện Biên Phủ", "infrastructure"),
    ]
    responses = [
        file_report(text=text, category=category, submission_id=f"outage-{n}")
        for n, (text, category) in enumerate(problems)
    ]

    assert [r.status_code for r in responses] == [200, 200, 200]
    posts = db.session.scalars(db.select(Post).order_by(Post.id)).all()
    assert len(posts) == 3
    assert all(
        post.tracking_code in r.get_data(as_text=True)
        for post, r in zip(posts, responses, strict=True)
    )
    # Each is a case at once: Redis is not needed for that.
    assert all(post.case_id is not None for post in posts)
    # Triage could not be queued: the posts wait for the sweeper, none is lost.
    assert {post.triage_status for post in posts} == {"pending"}
    assert _warnings(caplog) == 1


def test_feedback_works_while_redis_is_down(client, create_case, reporter_link, redis_down):
    case = create_case("responded")
    link = reporter_link(case)
    token = csrf_token(client, link)

    response = client.post(link, data={"csrf_token": token, "solved": "yes", "score": "4"})

    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(CitizenFeedback.id))) == 1


def test_the_limit_still_holds_while_redis_is_down(app, file_report, redis_down, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_REPORTS_PER_HOUR", 2)

    statuses = [file_report(submission_id=str(n)).status_code for n in range(3)]

    assert statuses == [200, 200, 429]
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 2


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_counts_move_back_to_redis_when_it_answers_again(caplog):
    caplog.set_level(logging.INFO, logger="app.public.ratelimit")
    clock = Clock()
    limiter = RateLimiter(retry_seconds=5, clock=clock)
    dead, live = new_redis(DEAD_REDIS), redis.Redis.from_url(TEST_REDIS_URL)
    name, now = "socialbeat:public:rate:test:client", 7200.0

    # Down: counted in memory, one warning for the whole outage.
    assert [limiter.hit(dead, name, 2, 3600, now=now) for _ in range(3)] == [True, True, False]
    assert limiter.redis_down
    assert _warnings(caplog) == 1
    # Until the retry time, Redis is not asked at all (no wait on each request).
    assert limiter.hit(live, name, 2, 3600, now=now) is False
    assert live.get(f"{name}:2") is None

    clock.now += 5
    assert limiter.hit(live, name, 2, 3600, now=now) is True

    assert int(live.get(f"{name}:2")) == 1
    assert 0 < live.ttl(f"{name}:2") <= 3600
    assert not limiter.redis_down
    assert "rate limits count in Redis" in caplog.text
    assert _warnings(caplog) == 1


def test_a_new_outage_warns_again(caplog):
    clock = Clock()
    limiter = RateLimiter(retry_seconds=5, clock=clock)
    dead, live = new_redis(DEAD_REDIS), redis.Redis.from_url(TEST_REDIS_URL)

    limiter.hit(dead, "a", 5, 60)
    clock.now += 5
    limiter.hit(live, "a", 5, 60)
    limiter.hit(dead, "a", 5, 60)

    assert _warnings(caplog) == 2


def test_memory_counts_are_bounded():
    limiter = RateLimiter(max_memory_keys=3)

    for client in range(10):
        limiter.hit(None, f"client-{client}", 1, 60, now=0)

    assert len(limiter._memory) == 3
    assert limiter.hit(None, "client-9", 1, 60, now=0) is False
