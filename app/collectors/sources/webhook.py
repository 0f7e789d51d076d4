"""The generic signed webhook: partners POST records and sign the raw body.

Header: `X-Signature: sha256=<hex HMAC-SHA256 of the raw request body>` with
the shared WEBHOOK_SECRET. The body is one record, a list of records, or
`{"items": [...]}`; the record shape is documented in `generic.py`.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from app.collectors.base import FetchResult, map_items
from app.collectors.sources.generic import post_from_record

SIGNATURE_HEADER = "X-Signature"
DEFAULT_SOURCE = "webhook"


def sign_webhook_body(secret: str, body: bytes) -> str:
    """The `X-Signature` value for `body`, as a partner computes it."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_webhook_signature(secret: str | None, body: bytes, header: str | None) -> bool:
    """True when `header` is `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`.

    Compared in constant time. An unset secret fails closed: an unconfigured
    webhook must not accept everything.
    """
    if not secret or not header:
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        return False
    expected = sign_webhook_body(secret, body).partition("=")[2]
    return hmac.compare_digest(expected, given.strip().lower())


def parse_webhook(payload: Any, *, source: str | None = None) -> FetchResult:
    """The posts of a verified webhook payload; bad records are rejected, the rest kept.

    Each record's `source` field names its source (default `webhook`) unless
    `source` forces one for the whole payload.
    """
    if isinstance(payload, dict) and isinstance(payload.get("items"), list):
        records = payload["items"]
    elif isinstance(payload, list):
        records = payload
    elif isinstance(payload, dict):
        records = [payload]
    else:
        return FetchResult(rejected=[(repr(payload)[:200], "payload is not a JSON object or list")])
    posts, rejected = map_items(
        records,
        lambda record: post_from_record(record, source=source, default_source=DEFAULT_SOURCE),
    )
    return FetchResult(posts, rejected)
