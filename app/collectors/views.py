"""Webhook receivers (signed, no session) and the admin/analyst pages for sources and watchlists."""

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.collectors import messages
from app.collectors.base import ConfigError
from app.collectors.intake import store_pushed
from app.collectors.models import SCOPES, Source, Watchlist
from app.collectors.runner import ensure_sources, setup_problem
from app.collectors.sources.rss import load_feeds
from app.collectors.sources.webhook import SIGNATURE_HEADER, parse_webhook, verify_webhook_signature
from app.collectors.sources.zalo import parse_zalo_event, verify_zalo_signature
from app.collectors.watchlists import MODES, PURPOSES
from app.core.validation import positive_int
from app.extensions import csrf, db
from app.users.admin import audit

bp = Blueprint("collectors", __name__, template_folder="templates")


@bp.context_processor
def _source_messages():
    return {"source_error_text": messages.error_text, "source_setup_text": messages.setup_text}


PURPOSE_LABELS = {
    "topic_monitoring": _l("Topic monitoring"),
    "direct_feedback": _l("Direct feedback"),
    "trend_analysis": _l("Trend analysis"),
}
MODE_LABELS = {
    "any": _l("Any of the terms"),
    "all": _l("All of the terms"),
    "none": _l("None of the terms"),
}


def _json_error(status: int, code: str, message: str):
    return jsonify({"code": code, "message": message, "errors": {}}), status


@bp.post("/hooks/generic/<partner>")
@csrf.exempt
def generic_webhook(partner: str):
    """Records signed with X-Signature: sha256=HMAC(WEBHOOK_SECRET, body)."""
    body = request.get_data()
    if not verify_webhook_signature(
        current_app.config.get("WEBHOOK_SECRET"), body, request.headers.get(SIGNATURE_HEADER)
    ):
        return _json_error(401, "bad_signature", "missing or wrong X-Signature")
    try:
        payload = json.loads(body)
    except ValueError:
        return _json_error(400, "bad_request", "the body is not JSON")
    stats = store_pushed(parse_webhook(payload, source=f"webhook:{partner}"[:64]))
    return jsonify(stats.as_dict()), 202


@bp.post("/hooks/zalo")
@csrf.exempt
def zalo_webhook():
    body = request.get_data()
    config = current_app.config
    if not verify_zalo_signature(
        body,
        request.headers.get("X-ZEvent-Signature"),
        oa_secret_key=config.get("ZALO_OA_SECRET_KEY", ""),
        app_id=config.get("ZALO_APP_ID"),
    ):
        return _json_error(401, "bad_signature", "missing or wrong X-ZEvent-Signature")
    try:
        event = json.loads(body)
    except ValueError:
        return _json_error(400, "bad_request", "the body is not JSON")
    return jsonify(store_pushed(parse_zalo_event(event)).as_dict()), 200


def _require_role(*roles: str) -> None:
    if current_user.role not in roles:
        abort(403)


@bp.get("/admin/sources")
@login_required
def sources():
    _require_role("admin")
    rows = ensure_sources()
    problems = {source.id: setup_problem(source) for source in rows}
    return render_template("collectors/sources.html", sources=rows, problems=problems)


@bp.post("/admin/sources/<int:source_id>")
@login_required
def update_source(source_id: int):
    _require_role("admin")
    source = db.session.get(Source, source_id) or abort(404)
    action = request.form.get("action")
    if action == "toggle":
        source.is_enabled = not source.is_enabled
        source.next_run_at = None
    elif action == "run":
        if problem := setup_problem(source):
            flash(messages.error_text(problem) or problem, "error")
            return redirect(url_for("collectors.sources"), code=303)
        from app.collectors.tasks import collect_source
        from app.jobs import QueueUnavailable, enqueue

        try:
            enqueue(collect_source, source.name)
            flash(_("Collection of %(name)s started.", name=source.name), "success")
        except QueueUnavailable:
            flash(_("The job queue is unavailable; try again later."), "error")
    elif action == "scope":
        scope = request.form.get("scope")
        if scope not in SCOPES:
            flash(_("Choose local or national."), "error")
            return redirect(url_for("collectors.sources"), code=303)
        source.scope = scope
        flash(_("Scope of %(name)s saved.", name=source.name), "success")
    elif action == "feeds":
        try:
            feeds = load_feeds(_parse_feed_lines(request.form.get("feeds", "")))
            if not feeds:
                raise ValueError(_("no feed given"))
        except (ValueError, ConfigError) as error:
            text = messages.error_text(str(error)) or str(error)
            flash(_("The feed list is invalid: %(error)s", error=text), "error")
            return redirect(url_for("collectors.sources"), code=303)
        source.settings = {**(source.settings or {}), "RSS_FEEDS": feeds}
        flash(_("Feed list saved (%(count)d feeds).", count=len(feeds)), "success")
    if action in ("toggle", "scope", "feeds"):
        audit(current_user, f"source.{action}", "source", source.id, name=source.name)
    db.session.commit()
    return redirect(url_for("collectors.sources"), code=303)


def _parse_feed_lines(text: str) -> list[dict]:
    """One feed a line: "name | url" or just the url."""
    feeds = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, url = line.rpartition("|")
        feeds.append({"name": name.strip() or url.strip(), "url": url.strip()})
    return feeds


@bp.get("/watchlists")
@login_required
def watchlists():
    _require_role("analyst", "admin")
    rows = db.session.scalars(select(Watchlist).order_by(Watchlist.name)).all()
    editing = (
        db.session.get(Watchlist, request.args.get("edit", type=positive_int))
        if request.args.get("edit")
        else None
    )
    return render_template(
        "collectors/watchlists.html",
        watchlists=rows,
        editing=editing,
        purposes=PURPOSES,
        modes=MODES,
        purpose_labels=PURPOSE_LABELS,
        mode_labels=MODE_LABELS,
    )


@bp.post("/watchlists")
@login_required
def save_watchlist():
    _require_role("analyst", "admin")
    raw_id = request.form.get("id")
    watchlist_id = request.form.get("id", type=positive_int)
    watchlist = db.session.get(Watchlist, watchlist_id) if watchlist_id else Watchlist()
    if watchlist is None or (raw_id and watchlist_id is None):
        abort(404)
    terms = _lines(request.form.get("terms", ""))
    name = request.form.get("name", "").strip()
    purpose, mode = request.form.get("purpose"), request.form.get("mode")
    if not name or not terms or purpose not in PURPOSES or mode not in MODES:
        flash(_("A watchlist needs a name, a purpose, a mode and at least one term."), "error")
        return redirect(url_for("collectors.watchlists"), code=303)
    watchlist.name, watchlist.purpose, watchlist.mode = name, purpose, mode
    watchlist.terms, watchlist.must_not = terms, _lines(request.form.get("must_not", ""))
    watchlist.is_active = request.form.get("is_active") == "on"
    created = watchlist.id is None
    db.session.add(watchlist)
    db.session.flush()
    audit(
        current_user,
        "watchlist.create" if created else "watchlist.update",
        "watchlist",
        watchlist.id,
        name=name,
        terms=terms,
        is_active=watchlist.is_active,
    )
    db.session.commit()
    flash(_("Watchlist saved."), "success")
    return redirect(url_for("collectors.watchlists"), code=303)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
