"""Press RSS/Atom adapter: parsing, conditional GET (ETag/Last-Modified, 304), failing feeds."""

import json

import pytest
from werkzeug import Response

from app.collectors.sources.rss import RssAdapter, load_feeds

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>VnExpress RSS</title>
  <link>https://vnexpress.net</link>
  <language>vi-VN</language>
  <item>
    <title>Nhiều tuyến đường ở TP HCM ngập sau mưa lớn</title>
    <description><![CDATA[<a href="https://vnexpress.net/a-1.html"><img src="https://i.vnecdn.net/a1.jpg"></a></br>Mưa hơn một giờ khiến đường Nguyễn Hữu Cảnh ngập &amp; kẹt xe.]]></description>
    <pubDate>Tue, 02 Sep 2025 17:30:00 +0700</pubDate>
    <link>https://vnexpress.net/a-1.html</link>
    <guid>https://vnexpress.net/a-1.html</guid>
  </item>
  <item>
    <title>Bài không có ngày đăng</title>
    <link>https://vnexpress.net/a-2.html</link>
    <guid>https://vnexpress.net/a-2.html</guid>
  </item>
  <item>
    <title>Khởi công cầu Cần Giờ</title>
    <description>Cầu dài 7 km nối Nhà Bè với Cần Giờ.</description>
    <pubDate>Tue, 02 Sep 2025 08:00:00 +0700</pubDate>
    <link>https://vnexpress.net/a-3.html</link>
    <guid>https://vnexpress.net/a-3.html</guid>
    <enclosure url="https://i.vnecdn.net/a3.jpg" type="image/jpeg" length="0"/>
  </item>
</channel>
</rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Pháp Luật TP.HCM</title>
  <id>tag:plo.vn,2025:feed</id>
  <updated>2025-09-02T10:00:00Z</updated>
  <entry>
    <title>Phường Bến Thành ra quân lập lại trật tự vỉa hè</title>
    <id>tag:plo.vn,2025:1</id>
    <link href="https://plo.vn/b-1.html"/>
    <updated>2025-09-02T09:00:00Z</updated>
    <author><name>Hoàng Anh</name></author>
    <summary>Lực lượng chức năng xử lý lấn chiếm vỉa hè.</summary>
  </entry>
