"""What a report says: language-neutral snapshots of the live data, stored in Report.data.

Three kinds (ReportKind):

- the morning digest (bản tin điểm báo): the press articles of the last 24 h, grouped by topic
  (the case they were linked to, else their category, else a keyword cluster), each topic with
  its linked cases;
- the evening report (báo cáo tổng hợp dư luận): hot topics, new cases by category, by ward and
  by origin (opened from collected posts, from citizens' reports, or filed by staff and
  imported), the SLA deadlines missed, the public responses published (each case once, however
  many public notes follow), and what is still overdue;
- custom: one topic (a keyword), one case (by its code) or a date range.

The snapshot keeps codes, ids, numbers and ISO 8601 UTC times — never translated text — so that
one stored report renders in Vietnamese or in English (render.py). Names of units are kept in
both languages, as they were when the report was made.

    data = {"schema": 1, "kind": …, "generated_at": iso, "period": {"start": iso, "end": iso},
            "params": {…}, "sections": [{"type": "summary", …}, {"type": "press_topics", …}, …]}
"""

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from app.cases import permissions
from app.cases.models import CATEGORIES, Case, CaseEvent, EventKind
from app.cases.sla_models import ClockState, SlaClock
from app.cases.workflow import Status
from app.collectors.models import Post
from app.core.text import fold
from app.extensions import db
from app.models import utcnow
from app.stats import spread, trends
from app.stats.models import Report, ReportKind, ReportStatus
from app.units.models import Unit
from app.users.models import Role, User

SCHEMA_VERSION = 1
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: The morning digest and the evening report cover the 24 h before they are made.
DAILY_WINDOW = timedelta(hours=24)
#: A topic or a range report without dates covers the last week.
DEFAULT_CUSTOM_WINDOW = timedelta(days=7)
#: The longest range an on-demand report may cover.
MAX_RANGE_DAYS = 366
#: Rows kept in the long lists (breaches, overdue, articles…); the totals are always exact.
MAX_ROWS = 200
#: Hot topics shown in the evening report.
HOT_TOPICS = 10
CHANNELS = ("press", "social", "direct")
#: Roles that read reports. Officers work their queue; reports are for the people above them.
REPORT_ROLES = (Role.supervisor.value, Role.analyst.value, Role.admin.value)
#: Roles that read every report, including the on-demand reports of others.
ALL_REPORTS_ROLES = (Role.analyst.value, Role.admin.value)


