"""The officer's desk on the queue: saved filters, ticking countdowns, shortcut help."""

from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from app.cases import saved_filters
from app.cases.blueprint import bp
from app.cases.sla import countdown
from app.extensions import db


@bp.app_context_processor
def desk_helpers():
    return {
        "sla_tick": lambda view: countdown.for_request().tick(view),
        "my_saved_filters": lambda: saved_filters.for_user(current_user.id),
        "sla_words": countdown_words,
    }


def countdown_words() -> dict[str, str]:
    """The countdown's wordings in the user's language, placeholders kept for countdown.js.

    The same msgids as sla.countdown.countdown_text, so the page says the same before and after.
    """
    return {
        "data-left": _("%(time)s left"),
        "data-risk": _("At risk, %(time)s left"),
        "data-late": _("Overdue by %(time)s"),
        "data-late-now": _("Overdue"),
        "data-hours": _("%(hours)d h %(minutes)02d min"),
        "data-minutes": _("%(minutes)d min"),
    }


def _queue(query: str = ""):
    return redirect(url_for("cases.queue") + (f"?{query}" if query else ""), code=303)


def _checked(raw: str) -> str:
    """The valid filters of a query string, or none."""
    try:
        return saved_filters.normalized_query(raw)
    except ValidationError:
        return ""


SAVE_ERRORS = {
    "name_required": lambda: _("Give the saved filter a name."),
    "no_filters": lambda: _("Set at least one filter before saving."),
    "too_long": lambda: _("These filters are too long to save."),
    "too_many": lambda: _(
        "You have %(max)d saved filters already; delete one first.",
        max=saved_filters.MAX_PER_USER,
    ),
}


@bp.post("/cases/saved-filters")
@login_required
def save_filter():
    raw = request.form.get("filters", "")[: saved_filters.QUERY_LENGTH * 2]
    # The form carries the queue's query string; a whole address is read for its query only.
    raw = urlsplit(raw).query if raw.startswith("/") else raw.lstrip("?")
    try:
        saved = saved_filters.save(current_user.id, request.form.get("name", ""), raw)
    except saved_filters.SavedFilterError as error:
        flash(SAVE_ERRORS[error.code](), "error")
        return _queue(_checked(raw))
    except ValidationError:
        flash(_("These filters are not valid; nothing was saved."), "error")
        return _queue()
    db.session.commit()
    flash(_("Filter “%(name)s” saved.", name=saved.name), "success")
    return _queue(saved.query)


@bp.post("/cases/saved-filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):
    if saved_filters.delete(current_user.id, filter_id):
        db.session.commit()
        flash(_("Saved filter deleted."), "success")
    else:
        flash(_("No such saved filter."), "error")
    return _queue()
