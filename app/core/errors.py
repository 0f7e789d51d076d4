"""App-wide error pages: 400, 403, 404, 405, 429 and 500 in the app's layout and language.

- Under /api/ and /open311/ errors keep their machine shapes (the API's JSON, the GeoReport
  error list); the blueprints' own handlers answer first, these cover what no route matched.
- A staff 404 on a case the user's unit held before (it was transferred away from it, they were
  assigned to it, or they worked on it) says which unit has it now; to anyone else the page is
  the same plain 404 as for a case that does not exist.
- The 500 page needs no database: when the full layout cannot be drawn (the database is down,
  say), a bare page with the same stylesheet and no user data is drawn instead.
"""

from __future__ import annotations

from flask import Flask, current_app, make_response, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

#: The statuses that get a page: (title, what happened and what to do).
PAGES = {
    400: (
        _l("Bad request"),
        _l("Something in this request could not be read. Go back and try again."),
    ),
    403: (
        _l("Access denied"),
        _l("Your role does not allow this page. If you need it, ask an administrator."),
    ),
    404: (
        _l("Page not found"),
        _l("There is nothing at this address: the link may be wrong, or the page was removed."),
    ),
    405: (
        _l("Action not allowed here"),
        _l("This address cannot be used that way. Go back and use the page's buttons and links."),
    ),
    429: (
        _l("Too many requests"),
        _l("You have sent many requests in a short time. Please try again later."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "An error on our side stopped this page. It has been recorded; "
            "please try again in a moment."
        ),
    ),
}
MACHINE_PREFIXES = ("/api/", "/open311/")


def init_app(app: Flask) -> None:
    for status in PAGES:
        if status != 500:
            app.register_error_handler(status, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)


# ---------------------------------------------------------------- who may know where a case went


def case_now_with(user, case) -> object | None:
    """The unit that holds `case` now, if `user` cannot see it but may know where it went.

    They may when their scope held it before (a transfer away from one of their units), they
    were assigned to it, or they acted on it. Otherwise None: a stranger learns nothing.
    """
    from app.cases import permissions
    from app.cases.models import EventKind

    if case is None or user is None or permissions.can_see(user, case):
        return None
    scope = permissions.visible_unit_ids(user)
    unit_codes = _unit_codes(scope)
    for event in case.events:
        if event.actor_id == user.id:
            return case.unit
        if event.kind == EventKind.transferred and event.from_value in unit_codes:
            return case.unit
        if event.kind == EventKind.assigned and (event.data or {}).get("assignee_id") == user.id:
            return case.unit
    return None


def _unit_codes(unit_ids: set[int] | None) -> set[str]:
    from app.extensions import db
    from app.units.models import Unit

    if not unit_ids:
        return set()
    return set(db.session.scalars(db.select(Unit.code).where(Unit.id.in_(unit_ids))))


def _moved_case_unit():
    """On a staff case page (a URL with case_id), the unit the case went to, when told."""
    from flask_login import current_user

    case_id = (request.view_args or {}).get("case_id")
    if not isinstance(case_id, int) or request.blueprint != "cases":
        return None
    if not current_user.is_authenticated:
        return None
    from app.cases.models import Case
    from app.extensions import db

    return case_now_with(current_user, db.session.get(Case, case_id))


# ---------------------------------------------------------------- handlers


def handle_http_error(error: HTTPException):
    status = error.code or 500
    machine = _machine_answer(error, status)
    if machine is not None:
        return machine
    moved_to = _moved_case_unit() if status == 404 else None
    response = make_response(_page(status, moved_to=moved_to), status)
    _copy_hints(error, response)
    return response


def handle_server_error(error: InternalServerError):
    # Flask has logged the traceback of an unhandled exception; an abort(500) it has not.
    if getattr(error, "original_exception", None) is None:
        current_app.logger.error(
            "500 on %s %s: %s", request.method, request.path, error.description
        )
    _rollback()
    machine = _machine_answer(error, 500)
    if machine is not None:
        return machine
    try:
        return _page(500), 500
    except Exception:  # noqa: BLE001 - the layout needs the database; the bare page does not
        current_app.logger.warning("500 page drawn without the layout", exc_info=True)
        return _bare_server_error_page(), 500


def _machine_answer(error: HTTPException, status: int):
    """The API's JSON error or Open311's error list, by path; None for pages."""
    description = error.description if status != 500 else "internal server error"
    if request.path.startswith("/api/"):
        from app.api import error_response

        code = (error.name or "error").lower().replace(" ", "_")
        response = error_response(status, code, description)
    elif request.path.startswith("/open311/"):
        from app.public import open311_format

        fmt = "xml" if request.path.endswith(".xml") else "json"
        response = open311_format.errors(status, description, fmt)
    else:
        return None
    _copy_hints(error, response)
    return response


def _copy_hints(error: HTTPException, response) -> None:
    """Keep what a 405 (Allow) or a 429 (Retry-After) tells the client to do next."""
    for name, value in error.get_headers():
        if name in ("Allow", "Retry-After"):
            response.headers[name] = value


def _page(status: int, *, moved_to=None) -> str:
    title, message = PAGES[status]
    public = request.path.startswith("/public")
    return render_template(
        "errors/public.html" if public else "errors/page.html",
        status=status,
        title=title,
        message=message,
        moved_to=moved_to,
        links=_links(public),
    )


def _links(public: bool) -> list[dict]:
    from flask_login import current_user

    if public:
        return [{"url": url_for("public.index"), "label": _l("Back to the citizen portal")}]
    if current_user.is_authenticated:
        return [{"url": url_for("cases.queue"), "label": _l("Back to the queue")}]
    return [{"url": url_for("core.index"), "label": _l("Go to the home page")}]


def _bare_server_error_page() -> str:
    """The 500 page with no user, no database and no context processors."""
    title, message = PAGES[500]
    locale = _locale_without_database()
    public = request.path.startswith("/public")
    home = url_for("public.index") if public else url_for("core.index")
    with force_locale(locale):
        template = current_app.jinja_env.get_template("errors/500_bare.html")
        return template.render(
            locale=locale,
            status=500,
            title=str(title),
            message=str(message),
            home=home,
            home_label=str(_l("Go to the home page")),
            stylesheet=url_for("static", filename="css/app.css"),
        )


def _locale_without_database() -> str:
    languages = current_app.config["LANGUAGES"]
    for choice in (request.args.get("lang"), session.get("lang")):
        if choice in languages:
            return choice
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def _rollback() -> None:
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a dead connection: nothing to roll back
        current_app.logger.debug("rollback after a 500 failed", exc_info=True)
