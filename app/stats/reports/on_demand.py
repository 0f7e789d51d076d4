"""Custom reports, made on demand: one topic (posts and cases that mention it), one case (its
facts, timeline, deadlines and spread) or a date range (the evening report's sections over it,
with the mentions over time)."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from app.cases import permissions
from app.cases.models import Case, CaseEvent, EventKind
from app.cases.sla.models import SlaClock
from app.collectors.models import Post
from app.core.text import fold
from app.core.time import as_local, local_midnight_utc
from app.core.vocabulary import CHANNELS
from app.extensions import db
from app.stats.reports.common import (
    MAX_ROWS,
    ReportInputError,
    article_ref,
    case_ref,
    iso,
    like_escape,
)
from app.stats.reports.evening import evening_report_sections
from app.stats.trends import maths, queries, spread
from app.users.models import User

#: A topic or a range report without dates covers the last week.
DEFAULT_CUSTOM_WINDOW = timedelta(days=7)
#: The longest range an on-demand report may cover.
MAX_RANGE_DAYS = 366


def custom_sections(
    params: dict, at: datetime, user: User | None
) -> tuple[datetime, datetime, list[dict], dict]:
    """(start, end, sections, params as stored) for one topic, one case or a date range."""
    topic = (params.get("topic") or "").strip()
    case_code = (params.get("case") or "").strip().upper()
    start, end = _range(params, at)
    if topic and case_code:
        raise ReportInputError("case", "give a topic or a case, not both")
    if case_code:
        case = db.session.scalar(select(Case).where(Case.code == case_code))
        if case is None or (user is not None and not permissions.can_see(user, case)):
            raise ReportInputError("case", f"no case with code {case_code}")
        start = case_start(case)
        return start, at, case_report_sections(case), {"case": case.code}
    if topic:
        if len(fold(topic).replace(",", "").replace(";", "").strip()) < 2:
            raise ReportInputError("topic", "the topic needs at least 2 letters")
        if len(topic) > spread.MAX_QUERY_LENGTH:
            raise ReportInputError("topic", f"at most {spread.MAX_QUERY_LENGTH} characters")
        if end - start > timedelta(days=spread.MAX_TOPIC_DAYS):
            raise ReportInputError("to", f"a topic covers at most {spread.MAX_TOPIC_DAYS} days")
        stored = {"topic": topic, "from": iso(start), "to": iso(end)}
        return start, end, topic_report_sections(topic, start, end), stored
    if params.get("from") is None and params.get("to") is None:
        raise ReportInputError("_schema", "give a topic, a case code or a date range")
    # Hot topics compare a window with the week before it: up to a week, not over months.
    short = end - start <= timedelta(hours=maths.MAX_WINDOW_HOURS)
    sections = evening_report_sections(start, end, min(end, at), with_hot_topics=short)
    sections.insert(1, {"type": "mentions_over_time", **volume_over_time(start, end)})
    return start, end, sections, {"from": iso(start), "to": iso(end)}


def _range(params: dict, at: datetime) -> tuple[datetime, datetime]:
    """The window asked for: local dates are whole days (`to` included); default last 7 days."""
    start = _as_utc(params.get("from"), end_of_day=False)
    end = _as_utc(params.get("to"), end_of_day=True)
    if end is None:
        end = at
    if start is None:
        start = end - DEFAULT_CUSTOM_WINDOW
    if start >= end:
        raise ReportInputError("from", "the start must come before the end")
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise ReportInputError("to", f"a report covers at most {MAX_RANGE_DAYS} days")
    return start, end


def _as_utc(value, *, end_of_day: bool) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError as error:
            raise ReportInputError("from" if not end_of_day else "to", str(error)) from error
    if isinstance(value, datetime):
        return as_local(value).astimezone(UTC)
    return local_midnight_utc(value + timedelta(days=1) if end_of_day else value)


def topic_report_sections(topic: str, start: datetime, end: datetime) -> list[dict]:
    """Posts and cases about a topic: one phrase or several separated by commas.

    Posts match as whole words, without regard to case or diacritics (spread.topic_matcher);
    cases match when their folded code, title or description contains one of the phrases.
    """
    terms = [fold(term) for term in spread.topic_terms(topic)]
    case_condition = or_(
        *[Case.search_text.like(f"%{like_escape(term)}%", escape="\\") for term in terms]
    )
    in_range = and_(case_condition, Case.last_seen_at >= start, Case.created_at < end)
    matched_cases = list(
        db.session.scalars(
            select(Case)
            .where(in_range)
            .options(selectinload(Case.unit), selectinload(Case.ward))
            .order_by(Case.mention_count.desc(), Case.id)
            .limit(MAX_ROWS)
        )
    )
    cases_total = db.session.scalar(select(func.count()).select_from(Case).where(in_range))
    found = spread.spread_for_topic(topic, start, end)
    matcher = spread.topic_matcher(topic)
    press = db.session.scalars(
        select(Post)
        .where(
            Post.channel == "press",
            Post.posted_at >= start,
            Post.posted_at < end,
            queries.counted_posts(),
        )
        .order_by(Post.posted_at.desc(), Post.id.desc())
        .execution_options(yield_per=2000)
    )
    articles = [post for post in press if matcher.match(post.text)]
    posts = {row["channel"]: row["posts"] for row in found["channels"]}
    return [
        {
            "type": "summary",
            "figures": {
                "mentions": found["total_posts"],
                **{f"mentions_{channel}": posts.get(channel, 0) for channel in CHANNELS},
                "cases": cases_total,
            },
        },
        *spread_sections(found),
        {
            "type": "topic_cases",
            "total": cases_total,
            "rows": [
                {
                    "case": case_ref(case),
                    "mentions": case.mention_count,
                    "opened_at": iso(case.created_at),
                }
                for case in matched_cases
            ],
        },
        {
            "type": "articles",
            "total": len(articles),
            "rows": [article_ref(post) for post in articles[:MAX_ROWS]],
        },
    ]


def case_start(case: Case) -> datetime:
    """When the case was first seen anywhere: opened, first seen, or its first linked post."""
    first_post = db.session.scalar(select(func.min(Post.posted_at)).where(Post.case_id == case.id))
    return min(m for m in (case.created_at, case.first_seen_at, first_post) if m is not None)


def case_report_sections(case: Case) -> list[dict]:
    """One case: its facts, timeline, deadlines, and how it spread in press and social media."""
    events = list(
        db.session.scalars(
            select(CaseEvent)
            .where(
                CaseEvent.case_id == case.id,
                CaseEvent.kind.in_(
                    [
                        EventKind.created.value,
                        EventKind.status_changed.value,
                        EventKind.transferred.value,
                        EventKind.public_reply.value,
                        EventKind.sla_breached.value,
                        EventKind.merged.value,
                        EventKind.problem_persists.value,
                    ]
                ),
            )
            .order_by(CaseEvent.created_at, CaseEvent.id)
        )
    )
    clocks = list(
        db.session.scalars(
            select(SlaClock)
            .where(SlaClock.case_id == case.id)
            .order_by(SlaClock.cycle, SlaClock.id)
        )
    )
    articles = _press_articles(Post.case_id == case.id)
    return [
        {
            "type": "case_details",
            "case": {
                **case_ref(case),
                "source": case.source,
                "mention_count": case.mention_count,
                "created_at": iso(case.created_at),
                "first_seen_at": iso(case.first_seen_at),
                "public_response": case.public_response,
                "public_response_at": iso(case.public_response_at),
                "reject_reason": case.reject_reason,
                "cycle": case.cycle,
            },
        },
        {
            "type": "case_timeline",
            "rows": [
                {
                    "kind": event.kind,
                    "at": iso(event.created_at),
                    "from": event.from_value,
                    "to": event.to_value,
                    # Only what the public sees: internal notes stay in the app.
                    "text": event.body if event.is_public else None,
                }
                for event in events
            ],
        },
        {
            "type": "sla_clocks",
            "rows": [
                {
                    "metric": clock.metric,
                    "cycle": clock.cycle,
                    "state": clock.state,
                    "started_at": iso(clock.started_at),
                    "due_at": iso(clock.due_at),
                    "stopped_at": iso(clock.stopped_at),
                }
                for clock in clocks
            ],
        },
        *spread_sections(spread.spread_for_case(case, include_duplicates=True)),
        {"type": "articles", **articles},
    ]


def volume_over_time(start: datetime, end: datetime) -> dict:
    """Posts per local day (or week) and channel over a range (queries.volume_by_channel)."""
    volume = queries.volume_by_channel(start, end)
    return {
        "granularity": volume["granularity"],
        "labels": [period["label"] for period in volume["periods"]],
        "series": {
            channel: [period["counts"].get(channel, 0) for period in volume["periods"]]
            for channel in CHANNELS
        },
    }


def spread_sections(found: dict) -> list[dict]:
    """The volume over time and the per-channel table of a spread.spread_for_* result."""
    return [
        {
            "type": "mentions_over_time",
            "granularity": found["granularity"],
            "labels": [bucket["label"] for bucket in found["buckets"]],
            "series": {channel: found["series"].get(channel, []) for channel in CHANNELS},
        },
        {
            "type": "channel_spread",
            "first_channel": found["first_channel"],
            "rows": [
                {
                    "channel": row["channel"],
                    "mentions": row["posts"],
                    "first_seen_at": row["first_seen_at"],
                    "lag_hours": row["lag_hours"],
                    "reach": row["reach"],
                }
                for row in found["channels"]
            ],
        },
    ]


def _press_articles(condition) -> dict:
    statement = select(Post).where(condition, Post.channel == "press")
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    posts = db.session.scalars(
        statement.order_by(Post.posted_at.desc(), Post.id.desc()).limit(MAX_ROWS)
    )
    return {"total": total, "rows": [article_ref(p) for p in posts]}
