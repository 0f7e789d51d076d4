"""Jinja helpers: local numbers and times, navigation by role, the language switcher."""

from flask import Flask, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import formatting
from app.core.links import carried_query, web_link

#: (endpoint, label, roles that see it). Domains add their pages here.
NAVIGATION: list[tuple[str, object, tuple[str, ...]]] = [
    ("cases.queue", _l("Queue"), ("officer", "supervisor", "analyst", "admin")),
    ("cases.new", _l("New case"), ("officer", "supervisor", "admin")),
    ("cases.sla_dashboard", _l("Deadlines"), ("supervisor", "analyst", "admin")),
    ("stats.handling_time", _l("Statistics"), ("officer", "supervisor", "analyst", "admin")),
    ("stats.trends_dashboard", _l("Trends"), ("supervisor", "analyst", "admin")),
    ("stats.reports_list", _l("Reports"), ("supervisor", "analyst", "admin")),
    ("triage.review", _l("Triage review"), ("analyst", "admin")),
    ("collectors.watchlists", _l("Watchlists"), ("analyst", "admin")),
    ("auth.admin_users", _l("Users"), ("admin",)),
    ("auth.admin_units", _l("Units"), ("admin",)),
    ("collectors.sources", _l("Sources"), ("admin",)),
    ("triage.routing_rules", _l("Routing rules"), ("admin",)),
    ("triage.model_status", _l("Triage model"), ("admin",)),
    ("cases.response_templates", _l("Response templates"), ("admin",)),
    ("cases.sla_policies", _l("SLA policies"), ("admin",)),
    ("cases.sla_calendar", _l("Calendars"), ("admin",)),
    ("public.index", _l("Citizen portal"), ("officer", "supervisor", "analyst", "admin")),
]


def nav_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, roles in NAVIGATION:
        if current_user.role in roles:
            items.append(
                {"url": url_for(endpoint), "label": label, "active": request.endpoint == endpoint}
            )
    return items


def language_links() -> list[dict]:
    path_args = request.view_args or {}
    args = carried_query(request.args, path_names=path_args)
    links = []
    for code, label in (("vi", "Tiếng Việt"), ("en", "English")):
        args["lang"] = code
        links.append(
            {
                "code": code,
                "label": label,
                "url": url_for(request.endpoint, **path_args, **args)
                if request.endpoint
                else f"?lang={code}",
                "active": str(get_locale()) == code,
            }
        )
    return links


#: Filters for every template: `{{ 3.43|number(1) }}`, `{{ 0.9|percent }}`,
#: `{{ 90.5|percent(1, scale=100) }}`, `{{ moment|datetime_local }}`, `{{ day|date_local }}`.
FILTERS = {
    "number": formatting.number,
    "percent": formatting.percent,
    "datetime_local": formatting.datetime_local,
    "localdt": formatting.datetime_local,
    "date_local": formatting.date_local,
    "local": formatting.local,
}


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.filters["web_link"] = web_link
    app.jinja_env.filters["carried_query"] = carried_query
    app.context_processor(
        lambda: {
            "nav_items": nav_items,
            "language_links": language_links,
            "current_locale": lambda: str(get_locale()),
        }
    )
