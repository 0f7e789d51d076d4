"""The map of cases by ward (/stats/map): bubbles drawn from each ward's coordinates, no tiles."""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.cases.labels import CATEGORY_LABELS
from app.cases.models import CATEGORIES
from app.stats import charts, export, geography, handling
from app.stats.handling import StatsError
from app.stats.handling_views import (
    _errors_text,
    _locale,
    _paginate,
    _require_role,
    _unit_choices,
    _url_with,
)
from app.stats.views import bp


def map_columns() -> list[tuple[str, str]]:
    return [("code", _("Ward code")), ("name", _("Ward")), ("count", _("Cases"))]


@bp.get("/map")
@login_required
def case_map():
    _require_role()
    errors = {}
    which = request.args.get("which") or "open"
    if which not in geography.WHICH:
        errors["which"] = _("must be one of: %(choices)s", choices=", ".join(geography.WHICH))
        which = "open"
    try:
        scope = handling.parse_scope(request.args)
    except StatsError as error:
        errors.update(_errors_text(error))
        scope = handling.parse_scope({})
    rows = geography.cases_by_ward(current_user, scope, which, _locale())
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
