"""Running sources: checkpoints per page, failures recorded with backoff, one job per source."""

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue

from app.collectors.base import Adapter, FetchResult, PostData, SourceError
from app.collectors.models import Post, Source
from app.collectors.runner import ensure_sources, run_source
from app.collectors.tasks import collect_source, schedule_collection
from app.extensions import db

RSS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo</title>
<item><title>Đường Nguyễn Hữu Cảnh ngập sau mưa</title><link>https://bao.vn/1</link><guid>https://bao.vn/1</guid>
<pubDate>Fri, 27 Nov 2026 17:30:00 +0700</pubDate></item>
<item><title>Kẹt xe ở cầu Sài Gòn</title><link>https://bao.vn/2</link><guid>https://bao.vn/2</guid>
<pubDate>Fri, 27 Nov 2026 18:00:00 +0700</pubDate></item>
</channel></rss>"""


class PagedAdapter(Adapter):
    """Two pages, then (optionally) a failure, like a real paginated API."""

    name = "facebook"

    def __init__(self, settings=None, fail_on_page=None, **kwargs):
        super().__init__(settings or {}, **kwargs)
        self.fail_on_page = fail_on_page

    def fetch(self, checkpoint, query_terms):
        page = checkpoint.get("page", 0) + 1
        if page == self.fail_on_page:
            raise SourceError("facebook", 429, "rate limited", retry_after=120)
        posts = [
            PostData(
                source="facebook",
                external_id=f"{page}-{n}",
                text=f"Ngập đường số {page}{n}",
                posted_at=datetime(2026, 11, 27, tzinfo=UTC),
            )
            for n in range(3)
        ]
        return FetchResult(
            posts, [("{}", "no text")] if page == 1 else [], {"page": page}, has_more=page < 2
        )


@pytest.fixture
def facebook_source(app_context):
    ensure_sources()
    source = db.session.scalar(db.select(Source).where(Source.name == "facebook"))
    source.is_enabled = True
    db.session.commit()
    return source


def test_run_stores_pages_and_their_checkpoint(facebook_source):
    stats = run_source("facebook", adapter_factory=lambda kind, settings: PagedAdapter(settings))

    assert (stats.read, stats.new, stats.duplicate, sum(stats.rejected.values())) == (7, 6, 0, 1)
    assert facebook_source.checkpoint == {"page": 2}
    assert facebook_source.last_run_stats["new"] == 6
    assert facebook_source.items_collected == 6
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 6


def test_a_failure_keeps_what_was_stored_and_backs_off_as_asked(facebook_source):
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)

    with pytest.raises(SourceError):
        run_source(
            "facebook",
            now=now,
            adapter_factory=lambda kind, settings: PagedAdapter(settings, fail_on_page=2),
        )

    db.session.refresh(facebook_source)
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 3
    assert facebook_source.checkpoint == {"page": 1}
    assert facebook_source.last_error.startswith("facebook")
    assert facebook_source.consecutive_failures == 1
    assert facebook_source.next_run_at == now + timedelta(seconds=120)


def test_repeated_failures_back_off_exponentially(facebook_source):
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)

    class Down(PagedAdapter):
        def fetch(self, checkpoint, query_terms):
            raise SourceError("facebook", 503, "service unavailable")

    waits = []
    for _ in range(3):
        with pytest.raises(SourceError):
            run_source("facebook", now=now, adapter_factory=lambda kind, settings: Down(settings))
        waits.append((facebook_source.next_run_at - now).total_seconds())

    assert waits == [1800, 3600, 7200]


def test_a_source_that_is_down_does_not_block_the_others(app, facebook_source):
    ensure_sources()
    rss = db.session.scalar(db.select(Source).where(Source.name == "rss"))
    rss.is_enabled = True
    db.session.commit()

    assert sorted(schedule_collection()) == ["facebook", "rss"]
    queue = Queue("collect", connection=app.extensions["socialbeat_redis"])
    assert sorted(job.args[0] for job in queue.jobs) == ["facebook", "rss"]
    # The facebook job fails (no credentials) and says so; it does not raise into the worker.
    assert "FACEBOOK_ACCESS_TOKEN" in collect_source("facebook")["error"]
    assert schedule_collection() == []


def test_collect_run_rss_against_a_local_feed_server(runner, app_context, httpserver):
    httpserver.expect_request("/feed.rss").respond_with_data(
        RSS, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    ensure_sources()
    rss = db.session.scalar(db.select(Source).where(Source.name == "rss"))
    rss.settings = {"RSS_FEEDS": [{"name": "Báo", "url": httpserver.url_for("/feed.rss")}]}
    db.session.commit()

    first = runner.invoke(args=["collect", "run", "rss"])
    second = runner.invoke(args=["collect", "run", "rss"])

    assert first.exit_code == 0, first.output
    assert "rss: read 2, new 2, duplicate 0, rejected 0" in first.output
    assert "new 0" in second.output
    assert {p.channel for p in db.session.scalars(db.select(Post))} == {"press"}


def test_one_feed_down_is_reported_and_the_other_feeds_are_read(runner, app_context, httpserver):
    httpserver.expect_request("/down.rss").respond_with_data("down", status=500)
    httpserver.expect_request("/feed.rss").respond_with_data(
        RSS, content_type="application/rss+xml"
    )
    ensure_sources()
    rss = db.session.scalar(db.select(Source).where(Source.name == "rss"))
    rss.settings = {
        "RSS_FEEDS": [
            {"name": "Hỏng", "url": httpserver.url_for("/down.rss")},
            {"name": "Báo", "url": httpserver.url_for("/feed.rss")},
        ],
        "HTTP_MAX_ATTEMPTS": 1,
    }
    db.session.commit()

    result = runner.invoke(args=["collect", "run", "rss"])

    assert result.exit_code == 0, result.output
    assert "rss: read 3, new 2, duplicate 0, rejected 1" in result.output
    assert "500" in result.output


def test_collect_run_reports_a_source_without_credentials(runner, app_context):
    result = runner.invoke(args=["collect", "run", "youtube"])

    assert result.exit_code != 0
    assert "youtube failed" in result.output and "YOUTUBE_API_KEY" in result.output
    source = db.session.scalar(db.select(Source).where(Source.name == "youtube"))
    assert "YOUTUBE_API_KEY" in source.last_error
