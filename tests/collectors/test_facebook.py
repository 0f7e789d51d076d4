"""Facebook Graph API adapter against a local server serving Graph-shaped payloads."""

import json

import pytest
from werkzeug import Response

from app.collectors.base import ConfigError
from app.collectors.sources.facebook import FacebookAdapter, next_page_params


def graph_post(post_id, message, created, *, comments=0, **extra):
    return {
        "id": post_id,
        "message": message,
        "created_time": created,
        "permalink_url": f"https://www.facebook.com/{post_id.replace('_', '/posts/')}",
        "from": {"id": "111", "name": "UBND Phường Thảo Điền"},
        "reactions": {"data": [], "summary": {"total_count": 12, "viewer_reaction": "NONE"}},
        "comments": {"data": [], "summary": {"order": "ranked", "total_count": comments}},
        **extra,
    }


PAGE_ONE = {
    "data": [
        graph_post(
            "111_1",
            "Đường Nguyễn Hữu Cảnh ngập sâu sau mưa chiều nay.",
            "2025-09-02T10:30:00+0000",
            comments=2,
            shares={"count": 3},
            place={
                "name": "Nguyễn Hữu Cảnh",
                "location": {
                    "latitude": 10.7889,
                    "longitude": 106.7190,
                    "city": "Ho Chi Minh City",
                },
            },
            attachments={
                "data": [
                    {
                        "media": {"image": {"src": "https://scontent.example/1.jpg"}},
                        "subattachments": {
                            "data": [
                                {"media": {"image": {"src": "https://scontent.example/2.jpg"}}}
                            ]
                        },
                    }
                ]
            },
        ),
        # A photo-only post: no message, so nothing to triage.
        {"id": "111_2", "created_time": "2025-09-02T09:00:00+0000", "from": {"id": "111"}},
        graph_post("111_3", "Lịch cắt điện khu vực phường An Khánh.", "not a date"),
    ],
    "paging": {
        "cursors": {"before": "QVFIUmBefore", "after": "QVFIUmAfter1"},
        "next": "https://graph.facebook.com/v21.0/111/posts?access_token=tok&limit=50&after=QVFIUmAfter1",
    },
}
PAGE_TWO = {
    "data": [
        graph_post("111_4", "Kẹt xe kéo dài trên cầu Sài Gòn.", "2025-09-01T23:15:00+0000"),
    ],
    "paging": {"cursors": {"before": "QVFIUmBefore2", "after": "QVFIUmAfter2"}},
}
COMMENTS = {
    "data": [
        {
            "id": "111_1_901",
            "message": "Nhà tôi ở hẻm 12 cũng ngập tới đầu gối.",
            "created_time": "2025-09-02T10:45:00+0000",
            "from": {"id": "5550001", "name": "Nguyễn Văn A"},
            "like_count": 4,
            "comment_count": 1,
            "permalink_url": "https://www.facebook.com/111/posts/1?comment_id=901",
        },
        {
            "id": "111_1_902",
            "message": "Đúng rồi, ngập từ 4 giờ chiều.",
            "created_time": "2025-09-02T10:50:00+0000",
            "like_count": 0,
            "parent": {"id": "111_1_901"},
        },
    ],
    "paging": {"cursors": {"before": "c1", "after": "c2"}},
}


@pytest.fixture
def settings(httpserver):
    return {
        "FACEBOOK_ACCESS_TOKEN": "tok",
        "FACEBOOK_PAGE_IDS": "111",
        "FACEBOOK_BASE_URL": httpserver.url_for("/v21.0"),
    }


def serve_posts(httpserver, pages_by_cursor, path="/v21.0/111/posts"):
    """Serve Graph pages keyed by the `after` cursor (None = first page); record the queries."""
    seen = []

    def handler(request):
        seen.append(request.args.to_dict())
        page = pages_by_cursor[request.args.get("after")]
        return Response(json.dumps(page), content_type="application/json")

    httpserver.expect_request(path).respond_with_handler(handler)
    return seen


