"""Pages: the trends dashboard (/stats/trends) and press versus social (/stats/spread).

Filters live in the URL (GET forms); every table downloads as CSV or XLSX with
?format=csv|xlsx&table=NAME, and ?format=xlsx alone gives all tables of the page in one workbook.
"""

from datetime import date, datetime, timedelta

from flask import Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from app.cases import permissions
from app.cases.labels import CATEGORY_LABELS, STATUS_LABELS
from app.cases.models import Case
from app.core import formatting
from app.core.links import carried_query, web_link
from app.core.time import HCMC
from app.extensions import db
from app.models import utcnow
from app.stats import charts, export
from app.stats.trends import hot_topics, maths, queries, schemas, spikes, spread
from app.stats.trends.access import TREND_ROLES
from app.stats.trends.labels import CHANNEL_LABELS, SENTIMENT_LABELS, dimension_label, spike_label
from app.stats.views import bp

HOT_LIMIT = 20
#: Hot keywords are recomputed at most this often.
CACHE_SECONDS = 300


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _local_date(moment: datetime) -> str:
    return moment.astimezone(HCMC).date().isoformat()


def _period_start(period: dict) -> date | datetime:
    """A chart period as a local day (its label is an ISO day) or, for hours, its UTC start."""
    try:
        return date.fromisoformat(period["label"])
    except ValueError:
        return _dt(period["start"])


def _axis(periods: list[dict]) -> list[str]:
    """Chart-axis labels in the user's language ("04/12", "4 Dec"), not ISO days."""
    return [
        formatting.axis_label(start, "hour" if isinstance(start, datetime) else "day")
        for start in map(_period_start, periods)
    ]


def _filter_args() -> dict:
    """The page's filters from the URL, without the export switches."""
    args = carried_query(request.args)
    return {k: v for k, v in args.items() if k not in ("format", "table") and v}


def _export_urls(endpoint: str, table: str) -> dict:
    args = _filter_args()
    return {fmt: url_for(endpoint, **args, format=fmt, table=table) for fmt in export.FORMATS}


def _export(tables: dict, filename: str):
    """The download asked for by ?format= and ?table=, or None when none was asked."""
    fmt = request.args.get("format")
    if not fmt:
        return None
    name = request.args.get("table")
    if name:
        if name not in tables:
            abort(400, description=f"table must be one of: {', '.join(tables)}")
        title, columns, rows = tables[name]
        return export.table_response(columns, rows, f"{filename}-{name}", fmt)
    if fmt != "xlsx":
        abort(400, description="name a table (?table=) to download CSV")
    body = export.xlsx_bytes([tables[key] for key in tables])
    return Response(
        body,
        mimetype=export.XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )


# -- the trends dashboard ---------------------------------------------------------------


