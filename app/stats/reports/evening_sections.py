"""The evening report's sections, rendered: hot topics and rising keywords, new cases by
category and by ward, deadlines missed, public responses, and what is still overdue."""

from flask_babel import gettext as _

from app.cases.labels import CATEGORY_LABELS, METRIC_LABELS, label
from app.core import formatting
from app.core.vocabulary import CHANNELS
from app.stats.reports.labels import SECTION_TITLES
from app.stats.reports.sections import (
    Column,
    Section,
    bars,
    case_cells,
    case_columns,
    more_note,
    parse_time,
    shorten,
    unit_name,
)
from app.stats.trends.labels import CHANNEL_LABELS


def _hot_topics(raw: dict) -> list[Section]:
    """Two sections: the rising cases (with a chart) and the rising keywords."""
    rows = []
    for topic in raw.get("cases", []):
        channels = topic.get("channels", {})
        rows.append(
            {
                **case_cells(topic["case"]),
                "mentions": topic["mentions"],
                "baseline": topic["baseline"],
                "growth": topic["growth"],
                **{f"channel_{c}": channels.get(c, 0) for c in CHANNELS},
            }
        )
    chart = None
    if rows:
        chart = bars(
            _("Mentions of the hot topics"),
            [shorten(f"{r['code']} · {r['title']}", 48) for r in rows],
            {str(CHANNEL_LABELS[c]): [r[f"channel_{c}"] for r in rows] for c in CHANNELS},
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
                    for c in CHANNELS
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
        chart = bars(
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
            "ward": unit_name(row["ward"]) if row["ward"] else _("Ward unknown"),
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
            **case_cells(row["case"]),
            "metric": label(METRIC_LABELS, row["metric"]),
            "due_at": parse_time(row["due_at"]),
            "breached_at": parse_time(row["breached_at"]),
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "sla_breaches",
        str(SECTION_TITLES["sla_breaches"]),
        case_columns(
            Column("metric", _("Stage")),
            Column("due_at", _("Due"), "datetime"),
            Column("breached_at", _("Noticed"), "datetime"),
        ),
        rows,
        note=more_note(len(rows), raw.get("total", 0)),
        empty=_("No deadline was missed in this period."),
    )


def _responses(raw: dict) -> Section:
    rows = [
        {
            **case_cells(row["case"]),
            "responded_at": parse_time(row["responded_at"]),
            "hours": row["hours_since_opened"],
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "responses",
        str(SECTION_TITLES["responses"]),
        case_columns(
            Column("responded_at", _("Published"), "datetime"),
            Column("hours", _("Hours since opened"), "hours"),
            with_category=True,
        ),
        rows,
        note=more_note(len(rows), raw.get("total", 0)),
        empty=_("No public response was published in this period."),
    )


def _overdue(raw: dict) -> Section:
    rows = [
        {
            **case_cells(row["case"]),
            "metric": label(METRIC_LABELS, row["metric"]),
            "due_at": parse_time(row["due_at"]),
            "hours": row["overdue_hours"],
        }
        for row in raw.get("rows", [])
    ]
    by_unit = raw.get("by_unit", [])
    chart = None
    if by_unit:
        top = by_unit[:10]
        chart = bars(
            _("Overdue deadlines by unit"),
            [shorten(unit_name(r["unit"]), 48) for r in top],
            {_("Overdue"): [r["count"] for r in top]},
        )
    as_of = parse_time(raw.get("as_of"))
    notes = [_("As of %(time)s.", time=formatting.datetime_local(as_of))] if as_of else []
    more = more_note(len(rows), raw.get("total", 0))
    if more:
        notes.append(more)
    return Section(
        "overdue",
        str(SECTION_TITLES["overdue"]),
        case_columns(
            Column("metric", _("Stage")),
            Column("due_at", _("Due"), "datetime"),
            Column("hours", _("Hours overdue"), "hours"),
        ),
        rows,
        chart=chart,
        note=" ".join(notes) or None,
        empty=_("Nothing is overdue."),
    )


BUILDERS = {
    "hot_topics": _hot_topics,
    "new_by_category": _new_by_category,
    "new_by_ward": _new_by_ward,
    "sla_breaches": _sla_breaches,
    "responses": _responses,
    "overdue": _overdue,
}
