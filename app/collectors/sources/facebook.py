"""Facebook Graph API: posts of configured pages (`/{id}/posts`) and groups (`/{id}/feed`),
and the comments of each post (`/{post-id}/comments`).

Checkpoint::

    {"since": {"<page or group id>": <unix seconds of the newest post collected>},
     "target": <index of the page/group being read>,
     "page_params": {...},   # only mid-pagination: the query that reads the next page
     "newest": <unix seconds>}  # only mid-pagination: newest post seen in this pass

Each `fetch` reads one Graph page of one target; when a target is exhausted its
`since` moves to the newest post seen and the next target starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.collectors.base import (
    Adapter,
    ConfigError,
    FetchResult,
    PostData,
    SourceError,
    json_safe,
    map_items,
    parse_timestamp,
    require_id,
    require_text,
    split_setting,
    to_float,
    to_int,
)

POST_FIELDS = (
    "id,message,created_time,permalink_url,from{id,name},place,shares,"
    "reactions.limit(0).summary(total_count),comments.limit(0).summary(total_count),"
    "attachments{media,url,subattachments}"
)
COMMENT_FIELDS = "id,message,created_time,permalink_url,from{id,name},like_count,comment_count,attachment,parent{id}"


def _media_urls(attachments: Any) -> list[str]:
    """Image URLs from an `attachments` edge, including album sub-attachments."""
    urls: list[str] = []
    items = attachments.get("data", []) if isinstance(attachments, Mapping) else []
    for attachment in items:
        if not isinstance(attachment, Mapping):
            continue
        source = (attachment.get("media") or {}).get("image", {}).get("src")
        if source:
            urls.append(source)
        urls.extend(_media_urls(attachment.get("subattachments")))
    return urls


def _place_hints(place: Any) -> dict[str, Any]:
    """Name and coordinates of a post's tagged place."""
    if not isinstance(place, Mapping):
        return {}
    location = place.get("location") or {}
    hints = {
        "place_name": place.get("name"),
        "lat": to_float(location.get("latitude")),
        "lon": to_float(location.get("longitude")),
        "street": location.get("street"),
        "city": location.get("city"),
    }
    return {key: value for key, value in hints.items() if value is not None}


def _summary_count(edge: Any) -> int | None:
    return (
        to_int((edge or {}).get("summary", {}).get("total_count"))
        if isinstance(edge, Mapping)
        else None
    )


def post_from_graph_post(item: Mapping[str, Any]) -> PostData:
    """A page or group post of the Graph API as `PostData`."""
    post_id = require_id(item.get("id"))
    author = item.get("from") or {}
    return PostData(
        source="facebook",
        external_id=post_id,
        url=item.get("permalink_url") or f"https://www.facebook.com/{post_id}",
        text=require_text(item.get("message"), "message"),
        posted_at=parse_timestamp(item.get("created_time")),
        author_handle=author.get("id"),
        author_name=author.get("name"),
        likes=_summary_count(item.get("reactions")),
        shares=to_int((item.get("shares") or {}).get("count")),
        comments=_summary_count(item.get("comments")),
        media_urls=_media_urls(item.get("attachments")),
        place_hints=_place_hints(item.get("place")),
        raw=json_safe(item),
    )


def post_from_graph_comment(item: Mapping[str, Any], post_id: str) -> PostData:
    """A comment of the Graph API as `PostData`; a reply points at its parent comment."""
    comment_id = require_id(item.get("id"))
    author = item.get("from") or {}
    parent = (item.get("parent") or {}).get("id") or post_id
    image = ((item.get("attachment") or {}).get("media") or {}).get("image", {}).get("src")
    return PostData(
        source="facebook",
        external_id=comment_id,
        url=item.get("permalink_url"),
        text=require_text(item.get("message"), "message"),
        posted_at=parse_timestamp(item.get("created_time")),
        author_handle=author.get("id"),
        author_name=author.get("name"),
        likes=to_int(item.get("like_count")),
        comments=to_int(item.get("comment_count")),
        media_urls=[image] if image else [],
        parent_external_id=str(parent),
        raw=json_safe(item),
    )