class ReportInputError(ValueError):
    """What was asked for cannot make a report: {field: [message]}."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: [message]}


# --- who reads what -------------------------------------------------------------------------


def can_read_reports(user: User) -> bool:
    return user.is_authenticated and user.role in REPORT_ROLES


def readable_reports(statement, user: User):
    """Limit a select() of reports: supervisors read the scheduled reports and their own."""
    if user.role in ALL_REPORTS_ROLES:
        return statement
    return statement.where(
        or_(Report.kind != ReportKind.custom.value, Report.created_by_id == user.id)
    )


def can_read(user: User, report: Report) -> bool:
    if not can_read_reports(user):
        return False
    if user.role in ALL_REPORTS_ROLES or report.kind != ReportKind.custom.value:
        return True
    return report.created_by_id == user.id


# --- making and storing ---------------------------------------------------------------------


def generate(
    kind: str,
    *,
    at: datetime | None = None,
    params: dict | None = None,
    user: User | None = None,
) -> Report:
    """Compute a report as of `at` (default now) and store it; raises ReportInputError."""
    at = at or utcnow()
    params = dict(params or {})
    data = build(kind, at, params, user=user)
    report = Report(
        kind=kind,
        status=ReportStatus.ready.value,
        period_start=_parse(data["period"]["start"]),
        period_end=_parse(data["period"]["end"]),
        params=data["params"],
        data=data,
        created_by=user,
    )
    db.session.add(report)
    db.session.commit()
    return report


def store_failure(kind: str, at: datetime, error: str, params: dict | None = None) -> Report:
    """Keep a trace of a report that could not be made, so the admin sees why."""
    report = Report(
        kind=kind,
        status=ReportStatus.failed.value,
        period_start=at - DAILY_WINDOW,
        period_end=at,
        params=params or {},
        data={},
        error=error[:4000],
    )
    db.session.add(report)
    db.session.commit()
    return report


def build(kind: str, at: datetime, params: dict, *, user: User | None = None) -> dict:
    """The snapshot of one report (not stored)."""
    if kind == ReportKind.morning_digest:
        start, end = at - DAILY_WINDOW, at
        sections = morning_digest_sections(start, end)
        stored = {}
    elif kind == ReportKind.evening_report:
        start, end = at - DAILY_WINDOW, at
        sections = evening_report_sections(start, end, at)
        stored = {}
    elif kind == ReportKind.custom:
        start, end, sections, stored = custom_sections(params, at, user)
    else:
        raise ReportInputError("kind", f"unknown report kind {kind!r}")
    return {
        "schema": SCHEMA_VERSION,
        "kind": str(kind),
        "generated_at": _iso(at),
        "period": {"start": _iso(start), "end": _iso(end)},
        "params": stored,
        "sections": sections,
    }


# --- the morning digest ---------------------------------------------------------------------


def morning_digest_sections(start: datetime, end: datetime) -> list[dict]:
    posts = list(
        db.session.scalars(
            select(Post)
            .where(Post.channel == "press", Post.posted_at >= start, Post.posted_at < end)
            .order_by(Post.posted_at.desc(), Post.id.desc())
        )
    )
    not_relevant = [p for p in posts if p.is_relevant is False]
    articles = [p for p in posts if p.is_relevant is not False]
    cases = _cases_by_id({p.case_id for p in articles if p.case_id})
    # A post linked to a merged duplicate belongs to the case it was merged into.
    for case in list(cases.values()):
        if case.duplicate_of_id and case.duplicate_of_id not in cases:
            cases.update(_cases_by_id({case.duplicate_of_id}))

    def final_case(post: Post) -> Case | None:
        case = cases.get(post.case_id) if post.case_id else None
        while case is not None and case.duplicate_of_id in cases:
            case = cases[case.duplicate_of_id]
        return case

    by_case: dict[int, list[Post]] = defaultdict(list)
    by_category: dict[str, list[Post]] = defaultdict(list)
    unplaced: list[Post] = []
    for post in articles:
        case = final_case(post)
        if case is not None:
            by_case[case.id].append(post)
        elif post.category in CATEGORIES:
            by_category[post.category].append(post)
        else:
            unplaced.append(post)

    topics = []
    for case_id, members in by_case.items():
        case = cases[case_id]
        topics.append(
            {
                "group": "case",
                "case_code": case.code,
                "category": case.category,
                "keywords": [],
                "articles": [_article(p) for p in members],
                "cases": [_case_ref(case)],
            }
        )
    for category, members in by_category.items():
        topics.append(
            {
                "group": "category",
                "case_code": None,
                "category": category,
                "keywords": [],
                "articles": [_article(p) for p in members],
                "cases": [],
            }
        )
    for keywords, members in keyword_clusters([(p.id, article_title(p)) for p in unplaced]):
        by_id = {p.id: p for p in unplaced}
        topics.append(
            {
                "group": "keywords",
                "case_code": None,
                "category": None,
                "keywords": keywords,
                "articles": [_article(by_id[i]) for i in members],
                "cases": [],
            }
        )
    # Most covered first; the "other articles" group (no keywords) last.
    topics.sort(
        key=lambda t: (
            t["group"] == "keywords" and not t["keywords"],
            -len(t["articles"]),
            -max(_parse(a["posted_at"]).timestamp() for a in t["articles"]),
        )
    )
    sources = Counter(_source_name(p) for p in articles)
    linked = {c["code"] for t in topics for c in t["cases"]}
    return [
        {
            "type": "summary",
            "figures": {
                "articles": len(articles),
                "topics": len(topics),
                "linked_cases": len(linked),
                "sources": len(sources),
                "not_relevant": len(not_relevant),
            },
        },
        {"type": "press_topics", "topics": topics},
        {
            "type": "press_sources",
            "rows": [
                {"source": name, "articles": count}
                for name, count in sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        },
    ]


def article_title(post: Post) -> str:
    """The headline of a press article: the feed's title, else the first line of the text."""
    raw = post.raw or {}
    title = raw.get("title") if isinstance(raw, dict) else None
    if not title:
        title = (post.text or "").strip().split("\n", 1)[0]
    title = " ".join(str(title).split())
    return title[:297] + "…" if len(title) > 300 else title


def _source_name(post: Post) -> str:
    raw = post.raw or {}
    feed = raw.get("feed") if isinstance(raw, dict) else None
    return str(feed or post.source)


def _article(post: Post) -> dict:
    return {
        "id": post.id,
        "title": article_title(post),
        "source": _source_name(post),
        "url": post.url,
        "posted_at": _iso(post.posted_at),
        "category": post.category,
    }


