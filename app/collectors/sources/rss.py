"""Press RSS/Atom feeds, read with conditional GET and parsed by feedparser.

Checkpoint::

    {"feeds": {"<feed url>": {"etag": "...", "last_modified": "..."}},
     "feed_index": <index of the next feed to read>}

Each `fetch` reads one feed. The stored ETag/Last-Modified go back as
If-None-Match/If-Modified-Since, so an unchanged feed costs a 304 and no
parsing. A feed that fails is listed in `rejected` and the run moves on: one
newspaper being down must not stop the others, and the feed is simply read
again next run. Entries already seen come back while they stay in the feed;
the (source, external_id) uniqueness makes that harmless.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser

from app.collectors.base import (
    Adapter,
    ConfigError,
    FetchResult,
    InvalidItem,
    PostData,
    SourceError,
    from_epoch,
    image_urls_in_html,
    json_safe,
    map_items,
    require_id,
    strip_html,
)

DEFAULT_FEEDS_FILE = Path(__file__).resolve().parent.parent / "default_feeds.json"


def load_feeds(value: Any = None) -> list[dict[str, Any]]:
    """Feeds from a list of {name, url, language}, a JSON file path or JSON text; default list if None."""
    if value is None or value == "":
        value = DEFAULT_FEEDS_FILE
    if isinstance(value, str) and value.lstrip().startswith("["):
        value = json.loads(value)
    elif isinstance(value, str | Path):
        value = json.loads(Path(value).read_text(encoding="utf-8"))
    feeds = []
    for feed in value:
        if isinstance(feed, str):
            feed = {"url": feed}
        if not isinstance(feed, Mapping) or not feed.get("url"):
            raise ConfigError(f"rss: a feed needs a url, got {feed!r}")
        feeds.append(
            {
                "name": feed.get("name") or feed["url"],
                "url": feed["url"],
                "language": feed.get("language"),
            }
        )
    return feeds


def _published(entry: Mapping[str, Any]) -> datetime:
    # feedparser normalises dates to UTC struct_time; prefer publication over update.
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        raise InvalidItem("missing or unreadable date")
    return from_epoch(calendar.timegm(parsed))


def _entry_media(entry: Mapping[str, Any]) -> list[str]:
    urls = [m.get("url") for m in entry.get("media_content") or [] if m.get("url")]
    urls += [m.get("url") for m in entry.get("media_thumbnail") or [] if m.get("url")]
    urls += [e.get("href") for e in entry.get("enclosures") or [] if e.get("href")]
    urls += image_urls_in_html(entry.get("summary"))
    return list(dict.fromkeys(urls))


def post_from_entry(entry: Mapping[str, Any], feed: Mapping[str, Any]) -> PostData:
    """A feed entry (title + summary as text) as `PostData`."""
    external_id = require_id(entry.get("id") or entry.get("link"), "id or link")
    title = strip_html(entry.get("title"))
    summary = strip_html(entry.get("summary"))
    text = "\n\n".join(part for part in (title, summary) if part)
    if not text:
        raise InvalidItem("missing title and summary")
    raw = {key: value for key, value in entry.items() if not key.endswith("_parsed")}
    return PostData(
        source="rss",
        external_id=external_id,
        url=entry.get("link"),
        text=text,
        language=feed.get("language"),
        posted_at=_published(entry),
        author_handle=urlsplit(feed["url"]).hostname,
        author_name=entry.get("author") or feed.get("name"),
        media_urls=_entry_media(entry),
        raw=json_safe({**raw, "feed": feed.get("name")}),
    )


class RssAdapter(Adapter):
    """The feeds in RSS_FEEDS (default: `default_feeds.json`), one feed per fetch."""

    name = "rss"

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__(settings, **kwargs)
        self.feeds = load_feeds(self.setting("RSS_FEEDS"))
        if not self.feeds:
            raise ConfigError("rss: RSS_FEEDS is empty")

    def fetch(self, checkpoint: Mapping[str, Any], query_terms: list[str]) -> FetchResult:
        """Read the next feed in turn; `query_terms` is unused (feeds cannot search)."""
        states = {url: dict(state) for url, state in (checkpoint.get("feeds") or {}).items()}
        index = int(checkpoint.get("feed_index") or 0)
        if index >= len(self.feeds):
            index = 0
        feed = self.feeds[index]
        posts, rejected = self._read_feed(feed, states)
        has_more = index + 1 < len(self.feeds)
        next_checkpoint = {"feeds": states, "feed_index": index + 1 if has_more else 0}
        return FetchResult(posts, rejected, next_checkpoint, has_more=has_more)

    def _read_feed(
        self, feed: Mapping[str, Any], states: dict[str, dict[str, Any]]
    ) -> tuple[list[PostData], list[tuple[str, str]]]:
        """Conditional GET and parse of one feed; updates its validators in `states`."""
        url = feed["url"]
        state = states.get(url, {})
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        try:
            response = self.http.get(url, headers=headers, accept_statuses=(304,))
        except SourceError as error:
            return [], [(url, str(error))]
        if response.status_code == 304:
            return [], []

        parsed = feedparser.parse(
            response.content,
            response_headers={"content-type": response.headers.get("Content-Type", "")},
        )
        if parsed.bozo and not parsed.entries:
            return [], [(url, f"unreadable feed: {parsed.get('bozo_exception')}")]
        feed = {**feed, "language": feed.get("language") or parsed.feed.get("language")}
        posts, rejected = map_items(parsed.entries, lambda entry: post_from_entry(entry, feed))
        # Validators are saved only once the content is in hand, so a failed parse is retried.
        new_state = {
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
        }
        states[url] = {key: value for key, value in new_state.items() if value}
        return posts, rejected
