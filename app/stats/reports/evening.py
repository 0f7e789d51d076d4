"""The evening report (báo cáo tổng hợp dư luận): hot topics, new cases by category, by ward
and by origin (opened from collected posts, from citizens' reports, or filed by staff and
imported), the SLA deadlines missed, the public responses published (each case once, however
many public notes follow), and what is still overdue."""

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from app.cases.models import Case, CaseEvent, EventKind
from app.cases.sla.models import ClockState, SlaClock
from app.cases.workflow import Status
from app.collectors.models import Post
from app.core.vocabulary import CATEGORIES, CHANNELS
from app.extensions import db
from app.stats.reports.common import (
    MAX_ROWS,
    case_ref,
    cases_by_id,
    iso,
    load_wards,
    parse_iso,
    unit_ref,
    units_by_id,
)
from app.stats.trends import queries
from app.stats.trends.hot_topics import hot_topics as rising_topics

#: Hot topics shown in the evening report.
HOT_TOPICS = 10


def evening_report_sections(
    start: datetime, end: datetime, now: datetime, *, with_hot_topics: bool = True
) -> list[dict]:
    by_category = new_cases_by_category(start, end)
    by_ward = new_cases_by_ward(start, end)
    breaches = sla_breaches(start, end)
    responses = responses_published(start, end)
    overdue = still_overdue(now)
    channels = posts_by_channel(start, end)
    new_cases = sum(row["count"] for row in by_category)
    origins = new_cases_by_origin(start, end)
    return [
        {
            "type": "summary",
            "figures": {
                "new_cases": new_cases,
                # The parts of new_cases: they add up to it.
                "new_cases_posts": origins["posts"],
                "new_cases_direct": origins["direct"],
                "new_cases_filed": new_cases - origins["posts"] - origins["direct"],
                "posts": sum(channels.values()),
                **{f"posts_{channel}": channels.get(channel, 0) for channel in CHANNELS},
                "sla_breaches": breaches["total"],
                "responses": responses["total"],
                "reopened_by_citizens": reopened_by_citizens(start, end),
                "overdue": overdue["total"],
            },
        },
        *([{"type": "hot_topics", **hot_topics(start, end)}] if with_hot_topics else []),
        {"type": "new_by_category", "rows": by_category},
        {"type": "new_by_ward", "rows": by_ward},
        {"type": "sla_breaches", **breaches},
        {"type": "responses", **responses},
        {"type": "overdue", "as_of": iso(now), **overdue},
    ]


def posts_by_channel(start: datetime, end: datetime) -> dict[str, int]:
    rows = db.session.execute(
        select(Post.channel, func.count())
        .where(Post.posted_at >= start, Post.posted_at < end)
        .group_by(Post.channel)
    )
    return {channel: count for channel, count in rows}


def new_cases_by_category(start: datetime, end: datetime) -> list[dict]:
    rows = db.session.execute(
        select(Case.category, func.count())
        .where(Case.created_at >= start, Case.created_at < end)
        .group_by(Case.category)
    )
    return [
        {"category": category, "count": count}
        for category, count in sorted(
            rows, key=lambda r: (-r[1], CATEGORIES.index(r[0]) if r[0] in CATEGORIES else 99)
        )
    ]


def new_cases_by_origin(start: datetime, end: datetime) -> dict[str, int]:
    """New cases that triage opened from a collected post: {"posts": press, social media and
    imported posts, "direct": citizens' reports}, by the channel of the case's first post.

    The other new cases were filed by staff (web, API) or loaded: the caller counts them as the
    rest, so the parts always add up to the new cases.
    """
    opened_by_triage = select(Case.id).where(
        Case.created_at >= start, Case.created_at < end, Case.created_by_id.is_(None)
    )
    first_channel: dict[int, str] = {}
    rows = db.session.execute(
        select(Post.case_id, Post.channel)
        .where(Post.case_id.in_(opened_by_triage))
        .order_by(Post.case_id, Post.collected_at, Post.id)
    )
    for case_id, channel in rows:
        first_channel.setdefault(case_id, channel)
    direct = sum(1 for channel in first_channel.values() if channel == "direct")
    return {"posts": len(first_channel) - direct, "direct": direct}


def reopened_by_citizens(start: datetime, end: datetime) -> int:
    """Answers in which a reporter said the problem is not solved (each reopened its case),
    from the `citizen_feedback` events on the timelines."""
    answers = db.session.scalars(
        select(CaseEvent.data).where(
            CaseEvent.kind == EventKind.citizen_feedback.value,
            CaseEvent.created_at >= start,
            CaseEvent.created_at < end,
        )
    )
    return sum(1 for data in answers if (data or {}).get("solved") is False)


def new_cases_by_ward(start: datetime, end: datetime) -> list[dict]:
    rows = list(
        db.session.execute(
            select(Case.ward_id, func.count())
            .where(Case.created_at >= start, Case.created_at < end)
            .group_by(Case.ward_id)
        )
    )
    wards = units_by_id({ward_id for ward_id, _ in rows if ward_id})
    result = [
        {"ward": unit_ref(wards.get(ward_id)) if ward_id else None, "count": count}
        for ward_id, count in rows
    ]
    # Known wards by count, then the cases without a ward.
    result.sort(
        key=lambda r: (r["ward"] is None, -r["count"], (r["ward"] or {}).get("name_vi", ""))
    )
    return result


