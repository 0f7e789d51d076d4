"""Home, health check and the language switch."""

from flask import Blueprint, current_app, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text

from app.extensions import db

bp = Blueprint("core", __name__, template_folder="templates")


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("cases.queue"))


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not; Redis is reported, not required."""
    body = {"status": "ok", "database": "ok", "redis": "unavailable"}
    status = 200
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means the database is down for us
        current_app.logger.error("health check: database unreachable: %s", error)
        db.session.rollback()
        body.update(status="error", database="unavailable")
        status = 503
    connection = current_app.extensions.get("socialbeat_redis")
    if connection is not None:
        try:
            connection.ping()
            body["redis"] = "ok"
        except Exception:  # redis-py raises several unrelated types when down
            pass
    return jsonify(body), status
