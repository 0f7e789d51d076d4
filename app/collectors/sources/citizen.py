"""Reports citizens file through the public web form.

Contact details are personal data: they are kept only when the citizen ticked
consent, and then only in `PostData.contact`, never in `text` or `raw`, so
whatever shows or analyses post text cannot leak them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from app.collectors.base import InvalidItem, PostData, json_safe, require_text, to_float

SOURCE = "citizen"
MAX_TEXT_LENGTH = 5000
CONTACT_FIELDS = {"contact_name": "name", "contact_phone": "phone", "contact_email": "email"}
CONSENT_FIELD = "contact_consent"
_TRUE_WORDS = {"1", "true", "on", "yes", "y", "co", "có"}


def _consented(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in _TRUE_WORDS


def _coordinates(fields: Mapping[str, Any]) -> dict[str, float]:
    lat, lon = to_float(fields.get("lat")), to_float(fields.get("lon"))
    if lat is None or lon is None:
        return {}
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidItem("coordinates out of range")
    return {"lat": lat, "lon": lon}


def citizen_report_to_post(
    form_fields: Mapping[str, Any], *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> PostData:
    """A submitted citizen report as `PostData`; `InvalidItem` (a ValueError) when unusable.

    Fields: `text` (required), `place` (free text), `lat`/`lon`, `media_urls`,
    `language` (default vi), `submission_id` (the form's idempotency key, so a
    double submit is stored once; a fresh id otherwise), and `contact_name`/
    `contact_phone`/`contact_email`, kept only if `contact_consent` is truthy.
    """
    text = require_text(form_fields.get("text"), "report text")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidItem(f"report text is longer than {MAX_TEXT_LENGTH} characters")
    place_hints: dict[str, Any] = _coordinates(form_fields)
    place = str(form_fields.get("place") or "").strip()
    if place:
        place_hints["place_name"] = place

    contact = None
    if _consented(form_fields.get(CONSENT_FIELD)):
        given = {
            key: str(form_fields[field]).strip()
            for field, key in CONTACT_FIELDS.items()
            if str(form_fields.get(field) or "").strip()
        }
        contact = given or None

    media = form_fields.get("media_urls") or []
    raw = {
        key: value
        for key, value in form_fields.items()
        if key not in CONTACT_FIELDS and key != CONSENT_FIELD
    }
    submission_id = str(form_fields.get("submission_id") or "").strip() or uuid.uuid4().hex
    return PostData(
        source=SOURCE,
        external_id=submission_id,
        text=text,
        language=str(form_fields.get("language") or "vi"),
        posted_at=now(),
        media_urls=[str(url) for url in media] if isinstance(media, list | tuple) else [],
        place_hints=place_hints,
        contact=contact,
        raw=json_safe(raw),
    )
