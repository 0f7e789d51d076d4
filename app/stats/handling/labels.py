"""Translated labels of the handling-time and backlog pages: stages, groups, periods, bases,
and the names of the periods in the user's language."""

from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app.cases.models import Stage
from app.core import formatting

STAGE_LABELS = {
    Stage.verified.value: _l("Receipt → verified"),
    Stage.resolved.value: _l("Receipt → resolved"),
    Stage.responded.value: _l("Receipt → public response"),
}
GROUP_LABELS = {
    "unit": _l("Unit"),
    "category": _l("Category"),
    "source": _l("Source"),
    "ward": _l("Ward or commune"),
    "district": _l("Former district"),
    "period": _l("Period"),
}
PERIOD_LABELS = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}
BASIS_LABELS = {"working": _l("Working hours"), "calendar": _l("Calendar hours")}
#: The row of the cases without a ward or former district.
NO_VALUE = {
    "ward": _l("No ward"),
    "district": _l("No former district"),
}


def period_label(start: date, period: str) -> str:
    if period == "week":
        return str(_l("Week of %(date)s", date=formatting.date_local(start)))
    if period == "month":
        return format_date(start, "LLLL yyyy")
    return formatting.date_local(start)


def period_short_label(start: date, period: str) -> str:
    """A compact label for chart axes: 07/12 or 7 Dec; 12/2026 or Dec 2026 for a month."""
    return formatting.axis_label(start, "month" if period == "month" else "day")
