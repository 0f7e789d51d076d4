"""The SLA dashboard, and the countdown helpers (countdown.py) for the pages' templates."""

from datetime import datetime

from flask import abort, render_template, request
from flask_login import current_user, login_required

from app.cases import labels
from app.cases.blueprint import bp
from app.cases.sla import clocks, dashboard
from app.cases.sla.countdown import LEVEL_SYMBOLS, countdown_text, format_duration
from app.cases.sla.models import METRICS
from app.core import formatting
from app.models import utcnow

#: Roles that see the dashboard (officers see the countdowns in their queue).
DASHBOARD_ROLES = ("supervisor", "admin", "analyst")


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
            current_user, since, until, metric, formatting.language()
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
