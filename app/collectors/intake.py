"""Push entry points: signed webhooks and citizen reports become posts the same way pulls do."""

from collections.abc import Mapping
from typing import Any

from app.cases.codes import new_code
from app.collectors.base import FetchResult, InvalidItem
from app.collectors.models import Post
from app.collectors.operations import IngestStats, enqueue_triage, store_posts
from app.collectors.sources.citizen import citizen_report_to_post
from app.extensions import db


def store_pushed(result: FetchResult) -> IngestStats:
    """Store what a webhook delivered, then hand the new posts to triage."""
    stats = store_posts(result.posts)
    for _, reason in result.rejected:
        stats.reject(reason)
    enqueue_triage(stats.new_ids)
    return stats


def submit_citizen_report(fields: Mapping[str, Any]) -> Post:
    """Store a report from the public form and return its post, which carries the tracking code.

    Raises InvalidItem (a ValueError) with a readable reason when the report is unusable.
    A resubmitted form (same submission_id) returns the post stored the first time.
    """
    post_data = citizen_report_to_post(fields)
    stats = store_posts([post_data], commit=False)
    post = db.session.scalar(
        db.select(Post).where(
            Post.source == post_data.source, Post.external_id == post_data.external_id
        )
    )
    if post is None:
        raise InvalidItem("the report could not be stored")
    if post.tracking_code is None:
        post.tracking_code = new_code()
    db.session.commit()
    enqueue_triage(stats.new_ids)
    return post
