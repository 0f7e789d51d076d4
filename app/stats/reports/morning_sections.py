"""The morning digest's sections, rendered: the articles by topic and by newspaper."""

from flask_babel import gettext as _

from app.cases.labels import CATEGORY_LABELS, label
from app.core.links import web_link
from app.stats.reports.labels import SECTION_TITLES
from app.stats.reports.sections import (
    Column,
    Section,
    Topic,
    bars,
    case_cells,
    parse_time,
    shorten,
)


def _press_topics(raw: dict) -> Section:
    topics = []
    rows = []
    for topic in raw.get("topics", []):
        if topic["group"] == "case":
            case = topic["cases"][0]
            title = f"{case['title']} ({case['code']})"
            kind_label = _("Linked case")
        elif topic["group"] == "category":
            title = label(CATEGORY_LABELS, topic["category"])
            kind_label = _("Category, no case yet")
        elif topic["keywords"]:
            title = " · ".join(f"“{word}”" for word in topic["keywords"])
            kind_label = _("Shared keywords")
        else:
            title = _("Other articles")
            kind_label = _("No shared topic")
        articles = [
            {
                **article,
                "posted_at": parse_time(article["posted_at"]),
                "_url": web_link(article.get("url")),
            }
            for article in topic["articles"]
        ]
        cases = [case_cells(case) for case in topic["cases"]]
        topics.append(Topic(title, kind_label, cases, articles))
        for article in articles:
            rows.append(
                {
                    "topic": title,
                    "title": article["title"],
                    "_url": article["_url"],
                    "source": article["source"],
                    "posted_at": article["posted_at"],
                    "url": article.get("url") or "",
                    "cases": ", ".join(case["code"] for case in cases),
                }
            )
    chart = None
    if topics:
        top = topics[:8]
        chart = bars(
            _("Articles per topic"),
            [shorten(t.title, 48) for t in top],
            {_("Articles"): [len(t.articles) for t in top]},
        )
    return Section(
        "press_topics",
        str(SECTION_TITLES["press_topics"]),
        [
            Column("topic", _("Topic")),
            Column("title", _("Article"), "link"),
            Column("source", _("Newspaper")),
            Column("posted_at", _("Published"), "datetime"),
            Column("url", _("Address"), "url", document=False),
            Column("cases", _("Linked cases")),
        ],
        rows,
        layout="topics",
        chart=chart,
        topics=topics,
        empty=_("No press article in this period."),
    )


def _press_sources(raw: dict) -> Section:
    return Section(
        "press_sources",
        str(SECTION_TITLES["press_sources"]),
        [Column("source", _("Newspaper")), Column("articles", _("Articles"), "number")],
        raw.get("rows", []),
        empty=_("No press article in this period."),
    )


BUILDERS = {"press_topics": _press_topics, "press_sources": _press_sources}