#: Syllables too common in HCMC news to tell topics apart (folded).
_STOP_SYLLABLES = frozenset(
    """
    va cua la cac nhung mot cho voi tai trong tren duoi duoc da dang se nay do khi thi co khong
    ve tu den o ra vao len sau truoc nhieu it nhu theo hon lai con bi boi vi de hay moi cung rat
    ma nen neu ngay hom qua nay toi sang chieu dem nam thang tuan gio phut
    tp hcm tphcm thanh pho ho chi minh sai gon nguoi dan the
    """.split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _bigrams(title: str) -> dict[str, str]:
    """Folded two-syllable phrases of a title -> how the title wrote them."""
    words = _WORD.findall(title)
    phrases = {}
    for first, second in zip(words, words[1:], strict=False):
        a, b = fold(first), fold(second)
        if a in _STOP_SYLLABLES or b in _STOP_SYLLABLES or len(a) < 2 or len(b) < 2:
            continue
        phrases.setdefault(f"{a} {b}", f"{first} {second}".lower())
    return phrases


def keyword_clusters(items: list[tuple[int, str]]) -> list[tuple[list[str], list[int]]]:
    """Group (id, title) pairs that share a two-syllable phrase, most shared phrase first.

    Returns [(keywords as written, ids)]; titles sharing nothing end in one group without
    keywords ("other articles").
    """
    phrases = {item_id: _bigrams(title) for item_id, title in items}
    # Ties go to the phrase met first (the items come newest first).
    order = {}
    for item_id, _ in items:
        for phrase in phrases[item_id]:
            order.setdefault(phrase, len(order))
    left = [item_id for item_id, _ in items]
    clusters = []
    while True:
        counts = Counter(p for item_id in left for p in phrases[item_id])
        best = [p for p, n in counts.items() if n >= 2]
        if not best:
            break
        phrase = min(best, key=lambda p: (-counts[p], order[p]))
        members = [item_id for item_id in left if phrase in phrases[item_id]]
        shared = set.intersection(*(set(phrases[i]) for i in members))
        ordered = [phrase] + sorted(shared - {phrase}, key=lambda p: (-counts[p], order[p]))[:2]
        written = phrases[members[0]]
        clusters.append(([written[p] for p in ordered], members))
        left = [item_id for item_id in left if item_id not in set(members)]
    if left:
        clusters.append(([], left))
    return clusters


# --- the evening report ---------------------------------------------------------------------


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
                "overdue": overdue["total"],
            },
        },
        *([{"type": "hot_topics", **hot_topics(start, end)}] if with_hot_topics else []),
        {"type": "new_by_category", "rows": by_category},
        {"type": "new_by_ward", "rows": by_ward},
        {"type": "sla_breaches", **breaches},
        {"type": "responses", **responses},
        {"type": "overdue", "as_of": _iso(now), **overdue},
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


