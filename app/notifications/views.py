"""The notifications page and the unread badge in the navigation."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.notifications import operations, preferences

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.app_context_processor
def unread_badge():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return operations.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@login_required
def index():
    notifications = operations.list_for(current_user)
    return render_template(
        "notifications/index.html",
        items=[(n, operations.render(n)) for n in notifications],
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Mark it read and go to what it is about."""
    notification = operations.mark_read(current_user, notification_id)
    if notification is None:
        abort(404)
    path = operations.render(notification).path
    return redirect(path or url_for("notifications.index"), code=303)


@bp.post("/notifications/read")
@login_required
def read_all():
    operations.mark_read(current_user)
    flash(_("All notifications marked read."), "success")
    return redirect(url_for("notifications.index"), code=303)


@bp.get("/notifications/settings")
@login_required
def settings():
    return render_template(
        "notifications/settings.html",
        kinds=preferences.SWITCHABLE,
        channels=preferences.DELIVERY_CHANNELS,
        current=preferences.settings_of(current_user.id),
    )


@bp.post("/notifications/settings")
@login_required
def save_settings():
    disabled, digest = preferences.parse_form(request.form)
    preferences.save(current_user.id, disabled, digest)
    flash(_("Notification settings saved."), "success")
    return redirect(url_for("notifications.settings"), code=303)
