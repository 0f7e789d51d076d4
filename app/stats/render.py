"""A stored report, rendered in a language: HTML (in the app and for print), PDF and XLSX.

`view(report, locale)` turns the language-neutral snapshot (reports.py) into translated
sections — a title, key figures, a chart, a table (or topics for the morning digest) — and the
three outputs are drawn from that one view: the Jinja template stats/report_document.html (in the
app page and inside the print page), WeasyPrint for the PDF, openpyxl (export.xlsx_bytes) for the
workbook, one sheet per section.

The PDF fetches nothing: styles and charts are inline, and the URL fetcher refuses every address
that is not a data: URI. Fonts are the system's DejaVu, which covers Vietnamese.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, render_template, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.cases.labels import (
    CATEGORY_LABELS,
    CLOCK_STATE_LABELS,
    EVENT_LABELS,
    METRIC_LABELS,
    PRIORITY_LABELS,
    REJECT_REASON_LABELS,
    STATUS_LABELS,
    label,
)
from app.core import formatting
from app.core.links import web_link
from app.stats import charts
from app.stats.export import xlsx_bytes
from app.stats.handling import SOURCE_LABELS
from app.stats.models import Report, ReportKind

PDF_MIMETYPE = "application/pdf"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("pdf", "xlsx")
LOCALES = ("vi", "en")

KIND_LABELS = {
    ReportKind.morning_digest.value: _l("Morning press digest"),
    ReportKind.evening_report.value: _l("Evening public-opinion report"),
    ReportKind.custom.value: _l("On-demand report"),
}
CHANNEL_LABELS = {
    "press": _l("Press"),
    "social": _l("Social media"),
    "direct": _l("Direct reports"),
}
FIGURE_LABELS = {
    "articles": _l("Press articles"),
    "topics": _l("Topics"),
    "linked_cases": _l("Cases linked to the articles"),
    "sources": _l("Newspapers"),
    "not_relevant": _l("Articles left out (not about the city's affairs)"),
    "new_cases": _l("New cases"),
    "new_cases_posts": _l("opened from collected posts"),
    "new_cases_direct": _l("opened from citizens' reports"),
    "new_cases_filed": _l("filed by staff or imported"),
    "posts": _l("Posts and reports collected"),
    "posts_press": _l("from the press"),
    "posts_social": _l("from social media"),
    "posts_direct": _l("reported directly"),
    "sla_breaches": _l("Deadlines missed"),
    "responses": _l("Public responses published"),
    "overdue": _l("Deadlines overdue now"),
    "mentions": _l("Mentions"),
    "mentions_press": _l("in the press"),
    "mentions_social": _l("on social media"),
    "mentions_direct": _l("in direct reports"),
    "cases": _l("Cases"),
}
SECTION_TITLES = {
    "summary": _l("Key figures"),
    "press_topics": _l("Press articles by topic"),
    "press_sources": _l("Articles by newspaper"),
    "hot_topics": _l("Hot topics"),
    "hot_keywords": _l("Rising keywords"),
    "new_by_category": _l("New cases by category"),
    "new_by_ward": _l("New cases by ward"),
    "sla_breaches": _l("Deadlines missed"),
    "responses": _l("Public responses published"),
    "overdue": _l("Still overdue"),
    "mentions_over_time": _l("Mentions over time, by channel"),
    "channel_spread": _l("Press and social media"),
    "topic_cases": _l("Cases on this topic"),
    "articles": _l("Press articles"),
    "case_details": _l("The case"),
    "case_timeline": _l("Timeline"),
    "sla_clocks": _l("Deadlines"),
}


@contextmanager
def report_locale(locale: str | None) -> Iterator[None]:
    """Render in `locale` ("vi" or "en"), or in the request's language when None."""
    if locale is None:
        yield
        return
    with force_locale(locale):
        yield


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


