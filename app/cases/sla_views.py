"""The SLA dashboard and the countdown helpers the queue and case pages use."""

from datetime import datetime

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.cases import clocks, dashboard, labels
from app.cases.sla_models import METRICS
from app.cases.views import bp
from app.models import utcnow

#: Roles that see the dashboard (officers see the countdowns in their queue).
DASHBOARD_ROLES = ("supervisor", "admin", "analyst")
#: A shape per level, so the countdown does not rely on colour alone.
LEVEL_SYMBOLS = {"ok": "●", "risk": "▲", "late": "■", "paused": "Ⅱ", "met": "✓", "cancelled": "–"}


def format_duration(seconds: int) -> str:
    """Whole hours and minutes of (working) time: "37 h 05 min", "12 min"."""
    minutes = abs(int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min", hours=hours, minutes=minutes)
    return _("%(minutes)d min", minutes=minutes)


def countdown_text(view: clocks.ClockView) -> str:
    """What a countdown says, in words: the colour only repeats it."""
    time = format_duration(view.remaining_seconds)
    if view.stopped_at is not None:
        return {
            "met": _("Met"),
            "breached": _("Finished late"),
        }.get(view.state, _("Not needed"))
    if view.level == "late":
        if view.remaining_seconds < 0:
            return _("Overdue by %(time)s", time=time)
        return _("Overdue")
    if view.level == "paused":
        return _("Paused, %(time)s left", time=time)
    if view.level == "risk":
        return _("At risk, %(time)s left", time=time)
    return _("%(time)s left", time=time)


@bp.app_context_processor
def sla_helpers():
    return {
        "sla_next": clocks.next_view,
        "sla_views": clocks.case_views,
        "sla_text": countdown_text,
        "sla_symbol": lambda view: LEVEL_SYMBOLS.get(view.level, ""),
        "sla_duration": format_duration,
    }


@bp.get("/sla")
@login_required
def sla_dashboard():
    if current_user.role not in DASHBOARD_ROLES:
        abort(403)
    now = utcnow()
    period = request.args.get("period", 30, type=int)
    period = period if period in dashboard.PERIODS else 30
    metric = request.args.get("metric") if request.args.get("metric") in METRICS else None
    buckets = dashboard.period_buckets(now, period)
    since, until = buckets[0][0], buckets[-1][1]
    at_risk, breached = dashboard.attention(current_user, now)
    return render_template(
        "cases/sla_dashboard.html",
        now=now,
        period=period,
        periods=dashboard.PERIODS,
        metric=metric,
        metrics=METRICS,
        since=since,
        until=_last_moment(until),
        at_risk=at_risk,
        breached=breached,
        by_unit=dashboard.on_time_by_unit(
            current_user, since, until, metric, str(get_locale() or "vi")
        ),
        by_category=dashboard.on_time_by_category(
            current_user, since, until, metric, labels.CATEGORY_LABELS
        ),
        by_period=dashboard.on_time_by_period(current_user, now, period, metric),
        backlog=dashboard.backlog(current_user, now),
        priorities=list(dashboard.PRIORITIES),
    )


def _last_moment(until: datetime) -> datetime:
    from datetime import timedelta

    return until - timedelta(seconds=1)
