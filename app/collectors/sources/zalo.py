"""Zalo Official Account: messages citizens send to the city's OA.

Two ways in. The webhook (`verify_zalo_signature` + `parse_zalo_event`) is the
primary path: Zalo POSTs each event as it happens. The pull adapter
(`ZaloAdapter`, `GET /listrecentchat?data={"offset":..,"count":..}`) catches up
on what a webhook outage missed. Both use Zalo's message id as `external_id`,
so a message seen both ways is stored once.

Pull checkpoint::

    {"since_ms": <epoch ms of the newest message collected>,
     "offset": <offset of the next page>,     # only mid-pagination
     "newest_ms": <epoch ms>}                 # only mid-pagination

Zalo answers errors with HTTP 200 and a non-zero `error` field; those become
`SourceError` like any HTTP failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from app.collectors.base import (
    Adapter,
    FetchResult,
    InvalidItem,
    PostData,
    SourceError,
    from_epoch,
    json_safe,
    map_items,
    require_id,
    require_text,
    to_float,
    to_int,
)

SIGNATURE_HEADER = "X-ZEvent-Signature"
FROM_USER = 1  # `src` of a message a user sent; 0 is the OA's own reply


def verify_zalo_signature(
    body: bytes, signature: str | None, *, oa_secret_key: str, app_id: str | None = None
) -> bool:
    """Check `X-ZEvent-Signature` = sha256(app_id + body + timestamp + OA secret key).

    `timestamp` is the event's own field and `app_id` the configured app id
    (the event's `app_id` must equal it); the header may carry a `mac=` prefix.
    A missing header or secret, or an unreadable body, fails the check.
    """
    if not signature or not oa_secret_key:
        return False
    try:
        data = body.decode("utf-8")
        event = json.loads(data)
        timestamp = str(event["timestamp"])
        event_app_id = str(event.get("app_id", ""))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return False
    if app_id is not None and event_app_id != str(app_id):
        return False
    expected = hashlib.sha256(
        f"{app_id or event_app_id}{data}{timestamp}{oa_secret_key}".encode()
    ).hexdigest()
    given = signature.strip()
    if given.lower().startswith("mac="):
        given = given[4:].strip()
    return hmac.compare_digest(expected, given.lower())


def _coordinates(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        return {}
    lat, lon = to_float(value.get("latitude")), to_float(value.get("longitude"))
    return {"lat": lat, "lon": lon} if lat is not None and lon is not None else {}


def _attachments(message: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Media URLs and place hints from a webhook message's attachments."""
    media: list[str] = []
    # Location arrives as an attachment's `coordinates`; some payloads put it in `location`.
    place = _coordinates(message.get("location"))
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, Mapping):
            continue
        payload = attachment.get("payload")
        if not isinstance(payload, Mapping):
            continue
        if attachment.get("type") == "location":
            place = _coordinates(payload.get("coordinates")) or place
        elif isinstance(payload.get("url"), str):
            media.append(payload["url"])
    return media, place


def _sender_id(sender: Any) -> str | None:
    """The sender's id as text (Zalo sends it as a string, some payloads as a number)."""
    found = sender.get("id") if isinstance(sender, Mapping) else None
    if isinstance(found, bool) or not isinstance(found, str | int):
        return None
    return str(found)


def post_from_zalo_event(event: Mapping[str, Any]) -> PostData | None:
    """A `user_send_*` webhook event as `PostData`; None for any other event."""
    name = str(event.get("event_name") or "")
    if not name.startswith("user_send_"):
        return None  # follows, OA replies, reactions...: not citizen content
    message = event.get("message") or {}
    media, place = _attachments(message)
    return PostData(
        source="zalo",
        external_id=require_id(message.get("msg_id"), "msg_id"),
        text=require_text(message.get("text"), f"text ({name})"),
        posted_at=from_epoch(require_id(event.get("timestamp"), "timestamp"), milliseconds=True),
        author_handle=_sender_id(event.get("sender")),
        media_urls=media,
        place_hints=place,
        raw=json_safe(event),
    )