def sla_breaches(start: datetime, end: datetime) -> dict:
    """Deadlines whose breach was noticed in the window (by the scan, or by a late stop)."""
    condition = and_(SlaClock.breached_at >= start, SlaClock.breached_at < end)
    total = db.session.scalar(select(func.count()).select_from(SlaClock).where(condition))
    clocks = list(
        db.session.scalars(
            select(SlaClock)
            .where(condition)
            .options(selectinload(SlaClock.case).selectinload(Case.unit))
            .order_by(SlaClock.breached_at, SlaClock.id)
            .limit(MAX_ROWS)
        )
    )
    load_wards([c.case for c in clocks])
    by_metric = Counter(
        dict(
            db.session.execute(
                select(SlaClock.metric, func.count()).where(condition).group_by(SlaClock.metric)
            ).all()
        )
    )
    return {
        "total": total,
        "by_metric": dict(by_metric),
        "rows": [
            {
                "case": case_ref(clock.case),
                "metric": clock.metric,
                "due_at": iso(clock.due_at),
                "breached_at": iso(clock.breached_at),
                "stopped_at": iso(clock.stopped_at),
            }
            for clock in clocks
        ],
    }


def responses_published(start: datetime, end: datetime) -> dict:
    """Cases whose public response was published in the window, each once (its first response
    in the window): the move to "responded" on the timeline. Public notes written afterwards
    are public_reply events too, but not responses."""
    first_response = (
        select(CaseEvent.case_id, func.min(CaseEvent.created_at).label("responded_at"))
        .where(
            CaseEvent.kind == EventKind.status_changed.value,
            CaseEvent.to_value == Status.responded.value,
            CaseEvent.created_at >= start,
            CaseEvent.created_at < end,
        )
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    total = db.session.scalar(select(func.count()).select_from(first_response))
    answered = db.session.execute(
        select(Case, first_response.c.responded_at)
        .join(first_response, first_response.c.case_id == Case.id)
        .options(selectinload(Case.unit))
        .order_by(first_response.c.responded_at, Case.id)
        .limit(MAX_ROWS)
    ).all()
    load_wards([case for case, _ in answered])
    return {
        "total": total,
        "rows": [
            {
                "case": case_ref(case),
                "responded_at": iso(responded_at),
                "hours_since_opened": round(
                    (responded_at - case.created_at).total_seconds() / 3600, 1
                ),
            }
            for case, responded_at in answered
        ],
    }


def still_overdue(now: datetime) -> dict:
    """Deadlines still running past their due time (paused clocks wait, so they are not)."""
    condition = and_(
        SlaClock.stopped_at.is_(None),
        SlaClock.state.in_((ClockState.running.value, ClockState.breached.value)),
        SlaClock.due_at < now,
    )
    total = db.session.scalar(select(func.count()).select_from(SlaClock).where(condition))
    clocks = list(
        db.session.scalars(
            select(SlaClock)
            .where(condition)
            .options(selectinload(SlaClock.case).selectinload(Case.unit))
            .order_by(SlaClock.due_at, SlaClock.id)
            .limit(MAX_ROWS)
        )
    )
    load_wards([c.case for c in clocks])
    unit_rows = list(
        db.session.execute(
            select(Case.unit_id, func.count())
            .join(SlaClock, SlaClock.case_id == Case.id)
            .where(condition)
            .group_by(Case.unit_id)
        )
    )
    units = units_by_id({unit_id for unit_id, _ in unit_rows})
    by_unit = sorted(
        ({"unit": unit_ref(units[unit_id]), "count": count} for unit_id, count in unit_rows),
        key=lambda r: (-r["count"], r["unit"]["name_vi"]),
    )
    return {
        "total": total,
        "by_unit": by_unit,
        "rows": [
            {
                "case": case_ref(clock.case),
                "metric": clock.metric,
                "due_at": iso(clock.due_at),
                "overdue_hours": round((now - clock.due_at).total_seconds() / 3600, 1),
            }
            for clock in clocks
        ],
    }


def hot_topics(start: datetime, end: datetime, limit: int = HOT_TOPICS) -> dict:
    """Cases and keywords whose mentions rise (trends/hot_topics.py), cases with their unit and
    their mentions in the window per channel."""
    hours = max(1, round((end - start).total_seconds() / 3600))
    found = rising_topics(end, window_hours=hours, limit=limit)
    cases = cases_by_id({item["case_id"] for item in found["cases"]})
    window_start = parse_iso(found["window_start"])
    per_channel: dict[int, Counter] = defaultdict(Counter)
    if cases:
        rows = db.session.execute(
            select(Post.case_id, Post.channel, func.count())
            .where(
                Post.case_id.in_(list(cases)),
                Post.posted_at >= window_start,
                Post.posted_at < end,
                queries.counted_posts(),
            )
            .group_by(Post.case_id, Post.channel)
        )
        for case_id, channel, count in rows:
            per_channel[case_id][channel] += count
    return {
        "window_hours": found["window_hours"],
        "baseline_days": found["baseline_days"],
        "cases": [
            {
                "case": case_ref(cases[item["case_id"]]),
                "mentions": item["volume"],
                "baseline": item["baseline"],
                "growth": item["growth"],
                "channels": {c: per_channel[item["case_id"]].get(c, 0) for c in CHANNELS},
            }
            for item in found["cases"]
            if item["case_id"] in cases
        ],
        "keywords": [
            {
                "keyword": item["display"],
                "related": item["related"],
                "mentions": item["volume"],
                "baseline": item["baseline"],
                "growth": item["growth"],
            }
            for item in found["keywords"]
        ],
    }