def _trend_tables(hot: dict, spikes: list, sentiment: dict, volume: dict) -> dict:
    channel = CHANNEL_LABELS
    feeling = SENTIMENT_LABELS
    hot_cases = [
        {
            **row,
            "category_label": str(CATEGORY_LABELS.get(row["category"], row["category"])),
            "status_label": str(STATUS_LABELS.get(row["status"], row["status"])),
        }
        for row in hot["cases"]
    ]
    spike_rows = [
        {
            **row,
            "window_end": _dt(row["window_end"]),
            "dimension_label": dimension_label(row["dimension"]),
            "name": spike_label(row["dimension"], row["key"], row["label"]),
        }
        for row in spikes
    ]
    sentiment_rows = [
        {
            "label": _period_start(period),
            **period["counts"],
            "total": period["total"],
            **{f"{key}_share": period["shares"][key] for key in queries.SENTIMENTS},
        }
        for period in sentiment["periods"]
    ]
    volume_rows = [
        {"label": _period_start(period), **period["counts"], "total": period["total"]}
        for period in volume["periods"]
    ]
    return {
        "hot_cases": (
            _("Hot cases"),
            [
                ("code", _("Case")),
                ("title", _("Title")),
                ("category_label", _("Category")),
                ("status_label", _("Status")),
                ("volume", _("Mentions in the window")),
                ("baseline", _("Usual for the window")),
                ("growth", _("Growth (×)")),
                ("mention_count", _("Mentions in all")),
            ],
            hot_cases,
        ),
        "keywords": (
            _("Hot keywords"),
            [
                ("display", _("Keyword")),
                ("volume", _("Posts in the window")),
                ("baseline", _("Usual for the window")),
                ("growth", _("Growth (×)")),
                ("related_text", _("Related words")),
            ],
            [{**row, "related_text": ", ".join(row["related"])} for row in hot["keywords"]],
        ),
        "spikes": (
            _("Spike alerts"),
            [
                ("window_end", _("24 hours to")),
                ("dimension_label", _("Kind")),
                ("name", _("Name")),
                ("volume", _("Posts in 24 hours")),
                ("baseline_mean", _("Daily mean")),
                ("baseline_std", _("Standard deviation")),
                ("threshold", _("Threshold")),
            ],
            spike_rows,
        ),
        "sentiment": (
            _("Sentiment"),
            [("label", _("Day"))]
            + [(key, str(feeling[key])) for key in queries.SENTIMENTS]
            + [("total", _("Total"))]
            + [(f"{key}_share", f"{feeling[key]} (%)") for key in queries.SENTIMENTS],
            sentiment_rows,
        ),
        "volume": (
            _("Posts by channel"),
            [("label", _("Day"))]
            + [(key, str(channel[key])) for key in queries.CHANNELS]
            + [("total", _("Total"))],
            volume_rows,
        ),
    }


@bp.get("/trends")
@login_required
def trends_dashboard():
    if current_user.role not in TREND_ROLES:
        abort(403)
    now = utcnow()
    try:
        window = schemas.parse_window(request.args)
    except ValidationError:
        flash(_("The window was not understood; showing the last 24 hours."), "error")
        window = 24
    try:
        start, end = schemas.parse_range(request.args, now)
    except ValidationError:
        flash(_("The dates were not understood; showing the last 30 days."), "error")
        start, end = schemas.parse_range({}, now)
    hot = hot_topics.hot_topics(
        now,
        window,
        HOT_LIMIT,
        unit_ids=permissions.visible_unit_ids(current_user),
        cache_seconds=CACHE_SECONDS,
    )
    sentiment = queries.sentiment_share(start, end)
    volume = queries.volume_by_channel(start, end)
    tables = _trend_tables(hot, spikes.recent_spikes(start, end), sentiment, volume)
    download = _export(tables, "trends")
    if download is not None:
        return download
    labels = _axis(sentiment["periods"])
    sentiment_chart = charts.bar_chart(
        _("Sentiment share by day (%)"),
        labels,
        {
            str(SENTIMENT_LABELS[key]): [p["shares"][key] for p in sentiment["periods"]]
            for key in queries.SENTIMENTS
        },
        stacked=True,
        y_title="%",
        # Negative red, neutral grey, positive green, whatever the order.
        colours=queries.SENTIMENTS,
    )
    volume_chart = charts.line_chart(
        _("Posts by channel and day"),
        _axis(volume["periods"]),
        {
            str(CHANNEL_LABELS[key]): [p["counts"][key] for p in volume["periods"]]
            for key in queries.CHANNELS
        },
    )
    return render_template(
        "stats/trends.html",
        window=window,
        windows=maths.WINDOW_CHOICES,
        start=start,
        end=end,
        from_value=_local_date(start),
        to_value=_local_date(end - timedelta(microseconds=1)),
        hot=hot,
        window_start=_dt(hot["window_start"]),
        window_end=_dt(hot["window_end"]),
        tables=tables,
        export_urls={name: _export_urls("stats.trends_dashboard", name) for name in tables},
        workbook_url=url_for("stats.trends_dashboard", **_filter_args(), format="xlsx"),
        sentiment=sentiment,
        volume=volume,
        sentiment_chart=sentiment_chart,
        volume_chart=volume_chart,
    )


