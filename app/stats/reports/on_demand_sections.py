"""The sections of on-demand reports, rendered: mentions over time, press versus social media,
the cases and articles on a topic, and one case's details, timeline and deadlines. (A report
over a date range also has the evening report's sections.)"""

from datetime import date

from flask_babel import gettext as _

from app.cases.labels import (
    CLOCK_STATE_LABELS,
    EVENT_LABELS,
    METRIC_LABELS,
    PRIORITY_LABELS,
    REJECT_REASON_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    label,
)
from app.core.links import web_link
from app.core.vocabulary import CHANNELS
from app.stats import charts
from app.stats.reports.labels import SECTION_TITLES
from app.stats.reports.sections import (
    Column,
    Section,
    case_cells,
    case_columns,
    more_note,
    parse_time,
    whole_numbers,
)
from app.stats.trends.labels import CHANNEL_LABELS


def _mentions_over_time(raw: dict) -> Section:
    labels = raw.get("labels", [])
    series = raw.get("series", {})
    rows = []
    for i, day in enumerate(labels):
        row = {"day": _day(day)}
        for channel in CHANNELS:
            row[channel] = series.get(channel, [0] * len(labels))[i]
        row["total"] = sum(row[c] for c in CHANNELS)
        rows.append(row)
    chart = None
    if any(row["total"] for row in rows):
        chart = charts.line_chart(
            str(SECTION_TITLES["mentions_over_time"]),
            [row["day"] for row in rows],
            {str(CHANNEL_LABELS[c]): [r[c] for r in rows] for c in CHANNELS},
            **whole_numbers([r[c] for r in rows for c in CHANNELS]),
        )
    day_label = {"hour": _("Hour"), "day": _("Day"), "week": _("Week starting")}.get(
        raw.get("granularity"), _("Period")
    )
    return Section(
        "mentions_over_time",
        str(SECTION_TITLES["mentions_over_time"]),
        [
            Column("day", day_label),
            *[Column(c, str(CHANNEL_LABELS[c]), "number") for c in CHANNELS],
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
            "first_seen_at": parse_time(row["first_seen_at"]),
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
            **case_cells(row["case"]),
            "mentions": row["mentions"],
            "opened_at": parse_time(row["opened_at"]),
        }
        for row in raw.get("rows", [])
    ]
    return Section(
        "topic_cases",
        str(SECTION_TITLES["topic_cases"]),
        case_columns(
            Column("mentions", _("Mentions"), "number"),
            Column("opened_at", _("Opened"), "datetime"),
            with_category=True,
        ),
        rows,
        note=more_note(len(rows), raw.get("total", 0)),
        empty=_("No case on this topic."),
    )


def _articles(raw: dict) -> Section:
    rows = [
        {
            "title": a["title"],
            "_url": web_link(a.get("url")),
            "source": a["source"],
            "posted_at": parse_time(a["posted_at"]),
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
        note=more_note(len(rows), raw.get("total", 0)),
        empty=_("No press article."),
    )


def _case_details(raw: dict) -> Section:
    case = raw["case"]
    cells = case_cells(case)
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
        (_("Opened"), parse_time(case.get("created_at"))),
        (_("First seen"), parse_time(case.get("first_seen_at"))),
    ]
    if case.get("reject_reason"):
        pairs.append((_("Reason"), label(REJECT_REASON_LABELS, case["reject_reason"])))
    if case.get("public_response"):
        pairs.append((_("Public response"), case["public_response"]))
        pairs.append((_("Published"), parse_time(case.get("public_response_at"))))
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
        rows.append(
            {"at": parse_time(row["at"]), "event": label(EVENT_LABELS, row["kind"]), "what": what}
        )
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
            "started_at": parse_time(row["started_at"]),
            "due_at": parse_time(row["due_at"]),
            "stopped_at": parse_time(row["stopped_at"]),
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


def _day(label: str):
    """A period label: an ISO day becomes a date (shown the local way), an hour stays text."""
    try:
        return date.fromisoformat(label)
    except (TypeError, ValueError):
        return label


BUILDERS = {
    "mentions_over_time": _mentions_over_time,
    "channel_spread": _channel_spread,
    "topic_cases": _topic_cases,
    "articles": _articles,
    "case_details": _case_details,
    "case_timeline": _case_timeline,
    "sla_clocks": _sla_clocks,
}