def next_page_params(paging: Any) -> dict[str, str] | None:
    """The query that reads the next page, or None on the last page.

    The `after` cursor when Graph gives cursors; otherwise (time-based paging,
    which Graph uses once `since` is set) the `next` URL's own query. The URL
    itself is not followed: it points at graph.facebook.com, not at our
    configurable base URL, and it embeds the access token.
    """
    if not isinstance(paging, Mapping) or not paging.get("next"):
        return None
    after = (paging.get("cursors") or {}).get("after")
    if after:
        return {"after": after}
    query = dict(parse_qsl(urlsplit(paging["next"]).query))
    query.pop("access_token", None)
    return query or None


class FacebookAdapter(Adapter):
    """Posts and comments of the pages in FACEBOOK_PAGE_IDS and groups in FACEBOOK_GROUP_IDS."""

    name = "facebook"
    base_url_setting = "FACEBOOK_BASE_URL"
    default_base_url = "https://graph.facebook.com/v21.0"

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__(settings, **kwargs)
        self.access_token = self.require_setting("FACEBOOK_ACCESS_TOKEN")
        self.targets = [
            (page, "posts") for page in split_setting(self.setting("FACEBOOK_PAGE_IDS"))
        ]
        self.targets += [
            (group, "feed") for group in split_setting(self.setting("FACEBOOK_GROUP_IDS"))
        ]
        if not self.targets:
            raise ConfigError("facebook: set FACEBOOK_PAGE_IDS and/or FACEBOOK_GROUP_IDS")
        self.page_size = self.int_setting("FACEBOOK_PAGE_SIZE", 50)
        self.max_comment_pages = self.int_setting("FACEBOOK_MAX_COMMENT_PAGES", 2)

    def _get(self, path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        payload = self.http.get_json(
            f"{self.base_url}/{path}", params={**params, "access_token": self.access_token}
        )
        if not isinstance(payload, Mapping) or not isinstance(payload.get("data", []), list):
            raise SourceError(self.name, 200, f"GET /{path}: unexpected response shape")
        return payload

    def fetch(self, checkpoint: Mapping[str, Any], query_terms: list[str]) -> FetchResult:
        """Read one page of posts (with their comments) of the current page or group.

        `query_terms` is unused: the Graph API cannot search public posts.
        """
        since_by_target = dict(checkpoint.get("since") or {})
        index = int(checkpoint.get("target") or 0)
        resuming = index < len(self.targets) and bool(checkpoint.get("page_params"))
        if index >= len(self.targets):
            index = 0
        target_id, edge = self.targets[index]

        params: dict[str, Any] = {"fields": POST_FIELDS, "limit": self.page_size}
        if since_by_target.get(target_id):
            params["since"] = since_by_target[target_id]
        if resuming:
            params.update(checkpoint["page_params"])
        payload = self._get(f"{target_id}/{edge}", params)
        items = payload.get("data") or []
        posts, rejected = map_items(items, post_from_graph_post)

        for post in list(posts):
            if post.comments:
                comments, comment_rejects = self._comments(post.external_id)
                posts.extend(comments)
                rejected.extend(comment_rejects)

        newest = int(checkpoint.get("newest") or 0) if resuming else 0
        for post in posts:
            if post.parent_external_id is None:
                newest = max(newest, int(post.posted_at.timestamp()))

        following = next_page_params(payload.get("paging")) if items else None
        if following:
            next_checkpoint = {
                "since": since_by_target,
                "target": index,
                "page_params": following,
                "newest": newest,
            }
            return FetchResult(posts, rejected, next_checkpoint, has_more=True)
        if newest:
            since_by_target[target_id] = newest
        has_more = index + 1 < len(self.targets)
        next_checkpoint = {"since": since_by_target, "target": index + 1 if has_more else 0}
        return FetchResult(posts, rejected, next_checkpoint, has_more=has_more)

    def _comments(self, post_id: str) -> tuple[list[PostData], list[tuple[str, str]]]:
        """Comments (and replies) of one post, up to FACEBOOK_MAX_COMMENT_PAGES pages."""
        params: dict[str, Any] = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "limit": 100,
        }
        posts: list[PostData] = []
        rejected: list[tuple[str, str]] = []
        for _ in range(self.max_comment_pages):
            payload = self._get(f"{post_id}/comments", params)
            items = payload.get("data") or []
            page_posts, page_rejected = map_items(
                items, lambda item: post_from_graph_comment(item, post_id)
            )
            posts.extend(page_posts)
            rejected.extend(page_rejected)
            following = next_page_params(payload.get("paging")) if items else None
            if not following:
                break
            params.update(following)
        return posts, rejected