</feed>"""

ETAG = '"5f2a-64c1"'
LAST_MODIFIED = "Tue, 02 Sep 2025 10:35:00 GMT"


def feed_server(httpserver, path, body, content_type="application/rss+xml; charset=utf-8"):
    """Serve a feed that answers 304 when the client presents its current validators."""
    requests_seen = []

    def handler(request):
        requests_seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == ETAG:
            return Response(status=304, headers={"ETag": ETAG})
        return Response(
            body, content_type=content_type, headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        )

    httpserver.expect_request(path).respond_with_handler(handler)
    return requests_seen


@pytest.fixture
def feeds(httpserver):
    return [
        {"name": "VnExpress", "url": httpserver.url_for("/rss/tin-moi-nhat.rss"), "language": "vi"},
        {"name": "PLO", "url": httpserver.url_for("/atom.xml")},
    ]


def test_rss_entries_then_304_with_etag(httpserver, feeds, make_http):
    seen = feed_server(httpserver, "/rss/tin-moi-nhat.rss", RSS)
    adapter = RssAdapter({"RSS_FEEDS": feeds[:1]}, http=make_http("rss"))

    first = adapter.fetch({}, [])

    assert [p.external_id for p in first.posts] == [
        "https://vnexpress.net/a-1.html",
        "https://vnexpress.net/a-3.html",
    ]
    article = first.posts[0]
    assert article.text == (
        "Nhiều tuyến đường ở TP HCM ngập sau mưa lớn\n\n"
        "Mưa hơn một giờ khiến đường Nguyễn Hữu Cảnh ngập & kẹt xe."
    )
    assert article.posted_at.isoformat() == "2025-09-02T10:30:00+00:00"
    assert article.media_urls == ["https://i.vnecdn.net/a1.jpg"]
    assert article.author_name == "VnExpress" and article.language == "vi"
    assert article.author_handle == "localhost"
    assert first.posts[1].media_urls == ["https://i.vnecdn.net/a3.jpg"]
    assert [reason for _, reason in first.rejected] == ["missing or unreadable date"]
    feed_url = feeds[0]["url"]
    assert first.checkpoint["feeds"][feed_url] == {"etag": ETAG, "last_modified": LAST_MODIFIED}
    json.dumps(first.checkpoint)
    json.dumps(article.raw)  # feedparser's struct_time values must not leak into raw
    assert "If-None-Match" not in seen[0]

    second = adapter.fetch(first.checkpoint, [])

    assert second.posts == [] and second.rejected == []
    assert seen[1]["If-None-Match"] == ETAG
    assert seen[1]["If-Modified-Since"] == LAST_MODIFIED
    # A 304 keeps the validators for the next run.
    assert second.checkpoint["feeds"][feed_url] == {"etag": ETAG, "last_modified": LAST_MODIFIED}


def test_atom_feed_and_round_robin_over_feeds(httpserver, feeds, make_http):
    feed_server(httpserver, "/rss/tin-moi-nhat.rss", RSS)
    feed_server(httpserver, "/atom.xml", ATOM, content_type="application/atom+xml")
    adapter = RssAdapter({"RSS_FEEDS": feeds}, http=make_http("rss"))

    pages = list(adapter.fetch_all({}, [], max_pages=5))

    assert len(pages) == 2
    assert pages[0].has_more and pages[0].checkpoint["feed_index"] == 1
    assert pages[1].has_more is False and pages[1].checkpoint["feed_index"] == 0
    [entry] = pages[1].posts
    assert entry.external_id == "tag:plo.vn,2025:1"
    assert entry.url == "https://plo.vn/b-1.html"
    assert entry.author_name == "Hoàng Anh"
    assert entry.posted_at.isoformat() == "2025-09-02T09:00:00+00:00"


def test_a_failing_feed_is_reported_and_the_run_moves_on(httpserver, feeds, make_http, sleeps):
    httpserver.expect_request("/rss/tin-moi-nhat.rss").respond_with_data("down", status=502)
    feed_server(httpserver, "/atom.xml", ATOM, content_type="application/atom+xml")
    adapter = RssAdapter({"RSS_FEEDS": feeds}, http=make_http("rss"))

    failed, working = adapter.fetch_all({}, [], max_pages=5)

    assert failed.posts == []
    assert failed.rejected[0][0] == feeds[0]["url"]
    assert "HTTP 502" in failed.rejected[0][1]
    assert len(sleeps) == 2  # retried before giving up on this feed
    assert len(working.posts) == 1


def test_garbage_instead_of_a_feed_is_rejected(httpserver, feeds, make_http):
    httpserver.expect_request("/rss/tin-moi-nhat.rss").respond_with_data(
        "<html><body>Trang đang bảo trì</body", content_type="text/html"
    )
    adapter = RssAdapter({"RSS_FEEDS": feeds[:1]}, http=make_http("rss"))

    result = adapter.fetch({}, [])

    assert result.posts == []
    assert result.rejected[0][1].startswith("unreadable feed")
    assert result.checkpoint["feeds"] == {}


def test_default_feeds_cover_the_major_papers():
    feeds = load_feeds()
    hosts = " ".join(feed["url"] for feed in feeds)
    for paper in (
        "vnexpress.net",
        "tuoitre.vn",
        "thanhnien.vn",
        "nld.com.vn",
        "sggp.org.vn",
        "dantri.com.vn",
        "vietnamnet.vn",
        "plo.vn",
    ):
        assert paper in hosts
    assert all(feed["url"].startswith("https://") and feed["name"] for feed in feeds)
    assert {feed["language"] for feed in feeds} <= {"vi", "en"}
