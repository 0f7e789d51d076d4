"""What every collector shares: `PostData`, `FetchResult`, the `Adapter` base and payload helpers.

Adapters turn a source's payload into `PostData` and nothing else: they know
no cases, no database and no watchlists. A checkpoint is a small JSON-safe dict
that the caller stores after each page and hands back on the next call.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from html import unescape
from typing import Any, ClassVar

from app.collectors.http import HttpClient, SourceError
from app.core.validation import MAX_DATE, MAX_INT, MIN_DATE

log = logging.getLogger(__name__)

__all__ = [
    "Adapter",
    "ConfigError",
    "FetchResult",
    "InvalidItem",
    "PostData",
    "SourceError",
    "check_storable",
    "map_items",
]

#: What the `posts` table can hold (see app/collectors/models.py; a test keeps them equal).
MAX_SOURCE_LENGTH = 64
MAX_EXTERNAL_ID_LENGTH = 255
MAX_LANGUAGE_LENGTH = 8
MAX_AUTHOR_NAME_LENGTH = 200
MAX_PARENT_ID_LENGTH = 255
#: Counts are PostgreSQL `integer`s.
MAX_COUNT = MAX_INT
#: Dates a post can carry; anything outside is a typo or a placeholder (0001-01-01, 9999-12-31).
MIN_YEAR, MAX_YEAR = MIN_DATE.year, MAX_DATE.year


class InvalidItem(ValueError):
    """One item of a payload cannot become a post (no id, no text, bad date...)."""


class ConfigError(RuntimeError):
    """An adapter lacks a setting it needs, such as its access token."""


@dataclass(kw_only=True)
class PostData:
    """One post, comment or message as a source delivered it, before any triage.

    `author_handle` is the raw account id or handle; pseudonymising it is the
    storage layer's job. `contact` only ever holds details a citizen chose to
    give with consent, kept apart from `text`. `raw` is the original item.
    """

    source: str
    external_id: str
    url: str | None = None
    text: str
    language: str | None = None
    posted_at: datetime
    author_handle: str | None = None
    author_name: str | None = None
    likes: int | None = None
    shares: int | None = None
    comments: int | None = None
    views: int | None = None
    media_urls: list[str] = field(default_factory=list)
    parent_external_id: str | None = None
    place_hints: dict[str, Any] = field(default_factory=dict)
    contact: dict[str, str] | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.external_id = str(self.external_id)
        if self.posted_at.tzinfo is None:
            raise ValueError("posted_at must be timezone-aware")
        self.posted_at = self.posted_at.astimezone(UTC)


Rejection = tuple[str, str]
"""(a short description of the item, why it was skipped)."""


@dataclass
class FetchResult:
    """One page from a source: the posts, the skipped items, and where to continue."""

    posts: list[PostData] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    checkpoint: dict[str, Any] = field(default_factory=dict)
    has_more: bool = False


class Adapter:
    """A pull source: `fetch` reads one page after `checkpoint`; `fetch_all` walks pages.

    `settings` is any mapping (Flask config, `os.environ`, a test dict); the
    adapter reads its credentials and its overridable base URL from it.
    """

    name: ClassVar[str] = ""
    base_url_setting: ClassVar[str | None] = None
    default_base_url: ClassVar[str] = ""

    def __init__(
        self, settings: Mapping[str, Any] | None = None, *, http: HttpClient | None = None
    ):
        self.settings: Mapping[str, Any] = os.environ if settings is None else settings
        self.http = http or HttpClient.from_settings(self.name, self.settings)
        configured = self.setting(self.base_url_setting) if self.base_url_setting else None
        self.base_url = str(configured or self.default_base_url).rstrip("/")

    def setting(self, key: str, default: Any = None) -> Any:
        """The setting `key`, or `default` when it is missing or empty."""
        value = self.settings.get(key)
        return default if value is None or value == "" else value

    def require_setting(self, key: str) -> str:
        """The setting `key`; a missing one is a `ConfigError` naming it."""
        value = self.setting(key)
        if value is None:
            raise ConfigError(f"{self.name}: setting {key} is required")
        return str(value)

    def int_setting(self, key: str, default: int) -> int:
        """The setting `key` as an int; a non-number is a `ConfigError`."""
        value = self.setting(key, default)
        try:
            return int(value)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{self.name}: setting {key} must be a number") from error

    def fetch(self, checkpoint: Mapping[str, Any], query_terms: list[str]) -> FetchResult:
        """Read one page after `checkpoint`; the result names the next checkpoint."""
        raise NotImplementedError

    def fetch_all(
        self, checkpoint: Mapping[str, Any] | None, query_terms: list[str], max_pages: int = 10
    ) -> Iterator[FetchResult]:
        """Yield pages until the source has no more or `max_pages` is reached.

        Store each page's posts and its checkpoint together before asking for
        the next page: a crash then repeats at most one page, which the
        (source, external_id) uniqueness absorbs.
        """
        current = dict(checkpoint or {})
        for _ in range(max_pages):
            result = self.fetch(current, query_terms)
            yield result
            current = result.checkpoint
            if not result.has_more:
                return


# --- payload helpers shared by the adapters ---------------------------------------------


def map_items(
    items: Iterable[Any], to_post: Callable[[Any], PostData | None]
) -> tuple[list[PostData], list[Rejection]]:
    """Map each item with `to_post`, keeping the good ones and a reason for each bad one.

    Payloads are untrusted: a field of the wrong type must cost one item, not the page.
    `to_post` may return None for items that are deliberately ignored.
    """
    posts: list[PostData] = []
    rejected: list[Rejection] = []
    for item in items:
        try:
            post = to_post(item)
        except InvalidItem as error:
            rejected.append((describe_item(item), str(error)))
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            rejected.append(
                (describe_item(item), f"unexpected shape: {type(error).__name__}: {error}")
            )
        else:
            if post is not None:
                posts.append(post)
    return posts, rejected


def describe_item(item: Any, limit: int = 200) -> str:
    """A short, log-safe description of an item for rejection lists."""
    try:
        text = json.dumps(item, ensure_ascii=False, default=str, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(item)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_safe(value: Any) -> Any:
    """`value` turned into plain JSON types, so `raw` can be stored as JSON."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def require_id(value: Any, what: str = "id") -> str:
    """A non-empty id as a string, or `InvalidItem`."""
    if value is None or isinstance(value, bool | dict | list) or str(value).strip() == "":
        raise InvalidItem(f"missing {what}")
    return str(value).strip()


