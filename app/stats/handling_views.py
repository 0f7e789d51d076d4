"""Pages on the stats blueprint (see views.py): handling time, and backlog with volumes.

Thin: read the GET form (the filters stay in the URL), call handling.py, draw the charts,
or hand the whole table over as CSV/XLSX with ?format=csv|xlsx.
"""

from flask import abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.cases.labels import CATEGORY_LABELS
from app.cases.models import CATEGORIES
from app.cases.permissions import visible_unit_ids
from app.core import formatting
from app.extensions import db
from app.stats import charts, export, handling
from app.stats.handling import StatsError
from app.stats.views import bp
from app.units.models import Unit

#: Everyone who works cases sees the figures of the units they may see.
STATS_ROLES = ("officer", "supervisor", "analyst", "admin")
PER_PAGE = 25
#: The most groups a chart draws (the table has them all).
CHART_GROUPS = 15
HANDLING_SORTS = (
    "label",
    "count",
    "working_median",
    "working_p90",
    "working_mean",
    "calendar_median",
    "calendar_p90",
    "calendar_mean",
    "within_sla",
)


def _require_role() -> None:
    if current_user.role not in STATS_ROLES:
        abort(403)


def _locale() -> str:
    return str(get_locale() or "vi")


def _unit_choices() -> list[Unit]:
    """The units a user may filter by: the ones whose figures they see."""
    scope = visible_unit_ids(current_user)
    statement = select(Unit).order_by(Unit.kind, Unit.sort_order, Unit.name_vi)
    if scope is not None:
        statement = statement.where(Unit.id.in_(sorted(scope)))
    return list(db.session.scalars(statement))