# --- the view -------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    #: text, number, hours, ratio, datetime, case (a code linked to the case), link (text
    #: linked to _url) or url (an address).
    kind: str = "text"
    #: Shown in the page and the PDF; False: in the workbook only (the page has it otherwise:
    #: a link on the title, a chart).
    document: bool = True


@dataclass
class Topic:
    title: str
    kind_label: str
    cases: list[dict]
    articles: list[dict]


@dataclass
class Section:
    type: str
    title: str
    columns: list[Column] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    #: figures (a list of key figures), pairs (label: value), table, or topics.
    layout: str = "table"
    chart: Markup | None = None
    topics: list[Topic] = field(default_factory=list)
    note: str | None = None
    empty: str = ""
    #: In the page and the PDF, leave out the rows where this column is 0 (the workbook keeps
    #: them all): an hourly series is mostly empty hours.
    hide_zero: str | None = None

    @property
    def anchor(self) -> str:
        return f"section-{self.type.replace('_', '-')}"


@dataclass
class View:
    report_id: int | None
    kind: str
    title: str
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    locale: str
    sections: list[Section]
    failed: bool = False
    error: str | None = None

    @property
    def period_text(self) -> str:
        return _(
            "From %(start)s to %(end)s",
            start=formatting.datetime_local(self.period_start),
            end=formatting.datetime_local(self.period_end),
        )

    @property
    def generated_text(self) -> str:
        return _("Made on %(time)s", time=formatting.datetime_local(self.generated_at))


def view(report: Report, locale: str | None = None) -> View:
    """The report's sections, translated; call inside report_locale(locale) to render them."""
    with report_locale(locale):
        data = report.data or {}
        generated = _dt(data.get("generated_at")) or report.created_at
        sections = []
        for raw in data.get("sections", []):
            builder = _BUILDERS.get(raw.get("type"))
            if builder is not None:
                built = builder(raw)
                sections.extend(built if isinstance(built, list) else [built])
        return View(
            report_id=report.id,
            kind=report.kind,
            title=report_title(report),
            period_start=report.period_start,
            period_end=report.period_end,
            generated_at=generated,
            locale=locale or current_language(),
            sections=sections,
            failed=report.status == "failed",
            error=report.error,
        )


def report_title(report: Report) -> str:
    params = report.params or {}
    if report.kind != ReportKind.custom.value:
        return str(KIND_LABELS.get(report.kind, report.kind))
    if params.get("case"):
        return _("Report on case %(code)s", code=params["case"])
    if params.get("topic"):
        return _("Report on the topic “%(topic)s”", topic=params["topic"])
    return _(
        "Report from %(start)s to %(end)s",
        start=formatting.datetime_local(report.period_start),
        end=formatting.datetime_local(report.period_end),
    )


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _unit(ref: dict | None) -> str:
    if not ref:
        return "—"
    return ref["name_en"] if current_language() == "en" else ref["name_vi"]


def _case_cells(case: dict) -> dict:
    return {
        "code": case["code"],
        "_case_id": case["id"],
        "title": case["title"],
        "status": label(STATUS_LABELS, case["status"]),
        "category": label(CATEGORY_LABELS, case["category"]),
        "priority": case["priority"],
        "unit": _unit(case.get("unit")),
        "ward": _unit(case.get("ward")) if case.get("ward") else "—",
    }


def _case_columns(*extra: Column, with_category: bool = False) -> list[Column]:
    columns = [Column("code", _("Case"), "case"), Column("title", _("Title"))]
    if with_category:
        columns.append(Column("category", _("Category")))
    return columns + [
        Column("status", _("Status")),
        Column("unit", _("Responsible unit")),
        *extra,
    ]


def _more_note(shown: int, total: int) -> str | None:
    if total > shown:
        return _("Showing the first %(shown)d of %(total)d.", shown=shown, total=total)
    return None


