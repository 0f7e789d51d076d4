"""Push entry points: signed webhooks and citizen reports become posts the same way pulls do."""

from collections.abc import Callable, Mapping
from typing import Any

from app.collectors.base import FetchResult, InvalidItem, PostData, check_storable, json_safe
from app.collectors.hooks import hand_over_new_posts
from app.collectors.models import Post
from app.collectors.operations import IngestStats, store_posts
from app.collectors.sources.citizen import citizen_report_to_post
from app.core.codes import new_code
from app.extensions import db


def store_pushed(result: FetchResult) -> IngestStats:
    """Store what a webhook delivered, then hand the new posts to triage."""
    stats = store_posts(result.posts)
    for _, reason in result.rejected:
        stats.reject(reason)
    hand_over_new_posts(stats.new_ids)
    return stats


class SubmissionConflict(Exception):
    """A `submission_id` already filed with a different report: nothing was stored."""


def _same_report(post: Post, data: PostData) -> bool:
    """Whether a resubmitted form says what the stored report says (text and place).

    Photos are not compared: a resent photo is stored under a new name.
    """
    return post.text == data.text and (post.place_hints or {}) == json_safe(data.place_hints)


def submit_citizen_report(
    fields: Mapping[str, Any], on_stored: Callable[[Post], None] | None = None
) -> Post:
    """Store a report from the public form and return its post, which carries the tracking code.

    Raises InvalidItem (a ValueError) with a readable reason when the report is unusable.
    A resubmitted form (same submission_id, same text and place) returns the post
    stored the first time; the same submission_id with a different report raises
    `SubmissionConflict` and stores nothing.

    `on_stored(post)` runs for a newly stored report before the commit, in the same
    transaction (the portal opens the report's case there); triage is enqueued after.
    """
    post_data = check_storable(citizen_report_to_post(fields))
    stats = store_posts([post_data], commit=False)
    post = db.session.scalar(
        db.select(Post).where(
            Post.source == post_data.source, Post.external_id == post_data.external_id
        )
    )
    if post is None:
        raise InvalidItem("the report could not be stored")
    if not stats.new_ids and not _same_report(post, post_data):
        db.session.rollback()
        raise SubmissionConflict(
            f"submission_id {post_data.external_id!r} was already used for another report"
        )
    if post.tracking_code is None:
        post.tracking_code = new_code()
    if on_stored is not None and stats.new_ids:
        on_stored(post)
    db.session.commit()
    hand_over_new_posts(stats.new_ids)
    return post