def _url_with(**changes) -> str:
    """This page's URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **args)


def _errors_text(error: StatsError) -> dict[str, str]:
    return {name: "; ".join(str(m) for m in messages) for name, messages in error.errors.items()}


def _paginate(rows: list, page: int) -> tuple[list, int, int]:
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(page, 1), pages)
    return rows[(page - 1) * PER_PAGE : page * PER_PAGE], page, pages


# -- handling time --------------------------------------------------------------------


def handling_columns() -> list[tuple[str, str]]:
    """The columns of the handling-time table and its downloads."""
    return [
        ("label", _("Group")),
        ("key", _("Code")),
        ("count", _("Cases")),
        ("working_median_hours", _("Median, working hours")),
        ("working_p90_hours", _("P90, working hours")),
        ("working_mean_hours", _("Mean, working hours")),
        ("calendar_median_hours", _("Median, calendar hours")),
        ("calendar_p90_hours", _("P90, calendar hours")),
        ("calendar_mean_hours", _("Mean, calendar hours")),
        ("within_sla_pct", _("On time (%)")),
        ("on_time_count", _("On time")),
        ("sla_measured_count", _("With an SLA deadline")),
    ]


def _sort_rows(rows, sort: str, by_period: bool):
    """Sort by a column (see HANDLING_SORTS; "-" first for descending); None values last."""
    name = sort.lstrip("-")
    if name not in HANDLING_SORTS:
        return rows if by_period else sorted(rows, key=lambda row: (-row.count, row.label))

    def value(row):
        if name == "label":
            return row.key if by_period else row.label.lower()
        if name == "count":
            return row.count
        if name == "within_sla":
            return row.within_sla_pct
        basis, figure = name.split("_")
        return getattr(getattr(row, basis), figure)

    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    return sorted(present, key=value, reverse=sort.startswith("-")) + missing


def _handling_chart(result, basis: str):
    query = result.query
    series_names = (_("Median"), _("P90"))
    title = _(
        "%(stage)s, %(basis)s",
        stage=handling.STAGE_LABELS[query.stage],
        basis=str(handling.BASIS_LABELS[basis]).lower(),
    )

    def hours_of(row):
        values = row.hours(basis)
        return values["median_hours"], values["p90_hours"]

    if query.group_by == "period":
        labels = [handling.period_short_label(row.key, query.period) for row in result.rows]
        figures = [hours_of(row) for row in result.rows]
        return charts.line_chart(
            title,
            labels,
            {series_names[0]: [f[0] for f in figures], series_names[1]: [f[1] for f in figures]},
            y_title=_("Hours"),
        )
    # Horizontal bars are drawn from the bottom up: the largest group goes last, on top.
    top = sorted(result.rows, key=lambda row: -row.count)[:CHART_GROUPS][::-1]
    figures = [hours_of(row) for row in top]
    return charts.bar_chart(
        title,
        [row.label for row in top],
        {series_names[0]: [f[0] for f in figures], series_names[1]: [f[1] for f in figures]},
        horizontal=True,
        height=max(260, 60 + 34 * len(top)),
    )


@bp.get("/handling-time")
@login_required
def handling_time():
    _require_role()
    basis = request.args.get("hours") if request.args.get("hours") in handling.BASES else "working"
    errors, status = {}, 200
    try:
        query = handling.parse_handling(request.args)
    except StatsError as error:
        errors, status = _errors_text(error), 400
        query = handling.parse_handling({})
    result = handling.handling_time(current_user, query, _locale())
    by_period = query.group_by == "period"
    sort = request.args.get("sort") or ("label" if by_period else "-count")
    rows = _sort_rows(result.rows, sort, by_period)
    fmt = request.args.get("format")
    if fmt:
        filename = f"handling-time-{query.stage}-by-{query.group_by}-{query.scope.first_day}-{query.scope.last_day}"
        table = [row.flat() for row in rows] + [result.total.flat()]
        for line in table:
            if hasattr(line["key"], "isoformat"):
                line["key"] = line["key"].isoformat()
        return export.table_response(handling_columns(), table, filename, fmt)
    shown, page, pages = _paginate(rows, request.args.get("page", 1, type=int))
    return (
        render_template(
            "stats/handling_time.html",
            query=query,
            result=result,
            first_text=formatting.date_local(query.scope.first_day),
            last_text=formatting.date_local(query.scope.last_day),
            rows=shown,
            page=page,
            pages=pages,
            sort=sort,
            basis=basis,
            errors=errors,
            chart=_handling_chart(result, basis) if result.total.count else None,
            units=_unit_choices(),
            categories=CATEGORIES,
            category_labels=CATEGORY_LABELS,
            stage_labels=handling.STAGE_LABELS,
            group_labels=handling.GROUP_LABELS,
            period_labels=handling.PERIOD_LABELS,
            basis_labels=handling.BASIS_LABELS,
            url_with=_url_with,
        ),
        status,
    )


# -- backlog and volumes --------------------------------------------------------------


def backlog_columns(buckets: list[dict]) -> list[tuple[str, str]]:
    return [
        ("label", _("Group")),
        ("key", _("Code")),
        *[(bucket["key"], bucket["label"]) for bucket in buckets],
        ("total", _("Total")),
    ]


def volume_columns() -> list[tuple[str, str]]:
    return [
        ("label", _("Period")),
        ("key", _("Start")),
        ("opened", _("Cases opened")),
        ("resolved", _("Cases resolved")),
    ]


@bp.get("/backlog")
@login_required
def backlog():
    _require_role()
    errors, status = {}, 200
    period = request.args.get("period") or "day"
    try:
        group_by, _scope = handling.parse_backlog(request.args)
    except StatsError as error:
        errors.update(_errors_text(error))
        group_by = "unit"
    if period not in handling.VOLUME_PERIODS:
        errors["period"] = _("must be one of: %(choices)s", choices="day, week")
        period = "day"
    try:
        scope = handling.parse_scope(request.args)
    except StatsError as error:
        errors.update(_errors_text(error))
        scope = handling.parse_scope({})
    if errors:
        status = 400
    result = handling.backlog(
        current_user, group_by, unit=scope.unit, category=scope.category, locale=_locale()
    )
    volumes = handling.volumes(current_user, scope, period, _locale())
    fmt = request.args.get("format")
    if fmt:
        if request.args.get("table") == "volumes":
            table = [row.as_dict() for row in volumes]
            name = f"volumes-by-{period}-{scope.first_day}-{scope.last_day}"
            return export.table_response(volume_columns(), table, name, fmt)
        table = [row.flat() for row in result.rows] + [result.total.flat()]
        return export.table_response(
            backlog_columns(result.buckets), table, f"backlog-by-{group_by}", fmt
        )
    shown, page, pages = _paginate(result.rows, request.args.get("page", 1, type=int))
    top = result.rows[:CHART_GROUPS][::-1]
    backlog_chart = (
        charts.bar_chart(
            _("Open cases by age"),
            [row.label for row in top],
            {
                bucket["label"]: [row.counts[i] for row in top]
                for i, bucket in enumerate(result.buckets)
            },
            horizontal=True,
            stacked=True,
            height=max(260, 90 + 34 * len(top)),
        )
        if top
        else None
    )
    volume_chart = charts.line_chart(
        _("Cases opened and resolved"),
        [handling.period_short_label(row.key, period) for row in volumes],
        {
            _("Cases opened"): [row.opened for row in volumes],
            _("Cases resolved"): [row.resolved for row in volumes],
        },
        y_title=_("Cases"),
    )
    return (
        render_template(
            "stats/backlog.html",
            result=result,
            rows=shown,
            page=page,
            pages=pages,
            group_by=group_by,
            period=period,
            scope=scope,
            volumes=volumes,
            errors=errors,
            backlog_chart=backlog_chart,
            volume_chart=volume_chart,
            units=_unit_choices(),
            categories=CATEGORIES,
            category_labels=CATEGORY_LABELS,
            period_labels=handling.PERIOD_LABELS,
            url_with=_url_with,
        ),
        status,
    )