def require_text(value: Any, what: str = "text") -> str:
    """Non-blank text, stripped, or `InvalidItem`."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidItem(f"missing {what}")
    return value.strip()


def parse_timestamp(value: Any, *, naive_tz: tzinfo = UTC) -> datetime:
    """An aware UTC datetime from ISO 8601 text (`Z`, `+0000`, `+07:00`...) or epoch seconds.

    Naive times are read in `naive_tz`. Anything unreadable is `InvalidItem`.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.isdigit():
            return from_epoch(int(text))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as error:
            raise InvalidItem(f"bad date {value!r}") from error
    else:
        raise InvalidItem("missing date")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_tz)
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise InvalidItem(f"date out of range {value!r}") from error


def from_epoch(value: Any, *, milliseconds: bool = False) -> datetime:
    """An aware UTC datetime from epoch seconds (or milliseconds), or `InvalidItem`."""
    try:
        number = float(value)
        if milliseconds:
            number /= 1000
        return datetime.fromtimestamp(number, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as error:
        raise InvalidItem(f"bad timestamp {value!r}") from error


def to_int(value: Any) -> int | None:
    """A count as int, or None when the source gave none or gave garbage."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _check_string(value: str, where: str) -> None:
    found = _UNSTORABLE.search(value)
    if found:
        what = "NUL character" if found.group() == "\x00" else "lone surrogate (not valid Unicode)"
        raise InvalidItem(f"{what} in {where}")


def _check_value(value: Any, where: str) -> None:
    """NUL, lone surrogates and NaN/infinity anywhere in a JSON-like value, key or text."""
    if isinstance(value, str):
        _check_string(value, where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidItem(f"{value} is not a number that can be stored, in {where}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_string(str(key), where)
            _check_value(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for item in value:
            _check_value(item, where)


def check_storable(post: PostData, *, truncate_id: bool = False) -> PostData:
    """`post` if the `posts` table can hold it, else `InvalidItem` naming the field and the bound.

    Checks what the database would refuse (NUL, lone surrogates, text longer than
    its column, integers beyond `integer`, NaN in JSON) and dates outside
    MIN_YEAR..MAX_YEAR, so one bad item is rejected alone instead of failing a batch.
    `truncate_id`: the caller cuts ids to MAX_EXTERNAL_ID_LENGTH (a feed's long links).
    """
    lengths = {
        "source": MAX_SOURCE_LENGTH,
        "id": None if truncate_id else MAX_EXTERNAL_ID_LENGTH,
        "language": MAX_LANGUAGE_LENGTH,
        "author_name": MAX_AUTHOR_NAME_LENGTH,
        "parent_id": MAX_PARENT_ID_LENGTH,
    }
    fields = {
        "source": post.source,
        "id": post.external_id,
        "text": post.text,
        "url": post.url,
        "language": post.language,
        "author_handle": post.author_handle,
        "author_name": post.author_name,
        "parent_id": post.parent_external_id,
    }
    for name, value in fields.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidItem(f"{name} is not text ({type(value).__name__})")
        _check_string(value, name)
        limit = lengths.get(name)
        if limit is not None and len(value) > limit:
            raise InvalidItem(f"{name} is longer than {limit} characters ({len(value)})")
    for name in ("likes", "shares", "comments", "views"):
        count = getattr(post, name)
        if count is not None and not 0 <= count <= MAX_COUNT:
            raise InvalidItem(f"{name} must be between 0 and {MAX_COUNT}, not {count}")
    if not MIN_YEAR <= post.posted_at.year <= MAX_YEAR:
        raise InvalidItem(
            f"date {post.posted_at.date().isoformat()} is not between {MIN_YEAR} and {MAX_YEAR}"
        )
    if not isinstance(post.media_urls, list) or not all(
        isinstance(url, str) for url in post.media_urls
    ):
        raise InvalidItem("media_urls is not a list of addresses")
    _check_value(post.media_urls, "media_urls")
    _check_value(post.place_hints, "place")
    _check_value(post.contact, "contact")
    _check_value(post.raw, "record")
    return post


def to_float(value: Any) -> float | None:
    """A coordinate as float, or None when absent or unreadable."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def split_setting(value: Any) -> list[str]:
    """A list setting from a list or a comma/whitespace separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value) if part]
    return [str(part) for part in value if str(part).strip()]


_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|/div|/li|/h\d)\b[^>]*>", re.IGNORECASE)
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def strip_html(html: str | None) -> str:
    """Readable text from an HTML fragment (feed summaries): tags dropped, entities decoded."""
    if not html:
        return ""
    text = _BLOCK_TAG.sub("\n", html)
    text = unescape(_TAG.sub(" ", text))
    text = _SPACES.sub(" ", text)
    lines = (line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def image_urls_in_html(html: str | None) -> list[str]:
    """`src` of each `<img>` in an HTML fragment, in order."""
    return _IMG_SRC.findall(html) if html else []