# -- press versus social ------------------------------------------------------------------


def _spread_tables(result: dict) -> dict:
    channel_rows = [
        {
            **row,
            "channel_label": str(CHANNEL_LABELS[row["channel"]]),
            "first_seen_at": _dt(row["first_seen_at"]),
            "first_url": web_link((row["first_post"] or {}).get("url")),
        }
        for row in result["channels"]
    ]
    volume_rows = [
        {
            "label": _period_start(bucket),
            **{key: result["series"][key][i] for key in queries.CHANNELS},
        }
        for i, bucket in enumerate(result["buckets"])
    ]
    period = _("Hour") if result["granularity"] == "hour" else _("Day")
    return {
        "channels": (
            _("By channel"),
            [
                ("channel_label", _("Channel")),
                ("posts", _("Posts")),
                ("first_seen_at", _("First seen")),
                ("lag_hours", _("Hours after the first channel")),
                ("likes", _("Likes")),
                ("shares", _("Shares")),
                ("comments", _("Comments")),
                ("views", _("Views")),
                ("reach", _("Reach")),
                ("first_url", _("First post")),
            ],
            channel_rows,
        ),
        "volume": (
            _("Posts over time"),
            [("label", period)] + [(key, str(CHANNEL_LABELS[key])) for key in queries.CHANNELS],
            volume_rows,
        ),
    }


@bp.get("/spread")
@login_required
def spread_page():
    code = (request.args.get("case") or "").strip()
    q = (request.args.get("q") or "").strip()
    case = None
    result = None
    error = None
    now = utcnow()
    start, end = now - timedelta(days=7), now
    if code:
        case = db.session.scalar(select(Case).where(Case.code == code.upper()))
        if case is None or not permissions.can_see(current_user, case):
            abort(404)
        result = spread.spread_for_case(case)
    else:
        if current_user.role not in TREND_ROLES:
            abort(403)
        try:
            start, end = schemas.parse_range(
                request.args, now, default_days=7, max_days=spread.MAX_TOPIC_DAYS
            )
        except ValidationError:
            error = _(
                "The dates were not understood, or the range is longer than %(days)d days.",
                days=spread.MAX_TOPIC_DAYS,
            )
        if q and error is None:
            if len(q) > spread.MAX_QUERY_LENGTH or not spread.topic_terms(q):
                error = _("Type a topic: a few words, or phrases separated by commas.")
            else:
                result = spread.spread_for_topic(q, start, end)
    tables = _spread_tables(result) if result else {}
    if result:
        download = _export(tables, f"spread-{case.code}" if case else "spread-topic")
        if download is not None:
            return download
    chart = None
    if result and result["buckets"]:
        chart = charts.line_chart(
            _("Posts by channel over time"),
            _axis(result["buckets"]),
            {str(CHANNEL_LABELS[key]): result["series"][key] for key in queries.CHANNELS},
        )
    reach_chart = None
    if result and result["total_reach"]:
        reach_chart = charts.pie_chart(
            _("Reach by channel"),
            {
                str(CHANNEL_LABELS[row["channel"]]): row["reach"]
                for row in result["channels"]
                if row["reach"]
            },
        )
    first = result["first_channel"] if result else None
    return render_template(
        "stats/spread.html",
        case=case,
        q=q,
        error=error,
        result=result,
        tables=tables,
        chart=chart,
        reach_chart=reach_chart,
        first_channel_label=CHANNEL_LABELS[first] if first else None,
        from_value=_local_date(start),
        to_value=_local_date(end - timedelta(microseconds=1)),
        export_urls={name: _export_urls("stats.spread_page", name) for name in tables},
        workbook_url=url_for("stats.spread_page", **_filter_args(), format="xlsx"),
        can_search_topics=current_user.role in TREND_ROLES,
    )
