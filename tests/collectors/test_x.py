"""X API v2 recent search adapter and the query builders."""

import json

import pytest
from werkzeug import Response

from app.collectors.queries import x_query, youtube_query
from app.collectors.sources.x import XAdapter

PAGE_ONE = {
    "data": [
        {
            "id": "1830000000000000003",
            "text": "Ngập nặng đường Võ Văn Kiệt, xe chết máy hàng loạt",
            "author_id": "42",
            "created_at": "2025-09-02T10:31:05.000Z",
            "lang": "vi",
            "public_metrics": {
                "retweet_count": 3,
                "reply_count": 2,
                "like_count": 17,
                "quote_count": 1,
                "impression_count": 950,
            },
            "geo": {
                "place_id": "pl1",
                "coordinates": {"type": "Point", "coordinates": [106.69, 10.75]},
            },
            "attachments": {"media_keys": ["3_1"]},
        },
        {
            "id": "1830000000000000002",
            "text": "@ubnd trả lời giúp, hẻm 45 Lê Văn Việt vẫn ngập",
            "author_id": "43",
            "created_at": "2025-09-02T10:00:00.000Z",
            "referenced_tweets": [{"type": "replied_to", "id": "1829999999999999999"}],
        },
        {"id": "1830000000000000001", "author_id": "43", "created_at": "2025-09-02T09:00:00.000Z"},
    ],
    "includes": {
        "users": [
            {"id": "42", "name": "Minh Trần", "username": "minhtran"},
            {"id": "43", "name": "Lan", "username": "lan_q9"},
        ],
        "places": [
            {
                "id": "pl1",
                "full_name": "Quận 5, Hồ Chí Minh",
                "geo": {"bbox": [106.6, 10.7, 106.7, 10.8]},
            }
        ],
        "media": [
            {"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg"}
        ],
    },
    "meta": {
        "newest_id": "1830000000000000003",
        "oldest_id": "1830000000000000001",
        "result_count": 3,
        "next_token": "b26v89c19zqg8o3fpzbkk",
    },
}
PAGE_TWO = {
    "data": [
        {
            "id": "1829000000000000000",
            "text": "kẹt xe cầu Sài Gòn từ 6h",
            "author_id": "44",
            "created_at": "2025-09-01T23:00:00.000Z",
        }
    ],
    "meta": {
        "newest_id": "1829000000000000000",
        "oldest_id": "1829000000000000000",
        "result_count": 1,
    },
}


@pytest.fixture
def adapter(httpserver, make_http):
    settings = {"X_BEARER_TOKEN": "bearer-1", "X_BASE_URL": httpserver.url_for("/2")}
    return XAdapter(settings, http=make_http("x"))


def serve(httpserver):
    requests_seen = []

    def handler(request):
        requests_seen.append((request.args.to_dict(), request.headers.get("Authorization")))
        page = PAGE_TWO if request.args.get("next_token") else PAGE_ONE
        return Response(json.dumps(page), content_type="application/json")

    httpserver.expect_request("/2/tweets/search/recent").respond_with_handler(handler)
    return requests_seen


def test_two_pages_then_since_id(httpserver, adapter):
    seen = serve(httpserver)
    terms = ["ngập nước", "kẹt xe"]

    first = adapter.fetch({"since_id": "1820000000000000000"}, terms)

    assert [p.external_id for p in first.posts] == ["1830000000000000003", "1830000000000000002"]
    tweet, reply = first.posts
    assert tweet.author_handle == "minhtran" and tweet.author_name == "Minh Trần"
    assert tweet.url == "https://x.com/minhtran/status/1830000000000000003"
    assert (tweet.likes, tweet.shares, tweet.comments, tweet.views) == (17, 4, 2, 950)
    assert tweet.media_urls == ["https://pbs.twimg.com/media/a.jpg"]
    assert tweet.place_hints["lat"] == 10.75 and tweet.place_hints["lon"] == 106.69
    assert tweet.place_hints["place_name"] == "Quận 5, Hồ Chí Minh"
    assert reply.parent_external_id == "1829999999999999999"
    assert first.rejected == [(first.rejected[0][0], "missing text")]
    assert first.has_more is True

    second = adapter.fetch(first.checkpoint, terms)

    assert [p.external_id for p in second.posts] == ["1829000000000000000"]
    assert second.has_more is False
    # The newest id of the whole pass, not of its last page.
    assert second.checkpoint == {"since_id": "1830000000000000003"}

    (query_one, auth), (query_two, _) = seen
    assert auth == "Bearer bearer-1"
    assert query_one["since_id"] == query_two["since_id"] == "1820000000000000000"
    assert query_two["next_token"] == "b26v89c19zqg8o3fpzbkk"
    assert query_one["query"] == (
        '("ngập nước" OR "ngap nuoc" OR "kẹt xe" OR "ket xe") lang:vi -is:retweet'
    )
    assert "author_id" in query_one["expansions"]


def test_empty_result_keeps_since_id(httpserver, adapter):
    httpserver.expect_request("/2/tweets/search/recent").respond_with_json(
        {"meta": {"result_count": 0}}
    )

    result = adapter.fetch({"since_id": "5"}, ["ngập"])

    assert result.posts == [] and result.rejected == []
    assert result.checkpoint == {"since_id": "5"}


def test_x_query_quotes_phrases_adds_exclusions_and_fits_the_limit():
    assert x_query(["ngập", "Quận 7"], must_not=["quảng cáo"]) == (
        '(ngập OR ngap OR "Quận 7" OR "quan 7") -"quảng cáo" -"quang cao" lang:vi -is:retweet'
    )
    assert x_query(["ngập", "Thủ Đức"], mode="all", include_unaccented=False) == (
        'ngập "Thủ Đức" lang:vi -is:retweet'
    )
    assert x_query(["OR"], include_unaccented=False) == '"OR" lang:vi -is:retweet'
    many = [f"đường số {n}" for n in range(100)]
    query = x_query(many, max_length=512)
    assert len(query) <= 512 and query.endswith("lang:vi -is:retweet")
    with pytest.raises(ValueError):
        x_query(many, mode="all", max_length=512)
    with pytest.raises(ValueError):
        x_query([])


def test_youtube_query_syntax():
    assert youtube_query(["ngập nước", "triều cường"]) == '"ngập nước"|"triều cường"'
    assert youtube_query(["ngập", "Thủ Đức"], mode="all", must_not=["quảng cáo"]) == (
        'ngập "Thủ Đức" -"quảng cáo"'
    )