def _summary(raw: dict) -> Section:
    figures = raw.get("figures", {})
    rows = [
        # "posts_press", "new_cases_filed"…: a part of the figure above, shown indented.
        {
            "label": str(FIGURE_LABELS.get(key, key)),
            "value": value,
            "_part": key.startswith("new_cases_") or key.rpartition("_")[2] in CHANNEL_LABELS,
        }
        for key, value in figures.items()
    ]
    return Section(
        "summary",
        str(SECTION_TITLES["summary"]),
        [Column("label", _("Figure")), Column("value", _("Value"), "number")],
        rows,
        layout="figures",
        note=_new_cases_note(figures),
    )


def _new_cases_note(figures: dict) -> str | None:
    """How the new cases and the posts fit together (evening reports made since it is counted)."""
    if "new_cases_filed" not in figures:
        return None
    return " ".join(
        (
            ngettext(
                "%(num)d new case: %(posts)d opened from posts collected, %(direct)d from "
                "citizens' reports, %(filed)d filed by staff or imported.",
                "%(num)d new cases: %(posts)d opened from posts collected, %(direct)d from "
                "citizens' reports, %(filed)d filed by staff or imported.",
                figures["new_cases"],
                posts=figures["new_cases_posts"],
                direct=figures["new_cases_direct"],
                filed=figures["new_cases_filed"],
            ),
            _(
                "A case gathers every post about the same problem, and a case filed by staff "
                "has no collected post, so posts and new cases are not the same count; each "
                "case's public response is counted once."
            ),
        )
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
                "posted_at": _dt(article["posted_at"]),
                "_url": web_link(article.get("url")),
            }
            for article in topic["articles"]
        ]
        cases = [_case_cells(case) for case in topic["cases"]]
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
        chart = _bars(
            _("Articles per topic"),
            [_short(t.title, 48) for t in top],
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


def _bars(title: str, labels: list[str], series: dict, *, stacked: bool = False) -> Markup:
    """Horizontal bars, first label on top (pygal draws the first at the bottom)."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    legend = 30 * ((len(series) + 1) // 2) if len(series) > 1 else 0
    return charts.bar_chart(
        title,
        list(reversed(labels)),
        {name: list(reversed(values)) for name, values in series.items()},
        horizontal=True,
        stacked=stacked,
        height=90 + 34 * len(labels) + legend,
        **_counts(totals),
    )


def _counts(values: list[int]) -> dict:
    """Chart options for small counts: whole numbers on the axis, not 0.1 steps."""
    largest = max(values, default=0)
    return {"y_labels": list(range(0, largest + 1))} if largest <= 10 else {}


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _press_sources(raw: dict) -> Section:
    return Section(
        "press_sources",
        str(SECTION_TITLES["press_sources"]),
        [Column("source", _("Newspaper")), Column("articles", _("Articles"), "number")],
        raw.get("rows", []),
        empty=_("No press article in this period."),
    )


def _hot_topics(raw: dict) -> list[Section]:
    """Two sections: the rising cases (with a chart) and the rising keywords."""
    rows = []
    for topic in raw.get("cases", []):
        channels = topic.get("channels", {})
        rows.append(
            {
                **_case_cells(topic["case"]),
                "mentions": topic["mentions"],
                "baseline": topic["baseline"],
                "growth": topic["growth"],
                **{f"channel_{c}": channels.get(c, 0) for c in CHANNEL_LABELS},
            }
        )
    chart = None
    if rows:
        chart = _bars(
            _("Mentions of the hot topics"),
            [_short(f"{r['code']} · {r['title']}", 48) for r in rows],
            {str(CHANNEL_LABELS[c]): [r[f"channel_{c}"] for r in rows] for c in CHANNEL_LABELS},
            stacked=True,
        )
    baseline_note = _(
        "Mentions in the last %(hours)d hours against the usual volume of the %(days)d days "
        "before; growth = (mentions + 1) / (usual + 1).",
        hours=raw.get("window_hours", 24),
        days=raw.get("baseline_days", 7),
    )
    keywords = [
        {
            "keyword": item["keyword"],
            "related": ", ".join(item.get("related", [])),
            "mentions": item["mentions"],
            "baseline": item["baseline"],
            "growth": item["growth"],
        }
        for item in raw.get("keywords", [])
    ]
    figures = [
        Column("mentions", _("Mentions"), "number"),
        Column("baseline", _("Usual"), "hours"),
        Column("growth", _("Growth"), "ratio"),
    ]
    return [
        Section(
            "hot_topics",
            str(SECTION_TITLES["hot_topics"]),
            [
                Column("code", _("Case"), "case"),
                Column("title", _("Title")),
                Column("unit", _("Responsible unit")),
                *figures,
                *[
                    Column(f"channel_{c}", str(CHANNEL_LABELS[c]), "number", document=False)
                    for c in CHANNEL_LABELS
                ],
            ],
            rows,
            chart=chart,
            note=baseline_note,
            empty=_("No case rose in this period."),
        ),
        Section(
            "hot_keywords",
            str(SECTION_TITLES["hot_keywords"]),
            [Column("keyword", _("Keyword")), Column("related", _("Related words")), *figures],
            keywords,
            empty=_("No keyword rose in this period."),
        ),
    ]


def _new_by_category(raw: dict) -> Section:
    rows = [
        {"category": label(CATEGORY_LABELS, row["category"]), "count": row["count"]}
        for row in raw.get("rows", [])
    ]
    chart = None
    if rows:
        chart = _bars(
            _("New cases by category"),
            [r["category"] for r in rows],
            {_("New cases"): [r["count"] for r in rows]},
        )
    return Section(
        "new_by_category",
        str(SECTION_TITLES["new_by_category"]),
        [Column("category", _("Category")), Column("count", _("New cases"), "number")],
        rows,
        chart=chart,
        empty=_("No new case in this period."),
    )


def _new_by_ward(raw: dict) -> Section:
    rows = [
        {
            "ward": _unit(row["ward"]) if row["ward"] else _("Ward unknown"),
            "code": row["ward"]["code"] if row["ward"] else "",
            "count": row["count"],
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "new_by_ward",
        str(SECTION_TITLES["new_by_ward"]),
        [
            Column("ward", _("Ward")),
            Column("code", _("Official code")),
            Column("count", _("New cases"), "number"),
        ],
        rows,
        empty=_("No new case in this period."),
    )


def _sla_breaches(raw: dict) -> Section:
    rows = [
        {
            **_case_cells(row["case"]),
            "metric": label(METRIC_LABELS, row["metric"]),
            "due_at": _dt(row["due_at"]),
            "breached_at": _dt(row["breached_at"]),
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "sla_breaches",
        str(SECTION_TITLES["sla_breaches"]),
        _case_columns(
            Column("metric", _("Stage")),
            Column("due_at", _("Due"), "datetime"),
            Column("breached_at", _("Noticed"), "datetime"),
        ),
        rows,
        note=_more_note(len(rows), raw.get("total", 0)),
        empty=_("No deadline was missed in this period."),
    )


def _responses(raw: dict) -> Section:
    rows = [
        {
            **_case_cells(row["case"]),
            "responded_at": _dt(row["responded_at"]),
            "hours": row["hours_since_opened"],
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "responses",
        str(SECTION_TITLES["responses"]),
        _case_columns(
            Column("responded_at", _("Published"), "datetime"),
            Column("hours", _("Hours since opened"), "hours"),
            with_category=True,
        ),
        rows,
        note=_more_note(len(rows), raw.get("total", 0)),
        empty=_("No public response was published in this period."),
    )


def _overdue(raw: dict) -> Section:
    rows = [
        {
            **_case_cells(row["case"]),
            "metric": label(METRIC_LABELS, row["metric"]),
            "due_at": _dt(row["due_at"]),
            "hours": row["overdue_hours"],
        }
        for row in raw.get("rows", [])
    ]
    by_unit = raw.get("by_unit", [])
    chart = None
    if by_unit:
        top = by_unit[:10]
        chart = _bars(
            _("Overdue deadlines by unit"),
            [_short(_unit(r["unit"]), 48) for r in top],
            {_("Overdue"): [r["count"] for r in top]},
        )
    as_of = _dt(raw.get("as_of"))
    notes = [_("As of %(time)s.", time=formatting.datetime_local(as_of))] if as_of else []
    more = _more_note(len(rows), raw.get("total", 0))
    if more:
        notes.append(more)
    return Section(
        "overdue",
        str(SECTION_TITLES["overdue"]),
        _case_columns(
            Column("metric", _("Stage")),
            Column("due_at", _("Due"), "datetime"),
            Column("hours", _("Hours overdue"), "hours"),
        ),
        rows,
        chart=chart,
        note=" ".join(notes) or None,
        empty=_("Nothing is overdue."),
    )


def _mentions_over_time(raw: dict) -> Section:
    labels = raw.get("labels", [])
    series = raw.get("series", {})
    rows = []
    for i, day in enumerate(labels):
        row = {"day": _day(day)}
        for channel in CHANNEL_LABELS:
            row[channel] = series.get(channel, [0] * len(labels))[i]
        row["total"] = sum(row[c] for c in CHANNEL_LABELS)
        rows.append(row)
    chart = None
    if any(row["total"] for row in rows):
        chart = charts.line_chart(
            str(SECTION_TITLES["mentions_over_time"]),
            [row["day"] for row in rows],
            {str(CHANNEL_LABELS[c]): [r[c] for r in rows] for c in CHANNEL_LABELS},
            **_counts([r[c] for r in rows for c in CHANNEL_LABELS]),
        )
    day_label = {"hour": _("Hour"), "day": _("Day"), "week": _("Week starting")}.get(
        raw.get("granularity"), _("Period")
    )
    return Section(
        "mentions_over_time",
        str(SECTION_TITLES["mentions_over_time"]),
        [
            Column("day", day_label),
            *[Column(c, str(CHANNEL_LABELS[c]), "number") for c in CHANNEL_LABELS],
            Column("total", _("Total"), "number"),
        ],
        rows if chart is not None else [],
        chart=chart,
        empty=_("No mention in this period."),
        hide_zero="total",
    )


def _channel_spread(raw: dict) -> Section:
    rows = [
        {
            "channel": label(CHANNEL_LABELS, row["channel"]),
            "mentions": row["mentions"],
            "first_seen_at": _dt(row["first_seen_at"]),
            "lag_hours": row.get("lag_hours"),
            "reach": row["reach"],
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "channel_spread",
        str(SECTION_TITLES["channel_spread"]),
        [
            Column("channel", _("Channel")),
            Column("mentions", _("Mentions"), "number"),
            Column("first_seen_at", _("First seen"), "datetime"),
            Column("lag_hours", _("Hours after the first channel"), "hours"),
            Column("reach", _("Reach"), "number"),
        ],
        rows,
        note=_(
            "Reach of a post: its views when the source reports them, otherwise its likes, "
            "shares and comments."
        ),
    )


def _topic_cases(raw: dict) -> Section:
    rows = [
        {
            **_case_cells(row["case"]),
            "mentions": row["mentions"],
            "opened_at": _dt(row["opened_at"]),
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "topic_cases",
        str(SECTION_TITLES["topic_cases"]),
        _case_columns(
            Column("mentions", _("Mentions"), "number"),
            Column("opened_at", _("Opened"), "datetime"),
            with_category=True,
        ),
        rows,
        note=_more_note(len(rows), raw.get("total", 0)),
        empty=_("No case on this topic."),
    )


def _articles(raw: dict) -> Section:
    rows = [
        {
            "title": a["title"],
            "_url": web_link(a.get("url")),
            "source": a["source"],
            "posted_at": _dt(a["posted_at"]),
            "url": a.get("url") or "",
        }
        for a in raw.get("rows", [])
    ]
    return Section(
        "articles",
        str(SECTION_TITLES["articles"]),
        [
            Column("title", _("Article"), "link"),
            Column("source", _("Newspaper")),
            Column("posted_at", _("Published"), "datetime"),
            Column("url", _("Address"), "url", document=False),
        ],
        rows,
        note=_more_note(len(rows), raw.get("total", 0)),
        empty=_("No press article."),
    )


def _case_details(raw: dict) -> Section:
    case = raw["case"]
    cells = _case_cells(case)
    pairs = [
        (_("Case"), case["code"]),
        (_("Title"), case["title"]),
        (_("Status"), cells["status"]),
        (_("Category"), cells["category"]),
        (_("Priority"), label(PRIORITY_LABELS, case["priority"])),
        (_("Responsible unit"), cells["unit"]),
        (_("Ward"), cells["ward"]),
        (_("Source"), label(SOURCE_LABELS, (case.get("source") or "").split(":")[0] or None)),
        (_("Mentions"), case.get("mention_count")),
        (_("Opened"), _dt(case.get("created_at"))),
        (_("First seen"), _dt(case.get("first_seen_at"))),
    ]
    if case.get("reject_reason"):
        pairs.append((_("Reason"), label(REJECT_REASON_LABELS, case["reject_reason"])))
    if case.get("public_response"):
        pairs.append((_("Public response"), case["public_response"]))
        pairs.append((_("Published"), _dt(case.get("public_response_at"))))
    return Section(
        "case_details",
        str(SECTION_TITLES["case_details"]),
        [Column("label", _("Field")), Column("value", _("Value"))],
        [{"label": str(name), "value": value} for name, value in pairs],
        layout="pairs",
    )


def _case_timeline(raw: dict) -> Section:
    rows = []
    for row in raw.get("rows", []):
        if row["kind"] == "status_changed":
            what = f"{label(STATUS_LABELS, row['from'])} → {label(STATUS_LABELS, row['to'])}"
        elif row["kind"] == "sla_breached":
            what = label(METRIC_LABELS, row["to"])
        elif row["kind"] == "created":
            what = label(STATUS_LABELS, row["to"])
        else:
            what = row.get("text") or ""
        rows.append({"at": _dt(row["at"]), "event": label(EVENT_LABELS, row["kind"]), "what": what})
    return Section(
        "case_timeline",
        str(SECTION_TITLES["case_timeline"]),
        [
            Column("at", _("Time"), "datetime"),
            Column("event", _("Event")),
            Column("what", _("Details")),
        ],
        rows,
    )


def _sla_clocks(raw: dict) -> Section:
    rows = [
        {
            "metric": label(METRIC_LABELS, row["metric"]),
            "cycle": row["cycle"],
            "state": label(CLOCK_STATE_LABELS, row["state"]),
            "started_at": _dt(row["started_at"]),
            "due_at": _dt(row["due_at"]),
            "stopped_at": _dt(row["stopped_at"]),
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "sla_clocks",
        str(SECTION_TITLES["sla_clocks"]),
        [
            Column("metric", _("Stage")),
            Column("cycle", _("Cycle"), "number"),
            Column("state", _("State")),
            Column("started_at", _("Started"), "datetime"),
            Column("due_at", _("Due"), "datetime"),
            Column("stopped_at", _("Stopped"), "datetime"),
        ],
        rows,
        empty=_("No deadline applies to this case."),
    )


_BUILDERS = {
    "summary": _summary,
    "press_topics": _press_topics,
    "press_sources": _press_sources,
    "hot_topics": _hot_topics,
    "new_by_category": _new_by_category,
    "new_by_ward": _new_by_ward,
    "sla_breaches": _sla_breaches,
    "responses": _responses,
    "overdue": _overdue,
    "mentions_over_time": _mentions_over_time,
    "channel_spread": _channel_spread,
    "topic_cases": _topic_cases,
    "articles": _articles,
    "case_details": _case_details,
    "case_timeline": _case_timeline,
    "sla_clocks": _sla_clocks,
}


# --- cells ----------------------------------------------------------------------------------


def cell_text(value, kind: str = "text") -> str:
    """A cell as text in the current language."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return formatting.datetime_local(value)
    if isinstance(value, date):
        return formatting.date_local(value)
    if kind == "hours" and isinstance(value, int | float):
        return formatting.number(value, 1, minimum=1)
    if kind == "ratio" and isinstance(value, int | float):
        return "×" + formatting.number(value, 1, minimum=1)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return formatting.number(value)
    return str(value)


def _day(label: str):
    """A period label: an ISO day becomes a date (shown the local way), an hour stays text."""
    try:
        return date.fromisoformat(label)
    except (TypeError, ValueError):
        return label


def _case_href(in_app: bool):
    base = current_app.config.get("APP_BASE_URL", "").rstrip("/")

    def href(case_id: int | None) -> str | None:
        if case_id is None:
            return None
        if in_app:
            return url_for("cases.detail", case_id=case_id)
        return f"{base}/cases/{case_id}" if base else None

    return href


# --- outputs --------------------------------------------------------------------------------


def html(report: Report, locale: str | None = None, *, in_app: bool = False) -> str:
    """The report as a whole HTML document for print (and the PDF)."""
    with report_locale(locale):
        return render_template(
            "stats/report_print.html",
            view=view(report),
            cell=cell_text,
            case_href=_case_href(in_app),
            in_app=in_app,
        )


def page_context(report: Report) -> dict:
    """What stats/report_document.html needs inside an app page, in the request's language."""
    return {
        "view": view(report),
        "cell": cell_text,
        "case_href": _case_href(True),
        "in_app": True,
    }


def pdf(report: Report, locale: str | None = None) -> bytes:
    from weasyprint import CSS, HTML

    document = html(report, locale)
    # The charts' styles live in a stylesheet (pages allow no inline style); give it to the PDF too.
    chart_styles = CSS(string=charts.stylesheet(), url_fetcher=offline_fetcher())
    return HTML(string=document, url_fetcher=offline_fetcher(), base_url=None).write_pdf(
        stylesheets=[chart_styles]
    )


def offline_fetcher():
    """WeasyPrint's fetcher, allowed to read inline data: URIs only: nothing leaves the machine."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def xlsx(report: Report, locale: str | None = None) -> bytes:
    """One sheet for the report's facts, then one per section."""
    with report_locale(locale):
        current = view(report)
        about = [
            {"label": _("Report"), "value": current.title},
            {"label": _("Period start"), "value": current.period_start},
            {"label": _("Period end"), "value": current.period_end},
            {"label": _("Made on"), "value": current.generated_at},
        ]
        sheets = [(_("Report"), [("label", _("Field")), ("value", _("Value"))], about)]
        for section in current.sections:
            columns = [(c.key, c.label) for c in section.columns]
            sheets.append((section.title, columns, section.rows))
        return xlsx_bytes(sheets)


def filename(report: Report, fmt: str, locale: str | None = None) -> str:
    day = report.period_end.strftime("%Y-%m-%d")
    suffix = f"-{locale}" if locale else ""
    return f"socialbeat-{report.kind.replace('_', '-')}-{report.id}-{day}{suffix}.{fmt}"


def render(report: Report, fmt: str, locale: str | None = None) -> tuple[bytes, str]:
    """(body, mimetype) of the report as `fmt` (pdf or xlsx)."""
    if fmt == "pdf":
        return pdf(report, locale), PDF_MIMETYPE
    if fmt == "xlsx":
        return xlsx(report, locale), XLSX_MIMETYPE
    raise ValueError(f"unknown format {fmt!r}")
