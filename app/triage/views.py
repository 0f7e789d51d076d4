"""The triage review queue and the routing-rules admin page."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.cases.carries import contact_of, original_post
from app.cases.media import photos_of
from app.collectors.models import Post
from app.core.validation import positive_int, whole_number
from app.core.vocabulary import CATEGORIES
from app.extensions import db
from app.triage import rule_admin
from app.triage.models import RoutingRule
from app.triage.reasons import localise
from app.triage.review import ReviewError, decide, review_queue, ward_choices
from app.triage.routing import ensure_default_rules
from app.units.models import LOCAL_KINDS, Unit

bp = Blueprint("triage", __name__, template_folder="templates")
#: RoutingRule.description's column length.
MAX_RULE_DESCRIPTION = 300
#: The longest text the rule tester reads.
MAX_TRY_TEXT = 2000
#: `{{ reason|triage_reason }}`: a stored triage reason in the user's language (case pages too).
bp.add_app_template_filter(localise, "triage_reason")


def _require(*roles):
    if current_user.role not in roles:
        abort(403)


def _local_units():
    return db.session.scalars(
        select(Unit).where(Unit.kind.in_([k.value for k in LOCAL_KINDS])).order_by(Unit.name_vi)
    ).all()


@bp.get("/triage/review")
@login_required
def review():
    _require("analyst", "admin")
    page = db.paginate(
        review_queue(),
        page=request.args.get("page", 1, type=positive_int),
        per_page=20,
        error_out=False,
    )
    return render_template(
        "triage/review.html",
        page=page,
        categories=CATEGORIES,
        choices=ward_choices(page.items, _local_units()),
        photos={post.id: photos_of([post]) for post in page.items},
        contacts={post.id: contact_of(post) for post in page.items},
        originals={post.id: original_post(post) for post in page.items},
    )


@bp.post("/triage/review/<int:post_id>")
@login_required
def review_post(post_id: int):
    _require("analyst", "admin")
    post = db.session.get(Post, post_id) or abort(404)
    relevant = request.form.get("relevant") == "yes"
    try:
        decide(
            post,
            current_user,
            relevant=relevant,
            category=request.form.get("category") or None,
            ward_code=request.form.get("ward") or None,
        )
    except ReviewError as error:
        db.session.rollback()
        flash(_("Not saved: %(reason)s", reason=str(error.user_message)), "error")
    else:
        flash(_("Decision saved; it will also teach the next model."), "success")
    return redirect(url_for("triage.review"), code=303)


@bp.get("/admin/routing")
@login_required
def routing_rules():
    _require("admin")
    if ensure_default_rules():
        db.session.commit()
    units = db.session.scalars(select(Unit).order_by(Unit.sort_order, Unit.name_vi)).all()
    trial, tried = (
        None,
        {
            "text": request.args.get("text", "")[:MAX_TRY_TEXT],
            "category": request.args.get("category", ""),
            "ward": request.args.get("ward", ""),
        },
    )
    if tried["text"].strip() or tried["category"]:
        category = tried["category"] if tried["category"] in CATEGORIES else None
        ward = (
            db.session.scalar(select(Unit).where(Unit.code == tried["ward"]))
            if tried["ward"]
            else None
        )
        trial = rule_admin.try_text(tried["text"], category, ward)
    return render_template(
        "triage/routing.html",
        rules=rule_admin.ordered_rules(),
        units=units,
        wards=_local_units(),
        categories=CATEGORIES,
        trial=trial,
        tried=tried,
    )


@bp.post("/admin/routing")
@login_required
def save_routing_rule():
    _require("admin")
    rule_id = request.form.get("id", type=positive_int)
    rule = db.session.get(RoutingRule, rule_id) if rule_id else RoutingRule()
    if rule is None:
        abort(404)
    target = request.form.get("target")
    unit = db.session.scalar(select(Unit).where(Unit.code == request.form.get("unit", "")))
    position = request.form.get("position", type=whole_number)
    description = request.form.get("description", "").strip()
    if position is None or target not in ("ward", "unit") or (target == "unit" and unit is None):
        flash(_("A rule needs a position and a target unit."), "error")
        return redirect(url_for("triage.routing_rules"), code=303)
    if len(description) > MAX_RULE_DESCRIPTION:
        flash(
            _("The description is longer than %(max)d characters.", max=MAX_RULE_DESCRIPTION),
            "error",
        )
        return redirect(url_for("triage.routing_rules"), code=303)
    before = rule_admin.snapshot(rule)
    rule.position = position
    rule.category = request.form.get("category") or None
    rule.requires_ward = request.form.get("requires_ward") == "on" or target == "ward"
    rule.target = target
    rule.target_unit = unit if target == "unit" else None
    rule.description = description
    rule.is_active = request.form.get("is_active") == "on"
    db.session.add(rule)
    db.session.flush()
    rule_admin.record_save(current_user, rule, before)
    db.session.commit()
    flash(_("Routing rule saved."), "success")
    return redirect(url_for("triage.routing_rules"), code=303)


def _rule(rule_id: int) -> RoutingRule:
    return db.session.get(RoutingRule, rule_id) or abort(404)


@bp.post("/admin/routing/<int:rule_id>/move")
@login_required
def move_routing_rule(rule_id: int):
    _require("admin")
    rule_admin.move(current_user, _rule(rule_id), request.form.get("direction", ""))
    return redirect(url_for("triage.routing_rules"), code=303)


@bp.post("/admin/routing/<int:rule_id>/enabled")
@login_required
def enable_routing_rule(rule_id: int):
    _require("admin")
    enabled = request.form.get("enabled") == "1"
    rule_admin.set_enabled(current_user, _rule(rule_id), enabled)
    flash(_("Rule enabled.") if enabled else _("Rule disabled."), "success")
    return redirect(url_for("triage.routing_rules"), code=303)


@bp.post("/admin/routing/<int:rule_id>/delete")
@login_required
def delete_routing_rule(rule_id: int):
    _require("admin")
    rule_admin.delete(current_user, _rule(rule_id))
    flash(_("Routing rule deleted."), "success")
    return redirect(url_for("triage.routing_rules"), code=303)
