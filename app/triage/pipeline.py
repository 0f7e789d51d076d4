"""The triage pipeline over one stored post.

Today it normalises the text and finds the place with the gazetteer; the
classifier, clustering and routing steps plug in here (issue: triage).
Until a classifier decides, the post waits for a person in the review queue.
"""

from app.collectors.models import Post
from app.triage.gazetteer import resolve_place


def place_of(text: str) -> dict | None:
    """The gazetteer's answer as stored on a post: wards, former district, confidence, reason."""
    match = resolve_place(text)
    if match is None:
        return None
    return {
        "wards": [{"code": code, "name": name} for code, name in match.wards],
        "former_district": match.former_district[0] if match.former_district else None,
        "confidence": round(match.confidence, 3),
        "reason": match.reason,
    }


def process_post(post: Post) -> None:
    """Triage one post in the caller's transaction."""
    post.place = place_of(post.text)
    post.reasons = [post.place["reason"]] if post.place else []
    post.needs_review = True
