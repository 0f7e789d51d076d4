"""X API v2 recent search (`GET /2/tweets/search/recent`), authors from `includes.users`.

Checkpoint::

    {"since_id": "<id of the newest post collected>",
     "query": "<query of the pass in progress>",   # only mid-pagination
     "next_token": "<meta.next_token>",            # only mid-pagination
     "newest_id": "<meta.newest_id of the pass>"}  # only mid-pagination

Recent search covers the last 7 days; a `since_id` older than that is refused
by X with a 400, which surfaces as a `SourceError` (drop the checkpoint then).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.collectors.base import (
    Adapter,
    FetchResult,
    PostData,
    SourceError,
    json_safe,
    map_items,
    parse_timestamp,
    require_id,
    require_text,
    to_float,
    to_int,
)
from app.collectors.queries import X_DEFAULT_MAX_LENGTH, x_query

TWEET_FIELDS = (
    "created_at,lang,public_metrics,conversation_id,referenced_tweets,geo,author_id,attachments"
)
EXPANSIONS = "author_id,geo.place_id,attachments.media_keys"


def _by_key(includes: Mapping[str, Any], kind: str, key: str) -> dict[str, Mapping[str, Any]]:
    return {
        str(entry[key]): entry
        for entry in includes.get(kind) or []
        if isinstance(entry, Mapping) and entry.get(key) is not None
    }


class Includes:
    """The `includes` expansions of a search response, looked up by id."""

    def __init__(self, includes: Any):
        includes = includes if isinstance(includes, Mapping) else {}
        self.users = _by_key(includes, "users", "id")
        self.places = _by_key(includes, "places", "id")
        self.media = _by_key(includes, "media", "media_key")


def _place_hints(tweet: Mapping[str, Any], includes: Includes) -> dict[str, Any]:
    geo = tweet.get("geo") or {}
    hints: dict[str, Any] = {}
    coordinates = (geo.get("coordinates") or {}).get("coordinates")
    if isinstance(coordinates, list) and len(coordinates) == 2:
        # GeoJSON order: longitude first.
        hints["lon"], hints["lat"] = to_float(coordinates[0]), to_float(coordinates[1])
    place = includes.places.get(str(geo.get("place_id")))
    if place:
        hints["place_name"] = place.get("full_name") or place.get("name")
        if (place.get("geo") or {}).get("bbox"):
            hints["bbox"] = place["geo"]["bbox"]
    return {key: value for key, value in hints.items() if value is not None}


def post_from_tweet(tweet: Mapping[str, Any], includes: Includes) -> PostData:
    """A v2 tweet object, with its author and media from `includes`, as `PostData`."""
    tweet_id = require_id(tweet.get("id"))
    author = includes.users.get(str(tweet.get("author_id"))) or {}
    username = author.get("username")
    metrics = tweet.get("public_metrics") or {}
    parent = next(
        (
            ref.get("id")
            for ref in tweet.get("referenced_tweets") or []
            if isinstance(ref, Mapping) and ref.get("type") == "replied_to"
        ),
        None,
    )
    media_keys = (tweet.get("attachments") or {}).get("media_keys") or []
    media_urls = [
        media.get("url") or media.get("preview_image_url")
        for media in (includes.media.get(str(key)) for key in media_keys)
        if media and (media.get("url") or media.get("preview_image_url"))
    ]
    shares = [to_int(metrics.get("retweet_count")), to_int(metrics.get("quote_count"))]
    raw = dict(tweet)
    if author:
        raw["author"] = author
    return PostData(
        source="x",
        external_id=tweet_id,
        url=f"https://x.com/{username}/status/{tweet_id}"
        if username
        else f"https://x.com/i/web/status/{tweet_id}",
        text=require_text(tweet.get("text")),
        language=tweet.get("lang"),
        posted_at=parse_timestamp(tweet.get("created_at")),
        author_handle=username or tweet.get("author_id"),
        author_name=author.get("name"),
        likes=to_int(metrics.get("like_count")),
        shares=None if shares == [None, None] else sum(n or 0 for n in shares),
        comments=to_int(metrics.get("reply_count")),
        views=to_int(metrics.get("impression_count")),
        media_urls=media_urls,
        parent_external_id=str(parent) if parent else None,
        place_hints=_place_hints(tweet, includes),
        raw=json_safe(raw),
    )


def _newer_id(a: str | None, b: str | None) -> str | None:
    """The larger of two snowflake ids (they grow with time), compared as numbers."""
    candidates = [value for value in (a, b) if value and str(value).isdigit()]
    return max(candidates, key=int) if candidates else None


class XAdapter(Adapter):
    """Recent posts matching the watchlist terms, newest first, paged by `next_token`."""

    name = "x"
    base_url_setting = "X_BASE_URL"
    default_base_url = "https://api.x.com/2"

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__(settings, **kwargs)
        self.bearer_token = self.require_setting("X_BEARER_TOKEN")
        # X accepts 10..100 results per page.
        self.page_size = min(100, max(10, self.int_setting("X_PAGE_SIZE", 100)))
        self.max_query_length = self.int_setting("X_MAX_QUERY_LENGTH", X_DEFAULT_MAX_LENGTH)
        self.language = self.setting("X_LANGUAGE", "vi")

    def fetch(self, checkpoint: Mapping[str, Any], query_terms: list[str]) -> FetchResult:
        """Read one page of recent posts for `query_terms` after `since_id`."""
        if not query_terms:
            return FetchResult(checkpoint=dict(checkpoint))
        query = x_query(query_terms, language=self.language, max_length=self.max_query_length)
        # A next_token belongs to the query that produced it; a changed watchlist restarts.
        resuming = bool(checkpoint.get("next_token")) and checkpoint.get("query") == query
        since_id = checkpoint.get("since_id")
        params: dict[str, Any] = {
            "query": query,
            "max_results": self.page_size,
            "tweet.fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user.fields": "username,name",
            "place.fields": "full_name,name,geo,country_code",
            "media.fields": "url,preview_image_url,type",
        }
        if since_id:
            params["since_id"] = since_id
        if resuming:
            params["next_token"] = checkpoint["next_token"]
        payload = self.http.get_json(
            f"{self.base_url}/tweets/search/recent",
            params=params,
            headers={"Authorization": f"Bearer {self.bearer_token}"},
        )
        if not isinstance(payload, Mapping) or not isinstance(payload.get("data", []), list):
            raise SourceError(
                self.name, 200, "GET /tweets/search/recent: unexpected response shape"
            )
        includes = Includes(payload.get("includes"))
        posts, rejected = map_items(
            payload.get("data") or [], lambda t: post_from_tweet(t, includes)
        )

        meta = payload.get("meta") or {}
        newest_id = _newer_id(
            checkpoint.get("newest_id") if resuming else None, meta.get("newest_id")
        )
        if meta.get("next_token"):
            next_checkpoint = {
                "since_id": since_id,
                "query": query,
                "next_token": meta["next_token"],
                "newest_id": newest_id,
            }
            return FetchResult(posts, rejected, next_checkpoint, has_more=True)
        return FetchResult(
            posts, rejected, {"since_id": _newer_id(since_id, newest_id)}, has_more=False
        )
