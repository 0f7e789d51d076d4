"""The flat record shape shared by the signed webhook and CSV/JSONL import.

A record is a JSON object (or CSV row) with these fields; aliases in brackets::

    id [external_id]          required
    text [message, content]   required
    posted_at [created_at, timestamp]   ISO 8601 or epoch seconds; required.
                              A time without offset is read as Ho Chi Minh City time,
                              since that is what people exporting by hand write.
    source, url [link], language [lang],
    author_handle [author.handle], author_name [author.name],
    likes, shares, comments, views,
    media_urls (list, or text separated by spaces, commas or |),
    parent_external_id [parent_id],
    place [place_name], lat [latitude], lon [longitude]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.collectors.base import (
    InvalidItem,
    PostData,
    check_storable,
    json_safe,
    parse_timestamp,
    require_id,
    require_text,
    to_float,
    to_int,
)
from app.core.time import HCMC

_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,39}$")


def _first(record: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any) -> str | None:
    """An optional text field as str (JSON producers send ids as numbers too)."""
    return None if value is None or isinstance(value, dict | list) else str(value).strip() or None


def _media_urls(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(url) for url in value if url]
    if isinstance(value, str):
        return [url for url in re.split(r"[\s,|]+", value) if url]
    return []


def _place_hints(record: Mapping[str, Any]) -> dict[str, Any]:
    place = record.get("place")
    hints: dict[str, Any] = dict(place) if isinstance(place, Mapping) else {}
    if isinstance(place, str) and place.strip():
        hints["place_name"] = place.strip()
    if record.get("place_name"):
        hints["place_name"] = str(record["place_name"]).strip()
    lat = to_float(_first(record, "lat", "latitude"))
    lon = to_float(_first(record, "lon", "longitude"))
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidItem(f"coordinates out of range: {lat}, {lon}")
        hints["lat"], hints["lon"] = lat, lon
    return hints


def post_from_record(
    record: Any, *, source: str | None = None, default_source: str = "import"
) -> PostData:
    """A flat record as `PostData`; `source` overrides the record's own `source` field.

    `InvalidItem` when the record lacks what a post needs or holds what the
    database cannot store (see `check_storable`).
    """
    if not isinstance(record, Mapping):
        raise InvalidItem("record is not a JSON object")
    chosen_source = source or record.get("source") or default_source
    chosen_source = str(chosen_source).strip().lower()
    if not _SOURCE_NAME.match(chosen_source):
        raise InvalidItem(f"bad source name {chosen_source!r}")
    author = record.get("author")
    author = author if isinstance(author, Mapping) else {"handle": author} if author else {}
    post = PostData(
        source=chosen_source,
        external_id=require_id(_first(record, "id", "external_id")),
        url=_text(_first(record, "url", "link")),
        text=require_text(_first(record, "text", "message", "content")),
        language=_text(_first(record, "language", "lang")),
        posted_at=parse_timestamp(
            _first(record, "posted_at", "created_at", "timestamp"), naive_tz=HCMC
        ),
        author_handle=_text(_first(record, "author_handle") or author.get("handle")),
        author_name=_text(_first(record, "author_name") or author.get("name")),
        likes=to_int(record.get("likes")),
        shares=to_int(record.get("shares")),
        comments=to_int(record.get("comments")),
        views=to_int(record.get("views")),
        media_urls=_media_urls(record.get("media_urls")),
        parent_external_id=_text(_first(record, "parent_external_id", "parent_id")),
        place_hints=_place_hints(record),
        raw=json_safe(dict(record)),
    )
    return check_storable(post)
