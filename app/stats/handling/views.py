"""Pages on the stats blueprint (app/stats/views.py): handling time, backlog with volumes, and
the map of cases by ward.

Thin: read the GET form (the filters stay in the URL) with schemas.py, call queries.py and
geography.py, draw the charts, or hand the whole table over as CSV/XLSX with ?format=csv|xlsx.
A bad filter is shown next to its field, with the page for the defaults and status 400.
"""

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from app.cases.labels import CATEGORY_LABELS
from app.cases.permissions import visible_unit_ids
from app.core import formatting
from app.core.formatting import language
from app.core.links import carried_query
from app.core.vocabulary import CATEGORIES
from app.extensions import db
from app.stats import charts, export
from app.stats.handling import geography, queries, schemas
from app.stats.handling.labels import (
    BASIS_LABELS,
    GROUP_LABELS,
    PERIOD_LABELS,
    STAGE_LABELS,
    period_short_label,
)
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


def _unit_choices() -> list[Unit]:
    """The units a user may filter by: the ones whose figures they see."""
    scope = visible_unit_ids(current_user)
    statement = select(Unit).order_by(Unit.kind, Unit.sort_order, Unit.name_vi)
    if scope is not None:
        statement = statement.where(Unit.id.in_(sorted(scope)))
    return list(db.session.scalars(statement))


def _url_with(**changes) -> str:
    """This page's URL with some query arguments changed (None removes one)."""
    args = carried_query(request.args.to_dict())
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **args)


def _errors_text(error: ValidationError) -> dict[str, str]:
    """{parameter: its messages in the user's language} for the form."""
    return {name: "; ".join(str(m) for m in found) for name, found in error.messages.items()}


def _load(parse, args, errors: dict):
    """parse(args); when an argument is bad, its message goes to `errors` and the defaults
    are used instead."""
    try:
        return parse(args)
    except ValidationError as error:
        errors.update(_errors_text(error))
        return parse({})


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
        stage=STAGE_LABELS[query.stage],
        basis=str(BASIS_LABELS[basis]).lower(),
    )

    def hours_of(row):
        values = row.hours(basis)
        return values["median_hours"], values["p90_hours"]

    if query.group_by == "period":
        labels = [period_short_label(row.key, query.period) for row in result.rows]
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
    basis = request.args.get("hours") if request.args.get("hours") in queries.BASES else "working"
    errors: dict[str, str] = {}
    query = _load(schemas.parse_handling, request.args, errors)
    status = 400 if errors else 200
    result = queries.handling_time(current_user, query, language())
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
            stage_labels=STAGE_LABELS,
            group_labels=GROUP_LABELS,
            period_labels=PERIOD_LABELS,
            basis_labels=BASIS_LABELS,
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
    errors: dict[str, str] = {}
    group_by, _scope = _load(schemas.parse_backlog, request.args, errors)
    period = _load(schemas.parse_volume_period, request.args, errors)
    # The volumes' range and the filters of both tables.
    scope = _load(schemas.parse_scope, request.args, errors)
    status = 400 if errors else 200
    result = queries.backlog(
        current_user, group_by, unit=scope.unit, category=scope.category, locale=language()
    )
    volumes = queries.volumes(current_user, scope, period, language())
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
        [period_short_label(row.key, period) for row in volumes],
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
            period_labels=PERIOD_LABELS,
            url_with=_url_with,
        ),
        status,
    )


# -- the map of cases by ward ----------------------------------------------------------


def map_columns() -> list[tuple[str, str]]:
    return [("code", _("Ward code")), ("name", _("Ward")), ("count", _("Cases"))]


@bp.get("/map")
@login_required
def case_map():
    _require_role()
    errors: dict[str, str] = {}
    which = _load(schemas.parse_which, request.args, errors)
    scope = _load(schemas.parse_scope, request.args, errors)
    rows = geography.cases_by_ward(current_user, scope, which, language())
    fmt = request.args.get("format")
    if fmt:
        name = (
            "cases-by-ward-open"
            if which == "open"
            else f"cases-by-ward-{scope.first_day}-{scope.last_day}"
        )
        return export.table_response(map_columns(), [row.as_dict() for row in rows], name, fmt)
    title = _("Open cases by ward") if which == "open" else _("New cases by ward")
    points = [
        charts.WardPoint(
            row.name,
            row.latitude,
            row.longitude,
            row.count,
            url=url_for("cases.queue", ward=row.code),
        )
        for row in rows
        if row.latitude is not None and row.longitude is not None
    ]
    shown, page, pages = _paginate(rows, request.args.get("page", 1, type=int))
    return (
        render_template(
            "stats/map.html",
            title=title,
            ward_map=charts.ward_map(
                title, points, background=geography.ward_positions(), value_label=_("cases")
            ),
            rows=shown,
            total=sum(row.count for row in rows),
            ward_count=len(rows),
            page=page,
            pages=pages,
            which=which,
            scope=scope,
            errors=errors,
            units=_unit_choices(),
            categories=CATEGORIES,
            category_labels=CATEGORY_LABELS,
            url_with=_url_with,
        ),
        400 if errors else 200,
    )