def parse_zalo_event(event: Mapping[str, Any]) -> FetchResult:
    """A verified webhook event as a `FetchResult` of zero or one post.

    Events that carry no citizen message give an empty result; a citizen
    message that cannot be read (no id, no text) is listed in `rejected`.
    """
    if not isinstance(event, Mapping):
        return FetchResult(rejected=[(repr(event)[:200], "event is not a JSON object")])
    posts, rejected = map_items([event], post_from_zalo_event)
    return FetchResult(posts, rejected)


def post_from_zalo_message(item: Mapping[str, Any]) -> PostData:
    """A message of `listrecentchat` as `PostData`."""
    kind = item.get("type")
    # A photo or link carries its caption in `message` or `description`.
    text = item.get("message") or item.get("description")
    media = [url for url in (item.get("url"), item.get("thumb")) if kind != "text" and url]
    return PostData(
        source="zalo",
        external_id=require_id(item.get("message_id"), "message_id"),
        text=require_text(text, f"text ({kind})"),
        posted_at=from_epoch(require_id(item.get("time"), "time"), milliseconds=True),
        author_handle=item.get("from_id"),
        author_name=item.get("from_display_name"),
        media_urls=media[:1],
        raw=json_safe(item),
    )


class ZaloAdapter(Adapter):
    """Catch-up pull of recent OA messages, newest first, by offset/count."""

    name = "zalo"
    base_url_setting = "ZALO_BASE_URL"
    default_base_url = "https://openapi.zalo.me/v2.0/oa"

    def __init__(self, settings: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__(settings, **kwargs)
        self.access_token = self.require_setting("ZALO_OA_ACCESS_TOKEN")
        # Zalo caps count at 10 per call.
        self.page_size = min(10, max(1, self.int_setting("ZALO_PAGE_SIZE", 10)))

    def fetch(self, checkpoint: Mapping[str, Any], query_terms: list[str]) -> FetchResult:
        """Read one page of recent messages newer than the checkpoint; `query_terms` is unused."""
        since_ms = int(checkpoint.get("since_ms") or 0)
        offset = int(checkpoint.get("offset") or 0)
        payload = self.http.get_json(
            f"{self.base_url}/listrecentchat",
            params={"data": json.dumps({"offset": offset, "count": self.page_size})},
            headers={"access_token": self.access_token},
        )
        if not isinstance(payload, Mapping):
            raise SourceError(self.name, 200, "GET /listrecentchat: unexpected response shape")
        if to_int(payload.get("error")) not in (0, None):
            raise SourceError(
                self.name,
                200,
                f"GET /listrecentchat: {payload.get('message')} (error {payload.get('error')})",
            )
        items = payload.get("data") or []
        if not isinstance(items, list):
            raise SourceError(self.name, 200, "GET /listrecentchat: unexpected response shape")

        newest_ms = int(checkpoint.get("newest_ms") or 0) if offset else 0
        reached_known = False
        fresh = []
        for item in items:
            sent_ms = to_int(item.get("time")) if isinstance(item, Mapping) else None
            if sent_ms is not None and sent_ms <= since_ms:
                reached_known = True
                continue
            newest_ms = max(newest_ms, sent_ms or 0)
            if not isinstance(item, Mapping) or item.get("src", FROM_USER) == FROM_USER:
                fresh.append(item)
        posts, rejected = map_items(fresh, _checked_message)

        if items and not reached_known and len(items) >= self.page_size:
            next_checkpoint = {
                "since_ms": since_ms,
                "offset": offset + len(items),
                "newest_ms": newest_ms,
            }
            return FetchResult(posts, rejected, next_checkpoint, has_more=True)
        return FetchResult(posts, rejected, {"since_ms": max(since_ms, newest_ms)}, has_more=False)


def _checked_message(item: Any) -> PostData:
    if not isinstance(item, Mapping):
        raise InvalidItem("message is not a JSON object")
    return post_from_zalo_message(item)