def test_two_pages_with_comments_and_a_rejected_item(httpserver, settings, make_http):
    queries = serve_posts(httpserver, {None: PAGE_ONE, "QVFIUmAfter1": PAGE_TWO})
    httpserver.expect_request("/v21.0/111_1/comments").respond_with_json(COMMENTS)
    adapter = FacebookAdapter(settings, http=make_http("facebook"))

    first = adapter.fetch({}, [])

    assert [p.external_id for p in first.posts] == ["111_1", "111_1_901", "111_1_902"]
    post, comment, reply = first.posts
    assert post.text == "Đường Nguyễn Hữu Cảnh ngập sâu sau mưa chiều nay."
    assert post.posted_at.isoformat() == "2025-09-02T10:30:00+00:00"
    assert (post.likes, post.shares, post.comments) == (12, 3, 2)
    assert post.author_handle == "111"
    assert post.media_urls == ["https://scontent.example/1.jpg", "https://scontent.example/2.jpg"]
    assert post.place_hints == {
        "place_name": "Nguyễn Hữu Cảnh",
        "lat": 10.7889,
        "lon": 106.719,
        "city": "Ho Chi Minh City",
    }
    assert post.raw["id"] == "111_1"
    assert (comment.parent_external_id, comment.likes, comment.author_name) == (
        "111_1",
        4,
        "Nguyễn Văn A",
    )
    assert reply.parent_external_id == "111_1_901"
    assert [reason for _, reason in first.rejected] == ["missing message", "bad date 'not a date'"]
    assert first.has_more is True
    assert first.checkpoint["page_params"] == {"after": "QVFIUmAfter1"}
    json.dumps(first.checkpoint)  # stored as JSON by the caller

    second = adapter.fetch(first.checkpoint, [])

    assert [p.external_id for p in second.posts] == ["111_4"]
    assert second.has_more is False
    newest = int(post.posted_at.timestamp())
    assert second.checkpoint == {"since": {"111": newest}, "target": 0}
    assert queries[0]["access_token"] == "tok" and "since" not in queries[0]
    assert queries[1]["after"] == "QVFIUmAfter1"

    adapter.fetch(second.checkpoint, [])
    assert queries[2]["since"] == str(newest)
    assert "after" not in queries[2]


def test_pages_then_groups_walked_by_fetch_all(httpserver, settings, make_http):
    settings["FACEBOOK_GROUP_IDS"] = "222"
    serve_posts(httpserver, {None: PAGE_TWO})
    serve_posts(
        httpserver,
        {
            None: {
                "data": [
                    graph_post("222_9", "Rác ùn ứ ở chợ Bà Chiểu.", "2025-09-03T01:00:00+0000")
                ]
            }
        },
        path="/v21.0/222/feed",
    )
    adapter = FacebookAdapter(settings, http=make_http("facebook"))

    pages = list(adapter.fetch_all({}, [], max_pages=5))

    assert [[p.external_id for p in page.posts] for page in pages] == [["111_4"], ["222_9"]]
    assert pages[0].has_more and pages[0].checkpoint["target"] == 1
    assert pages[-1].has_more is False
    assert set(pages[-1].checkpoint["since"]) == {"111", "222"}


def test_time_based_paging_keeps_the_next_query_without_the_token():
    paging = {
        "previous": "https://graph.facebook.com/v21.0/111/posts?since=1&access_token=tok",
        "next": "https://graph.facebook.com/v21.0/111/posts?limit=50&until=1756700000"
        "&__paging_token=enc123&access_token=tok",
    }
    assert next_page_params(paging) == {
        "limit": "50",
        "until": "1756700000",
        "__paging_token": "enc123",
    }
    assert next_page_params({"cursors": {"after": "x"}}) is None  # no `next`: last page


def test_missing_credentials_is_a_config_error():
    with pytest.raises(ConfigError, match="FACEBOOK_ACCESS_TOKEN"):
        FacebookAdapter({"FACEBOOK_PAGE_IDS": "1"})
    with pytest.raises(ConfigError, match="FACEBOOK_PAGE_IDS"):
        FacebookAdapter({"FACEBOOK_ACCESS_TOKEN": "tok"})