def new_cases_by_ward(start: datetime, end: datetime) -> list[dict]:
    rows = list(
        db.session.execute(
            select(Case.ward_id, func.count())
            .where(Case.created_at >= start, Case.created_at < end)
            .group_by(Case.ward_id)
        )
    )
    wards = _units_by_id({ward_id for ward_id, _ in rows if ward_id})
    result = [
        {"ward": _unit_ref(wards.get(ward_id)) if ward_id else None, "count": count}
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
    _load_wards([c.case for c in clocks])
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
                "case": _case_ref(clock.case),
                "metric": clock.metric,
                "due_at": _iso(clock.due_at),
                "breached_at": _iso(clock.breached_at),
                "stopped_at": _iso(clock.stopped_at),
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
    _load_wards([case for case, _ in answered])
    return {
        "total": total,
        "rows": [
            {
                "case": _case_ref(case),
                "responded_at": _iso(responded_at),
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
    _load_wards([c.case for c in clocks])
    unit_rows = list(
        db.session.execute(
            select(Case.unit_id, func.count())
            .join(SlaClock, SlaClock.case_id == Case.id)
            .where(condition)
            .group_by(Case.unit_id)
        )
    )
    units = _units_by_id({unit_id for unit_id, _ in unit_rows})
    by_unit = sorted(
        ({"unit": _unit_ref(units[unit_id]), "count": count} for unit_id, count in unit_rows),
        key=lambda r: (-r["count"], r["unit"]["name_vi"]),
    )
    return {
        "total": total,
        "by_unit": by_unit,
        "rows": [
            {
                "case": _case_ref(clock.case),
                "metric": clock.metric,
                "due_at": _iso(clock.due_at),
                "overdue_hours": round((now - clock.due_at).total_seconds() / 3600, 1),
            }
            for clock in clocks
        ],
    }


def hot_topics(start: datetime, end: datetime, limit: int = HOT_TOPICS) -> dict:
    """Cases and keywords whose mentions rise (trends.hot_topics), cases with their unit and
    their mentions in the window per channel."""
    hours = max(1, round((end - start).total_seconds() / 3600))
    found = trends.hot_topics(end, window_hours=hours, limit=limit)
    cases = _cases_by_id({item["case_id"] for item in found["cases"]})
    window_start = _parse(found["window_start"])
    per_channel: dict[int, Counter] = defaultdict(Counter)
    if cases:
        rows = db.session.execute(
            select(Post.case_id, Post.channel, func.count())
            .where(
                Post.case_id.in_(list(cases)),
                Post.posted_at >= window_start,
                Post.posted_at < end,
                trends._counted_posts(),
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
                "case": _case_ref(cases[item["case_id"]]),
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


# --- on demand ------------------------------------------------------------------------------


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
        stored = {"topic": topic, "from": _iso(start), "to": _iso(end)}
        return start, end, topic_report_sections(topic, start, end), stored
    if params.get("from") is None and params.get("to") is None:
        raise ReportInputError("_schema", "give a topic, a case code or a date range")
    # Hot topics compare a window with the week before it: up to a week, not over months.
    short = end - start <= timedelta(hours=trends.MAX_WINDOW_HOURS)
    sections = evening_report_sections(start, end, min(end, at), with_hot_topics=short)
    sections.insert(1, {"type": "mentions_over_time", **volume_over_time(start, end)})
    return start, end, sections, {"from": _iso(start), "to": _iso(end)}


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
        return (value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)).astimezone(UTC)
    day = value + timedelta(days=1) if end_of_day else value
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


def topic_report_sections(topic: str, start: datetime, end: datetime) -> list[dict]:
    """Posts and cases about a topic: one phrase or several separated by commas.

    Posts match as whole words, without regard to case or diacritics (spread.topic_matcher);
    cases match when their folded code, title or description contains one of the phrases.
    """
    terms = [fold(term) for term in spread.topic_terms(topic)]
    case_condition = or_(
        *[Case.search_text.like(f"%{_like_escape(term)}%", escape="\\") for term in terms]
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
            trends._counted_posts(),
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
                    "case": _case_ref(case),
                    "mentions": case.mention_count,
                    "opened_at": _iso(case.created_at),
                }
                for case in matched_cases
            ],
        },
        {
            "type": "articles",
            "total": len(articles),
            "rows": [_article(post) for post in articles[:MAX_ROWS]],
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
                **_case_ref(case),
                "source": case.source,
                "mention_count": case.mention_count,
                "created_at": _iso(case.created_at),
                "first_seen_at": _iso(case.first_seen_at),
                "public_response": case.public_response,
                "public_response_at": _iso(case.public_response_at),
                "reject_reason": case.reject_reason,
                "cycle": case.cycle,
            },
        },
        {
            "type": "case_timeline",
            "rows": [
                {
                    "kind": event.kind,
                    "at": _iso(event.created_at),
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
                    "started_at": _iso(clock.started_at),
                    "due_at": _iso(clock.due_at),
                    "stopped_at": _iso(clock.stopped_at),
                }
                for clock in clocks
            ],
        },
        *spread_sections(spread.spread_for_case(case, include_duplicates=True)),
        {"type": "articles", **articles},
    ]


def volume_over_time(start: datetime, end: datetime) -> dict:
    """Posts per local day (or week) and channel over a range (trends.volume_by_channel)."""
    volume = trends.volume_by_channel(start, end)
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
    return {"total": total, "rows": [_article(p) for p in posts]}


# --- helpers --------------------------------------------------------------------------------


def _cases_by_id(ids: set[int]) -> dict[int, Case]:
    if not ids:
        return {}
    cases = db.session.scalars(
        select(Case)
        .where(Case.id.in_(ids))
        .options(selectinload(Case.unit), selectinload(Case.ward))
    )
    return {case.id: case for case in cases}


def _units_by_id(ids: set[int]) -> dict[int, Unit]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}


def _load_wards(cases: list[Case]) -> None:
    # One query for the wards of a list of cases, instead of one each.
    _units_by_id({c.ward_id for c in cases if c.ward_id})


def _unit_ref(unit: Unit | None) -> dict | None:
    if unit is None:
        return None
    return {"code": unit.code, "name_vi": unit.name_vi, "name_en": unit.name_en}


def _case_ref(case: Case) -> dict:
    return {
        "id": case.id,
        "code": case.code,
        "title": case.title,
        "status": case.status,
        "category": case.category,
        "priority": case.priority,
        "unit": _unit_ref(case.unit),
        "ward": _unit_ref(case.ward),
    }


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def scheduled_moment(day: date, time_of_day: str, timezone: str = "Asia/Ho_Chi_Minh") -> datetime:
    """The UTC instant of a local date at "HH:MM" in a zone."""
    hours, minutes = (int(part) for part in time_of_day.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
