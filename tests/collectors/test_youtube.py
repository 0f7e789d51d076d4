"""YouTube Data API v3 adapter: search pages, statistics, comment threads."""

import json

import pytest
from werkzeug import Response

from app.collectors.http import SourceError
from app.collectors.sources.youtube import YouTubeAdapter


def search_item(video_id, title, published, description=""):
    return {
        "kind": "youtube#searchResult",
        "etag": f"etag-{video_id}",
        "id": {"kind": "youtube#video", "videoId": video_id},
        "snippet": {
            "publishedAt": published,
            "channelId": "UCtv-hcmc",
            "title": title,
            "description": description,
            "thumbnails": {"high": {"url": f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg"}},
            "channelTitle": "HTV Tin tức",
            "liveBroadcastContent": "none",
        },
    }


SEARCH_PAGE_ONE = {
    "kind": "youtube#searchListResponse",
    "nextPageToken": "CAIQAA",
    "regionCode": "VN",
    "pageInfo": {"totalResults": 3, "resultsPerPage": 2},
    "items": [
        search_item(
            "vid1", "Ngập nước khắp Thủ Đức sau cơn mưa", "2025-09-02T11:00:00Z", "Mưa lớn..."
        ),
        search_item("vid2", "Kẹt xe nghiêm trọng ở Gò Vấp", "2025-09-02T08:00:00Z"),
        {"kind": "youtube#searchResult", "id": {"kind": "youtube#channel", "channelId": "UCx"}},
    ],
}
SEARCH_PAGE_TWO = {
    "kind": "youtube#searchListResponse",
    "items": [search_item("vid3", "Triều cường dâng cao ở Nhà Bè", "2025-09-01T22:00:00Z")],
}
COMMENT_THREADS = {
    "kind": "youtube#commentThreadListResponse",
    "items": [
        {
            "kind": "youtube#commentThread",
            "id": "UgzThread1",
            "snippet": {
                "videoId": "vid1",
                "topLevelComment": {
                    "kind": "youtube#comment",
                    "id": "UgzComment1",
                    "snippet": {
                        "videoId": "vid1",
                        "textDisplay": "Khu Linh Trung ngập từ sáng",
                        "textOriginal": "Khu Linh Trung ngập từ sáng",
                        "authorDisplayName": "@tranthib",
                        "authorChannelId": {"value": "UCviewer1"},
                        "likeCount": 5,
                        "publishedAt": "2025-09-02T12:00:00Z",
                    },
                },
                "totalReplyCount": 2,
            },
        }
    ],
}
COMMENTS_DISABLED = {
    "error": {
        "code": 403,
        "message": "The video identified by the <code>videoId</code> parameter has disabled comments.",
        "errors": [{"reason": "commentsDisabled", "domain": "youtube.commentThread"}],
    }
}


@pytest.fixture
def adapter(httpserver, make_http):
    settings = {"YOUTUBE_API_KEY": "key-1", "YOUTUBE_BASE_URL": httpserver.url_for("/youtube/v3")}
    return YouTubeAdapter(settings, http=make_http("youtube"))


def serve(httpserver):
    searches = []

    def search(request):
        searches.append(request.args.to_dict())
        page = SEARCH_PAGE_TWO if request.args.get("pageToken") == "CAIQAA" else SEARCH_PAGE_ONE
        return Response(json.dumps(page), content_type="application/json")

    def videos(request):
        stats = {
            "vid1": {"viewCount": "1500", "likeCount": "40", "commentCount": "1"},
            "vid2": {"viewCount": "300", "likeCount": "2", "commentCount": "7"},
            "vid3": {"viewCount": "10", "likeCount": "0", "commentCount": "0"},
        }
        ids = request.args["id"].split(",")
        body = {"items": [{"id": i, "statistics": stats[i]} for i in ids]}
        return Response(json.dumps(body), content_type="application/json")

    def comments(request):
        if request.args["videoId"] == "vid2":
            return Response(
                json.dumps(COMMENTS_DISABLED), status=403, content_type="application/json"
            )
        return Response(json.dumps(COMMENT_THREADS), content_type="application/json")

    httpserver.expect_request("/youtube/v3/search").respond_with_handler(search)
    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(videos)
    httpserver.expect_request("/youtube/v3/commentThreads").respond_with_handler(comments)
    return searches


def test_search_pages_with_statistics_and_comments(httpserver, adapter):
    searches = serve(httpserver)

    first = adapter.fetch({"published_after": "2025-09-01T00:00:00Z"}, ["ngập nước", "kẹt xe"])

    assert [p.external_id for p in first.posts] == ["vid1", "vid2", "UgzComment1"]
    video, _, comment = first.posts
    assert video.text == "Ngập nước khắp Thủ Đức sau cơn mưa\n\nMưa lớn..."
    assert video.url == "https://www.youtube.com/watch?v=vid1"
    assert (video.views, video.likes, video.comments) == (1500, 40, 1)
    assert (video.author_handle, video.author_name) == ("UCtv-hcmc", "HTV Tin tức")
    assert comment.parent_external_id == "vid1"
    assert (comment.author_handle, comment.likes, comment.comments) == ("UCviewer1", 5, 2)
    # The channel result has no videoId; vid2's disabled comments are not an error.
    assert [reason for _, reason in first.rejected] == ["missing videoId"]
    assert first.has_more is True
    assert searches[0]["q"] == '"ngập nước"|"kẹt xe"'
    assert searches[0]["publishedAfter"] == "2025-09-01T00:00:00Z"
    assert searches[0]["key"] == "key-1" and searches[0]["order"] == "date"

    second = adapter.fetch(first.checkpoint, ["ngập nước", "kẹt xe"])

    assert [p.external_id for p in second.posts] == ["vid3"]  # commentCount 0: no comment call
    assert searches[1]["pageToken"] == "CAIQAA"
    assert second.has_more is False
    assert second.checkpoint == {"published_after": "2025-09-02T11:00:00Z"}


def test_changed_query_restarts_pagination(httpserver, adapter):
    searches = serve(httpserver)
    stale = {"published_after": None, "query": '"cũ"', "page_token": "CAIQAA", "newest": None}

    adapter.fetch(stale, ["ngập nước"])

    assert "pageToken" not in searches[0]


def test_no_terms_means_no_search(httpserver, adapter):
    result = adapter.fetch({"published_after": "2025-09-01T00:00:00Z"}, [])
    assert result.posts == [] and result.has_more is False
    assert result.checkpoint == {"published_after": "2025-09-01T00:00:00Z"}
    assert httpserver.log == []


def test_other_comment_errors_propagate(httpserver, adapter):
    httpserver.expect_request("/youtube/v3/search").respond_with_json(SEARCH_PAGE_TWO)
    httpserver.expect_request("/youtube/v3/videos").respond_with_json({"items": []})
    httpserver.expect_request("/youtube/v3/commentThreads").respond_with_json(
        {
            "error": {
                "code": 403,
                "message": "The request cannot be completed because you have exceeded your quota.",
            }
        },
        status=403,
    )

    with pytest.raises(SourceError, match="quota"):
        adapter.fetch({}, ["triều cường"])
