"""Home, health check and the language switch."""

from flask import Blueprint, current_app, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text

from app.extensions import db
from app.jobs import REDIS_UNAVAILABLE, redis_state

bp = Blueprint("core", __name__, template_folder="templates")


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("cases.queue"))


@bp.get("/healthz")
def healthz():
    """200 "ok"; 200 "degraded" when Redis is in use but does not answer; 503 without database.

    Redis is "not used" when jobs run inline by design (JOBS_MODE, or "auto" without Redis
    at start-up): that is not a fault.
    """
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # any driver error means the database is down for us
        current_app.logger.error("health check: database unreachable: %s", error)
        db.session.rollback()
        database = "unavailable"
    body, status = health(database_ok=database == "ok", redis=redis_state(current_app))
    return jsonify(body), status


def health(*, database_ok: bool, redis: str) -> tuple[dict, int]:
    """The health answer and its HTTP status from what each service said."""
    if not database_ok:
        overall, status = "error", 503
    elif redis == REDIS_UNAVAILABLE:
        overall, status = "degraded", 200
    else:
        overall, status = "ok", 200
    database = "ok" if database_ok else "unavailable"
    return {"status": overall, "database": database, "redis": redis}, status
