"""The morning digest (bản tin điểm báo): the press articles of the last 24 h, grouped by topic
— the case they were linked to, else their category, else a keyword cluster — each topic with
its linked cases."""

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import select

from app.cases.models import Case
from app.collectors.models import Post
from app.core.vocabulary import CATEGORIES
from app.extensions import db
from app.stats.reports.clusters import keyword_clusters
from app.stats.reports.common import (
    article_ref,
    article_title,
    case_ref,
    cases_by_id,
    parse_iso,
    source_name,
)


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
    cases = cases_by_id({p.case_id for p in articles if p.case_id})
    # A post linked to a merged duplicate belongs to the case it was merged into.
    for case in list(cases.values()):
        if case.duplicate_of_id and case.duplicate_of_id not in cases:
            cases.update(cases_by_id({case.duplicate_of_id}))

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
                "articles": [article_ref(p) for p in members],
                "cases": [case_ref(case)],
            }
        )
    for category, members in by_category.items():
        topics.append(
            {
                "group": "category",
                "case_code": None,
                "category": category,
                "keywords": [],
                "articles": [article_ref(p) for p in members],
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
                "articles": [article_ref(by_id[i]) for i in members],
                "cases": [],
            }
        )
    # Most covered first; the "other articles" group (no keywords) last.
    topics.sort(
        key=lambda t: (
            t["group"] == "keywords" and not t["keywords"],
            -len(t["articles"]),
            -max(parse_iso(a["posted_at"]).timestamp() for a in t["articles"]),
        )
    )
    sources = Counter(source_name(p) for p in articles)
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
