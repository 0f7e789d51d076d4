"""YouTube Data API v3: videos found by `search.list` and their `commentThreads.list` comments.

Checkpoint::

    {"published_after": "<RFC 3339 time of the newest video collected>",
     "query": "<q of the pass in progress>",      # only mid-pagination
     "page_token": "<nextPageToken>",              # only mid-pagination
     "newest": "<RFC 3339>"}                       # only mid-pagination

Quota: search.list costs 100 units a call, videos.list and commentThreads.list
1 unit each; the default daily quota is 10,000 units.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.collectors.base import (
    Adapter,
    FetchResult,
    InvalidItem,
    PostData,
    SourceError,
    json_safe,
    map_items,
    parse_timestamp,
    require_id,
    require_text,
    to_int,
)
from app.collectors.queries import youtube_query


def _text(*parts: Any) -> str:
    return "\n\n".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def post_from_search_result(item: Mapping[str, Any], statistics: Mapping[str, Any]) -> PostData:
    """A `youtube#searchResult` video (title + description) as `PostData`."""
    video_id = require_id((item.get("id") or {}).get("videoId"), "videoId")
    snippet = item.get("snippet") or {}
    text = _text(snippet.get("title"), snippet.get("description"))
    if not text:
        raise InvalidItem("missing title and description")
    thumbnail = (snippet.get("thumbnails") or {}).get("high", {}).get("url")
    stats = statistics.get(video_id) or {}
    return PostData(
        source="youtube",
        external_id=video_id,
        url=f"https://www.youtube.com/watch?v={video_id}",
        text=text,
        language=snippet.get("defaultLanguage") or snippet.get("defaultAudioLanguage"),
        posted_at=parse_timestamp(snippet.get("publishedAt")),
        author_handle=snippet.get("channelId"),
        author_name=snippet.get("channelTitle"),
        likes=to_int(stats.get("likeCount")),
        comments=to_int(stats.get("commentCount")),
        views=to_int(stats.get("viewCount")),
        media_urls=[thumbnail] if thumbnail else [],
        raw=json_safe({**item, "statistics": stats} if stats else item),
    )


def post_from_comment_thread(item: Mapping[str, Any]) -> PostData:
    """The top-level comment of a `youtube#commentThread` as `PostData`, child of its video."""
    snippet = item.get("snippet") or {}
    video_id = require_id(snippet.get("videoId"), "videoId")
    comment = snippet.get("topLevelComment") or {}
    comment_id = require_id(comment.get("id") or item.get("id"), "comment id")
    details = comment.get("snippet") or {}
    text = require_text(details.get("textOriginal") or details.get("textDisplay"), "comment text")
    return PostData(
        source="youtube",
        external_id=comment_id,
        url=f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}",
        text=text,
        posted_at=parse_timestamp(details.get("publishedAt")),
        author_handle=(details.get("authorChannelId") or {}).get("value"),
        author_name=details.get("authorDisplayName"),
        likes=to_int(details.get("likeCount")),
        comments=to_int(snippet.get("totalReplyCount")),
        parent_external_id=video_id,
        raw=json_safe(item),
    )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class YouTubeAdapter(Adapter):
    """Videos matching the watchlist terms (newest first), their statistics and comments."""

    name = "youtube"
    base_url_setting = "YOUTUBE_BASE_URL"
    default_base_url = "https://www.googleapis.com/youtube/v3"

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__(settings, **kwargs)
        self.api_key = self.require_setting("YOUTUBE_API_KEY")
        self.page_size = self.int_setting("YOUTUBE_PAGE_SIZE", 50)
        self.comments_per_video = self.int_setting("YOUTUBE_COMMENTS_PER_VIDEO", 100)
        self.region_code = self.setting("YOUTUBE_REGION_CODE", "VN")
        self.relevance_language = self.setting("YOUTUBE_RELEVANCE_LANGUAGE", "vi")

    def _get(self, resource: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        payload = self.http.get_json(
            f"{self.base_url}/{resource}", params={**params, "key": self.api_key}
        )
        if not isinstance(payload, Mapping) or not isinstance(payload.get("items", []), list):
            raise SourceError(self.name, 200, f"GET /{resource}: unexpected response shape")
        return payload

    def fetch(self, checkpoint: Mapping[str, Any], query_terms: list[str]) -> FetchResult:
        """Read one search page of videos for `query_terms`, with statistics and comments."""
        if not query_terms:
            return FetchResult(checkpoint=dict(checkpoint))
        query = youtube_query(query_terms)
        # A page token belongs to the query that produced it; a changed watchlist restarts.
        resuming = bool(checkpoint.get("page_token")) and checkpoint.get("query") == query
        params: dict[str, Any] = {
            "part": "snippet",
            "type": "video",
            "order": "date",
            "q": query,
            "maxResults": self.page_size,
            "regionCode": self.region_code,
            "relevanceLanguage": self.relevance_language,
        }
        if checkpoint.get("published_after"):
            params["publishedAfter"] = checkpoint["published_after"]
        if resuming:
            params["pageToken"] = checkpoint["page_token"]
        payload = self._get("search", params)
        items = payload.get("items") or []

        statistics = self._statistics(items)
        posts, rejected = map_items(items, lambda item: post_from_search_result(item, statistics))
        for video in list(posts):
            if video.comments != 0:
                comments, comment_rejects = self._comments(video.external_id)
                posts.extend(comments)
                rejected.extend(comment_rejects)

        newest = checkpoint.get("newest") if resuming else None
        for post in posts:
            if post.parent_external_id is None and (
                newest is None or _iso(post.posted_at) > newest
            ):
                newest = _iso(post.posted_at)

        token = payload.get("nextPageToken")
        if token and items:
            next_checkpoint = {
                "published_after": checkpoint.get("published_after"),
                "query": query,
                "page_token": token,
                "newest": newest,
            }
            return FetchResult(posts, rejected, next_checkpoint, has_more=True)
        published_after = newest or checkpoint.get("published_after")
        return FetchResult(posts, rejected, {"published_after": published_after}, has_more=False)

    def _statistics(self, items: list[Any]) -> dict[str, Any]:
        """viewCount/likeCount/commentCount per video id, in one videos.list call."""
        ids = [
            item["id"]["videoId"]
            for item in items
            if isinstance(item, Mapping)
            and isinstance(item.get("id"), Mapping)
            and item["id"].get("videoId")
        ]
        if not ids:
            return {}
        payload = self._get("videos", {"part": "statistics", "id": ",".join(ids)})
        return {
            video["id"]: video.get("statistics") or {}
            for video in payload.get("items") or []
            if isinstance(video, Mapping) and video.get("id")
        }

    def _comments(self, video_id: str) -> tuple[list[PostData], list[tuple[str, str]]]:
        """One page of a video's newest comment threads; none when comments are disabled."""
        try:
            payload = self._get(
                "commentThreads",
                {
                    "part": "snippet",
                    "videoId": video_id,
                    "order": "time",
                    "textFormat": "plainText",
                    "maxResults": self.comments_per_video,
                },
            )
        except SourceError as error:
            # 403 commentsDisabled is a property of the video, not a failure of the source.
            if error.status == 403 and "disabled" in error.message.lower():
                return [], []
            raise
        return map_items(payload.get("items") or [], post_from_comment_thread)
