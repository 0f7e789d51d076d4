"""Admin screens for users and units, and the password-reset page (routes on `auth`)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core.validation import parse_int, positive_int
from app.extensions import db
from app.units.models import Unit
from app.users import admin
from app.users.access import admin_required
from app.users.models import User
from app.users.views import bp

PER_PAGE = 25
MAX_SEARCH = 100


def _actor() -> User:
    return current_user._get_current_object()


def _units():
    return db.session.scalars(select(Unit).order_by(Unit.sort_order, Unit.name_vi)).all()


def _form_unit_id():
    try:
        return parse_int(request.form.get("unit", ""))
    except ValueError:
        return None


@bp.get("/admin/users")
@admin_required
def admin_users():
    search = request.args.get("q", "")[:MAX_SEARCH]
    page = db.paginate(
        admin.users_query(search),
        page=request.args.get("page", 1, type=positive_int),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "users/admin_users.html",
        page=page,
        search=search,
        units=_units(),
        roles=admin.ROLE_LABELS,
        audit=admin.recent_audit(20, "user"),
        form={},
    )


@bp.post("/admin/users")
@admin_required
def admin_create_user():
    form = request.form
    try:
        user = admin.create_user(
            _actor(),
            form.get("email", "")[: admin.MAX_EMAIL + 1],
            form.get("full_name", "")[: admin.MAX_NAME + 1],
            form.get("role", ""),
            _form_unit_id(),
        )
    except admin.AdminError as error:
        db.session.rollback()
        flash(str(error.user_message), "error")
        return redirect(url_for("auth.admin_users"), code=303)
    flash(_("Account created. Send them the link below to choose a password."), "success")
    return _user_page(user, reset_link=_reset_link(user))


def _reset_link(user: User) -> str:
    token = admin.issue_reset_token(_actor(), user, current_app.config["SECRET_KEY"])
    return url_for("auth.reset_password", token=token, _external=True)


def _user_page(user: User, reset_link: str | None = None, status: int = 200):
    tokens = [token for token in user.tokens if not token.is_revoked]
    return (
        render_template(
            "users/admin_user.html",
            user=user,
            units=_units(),
            roles=admin.ROLE_LABELS,
            reset_link=reset_link,
            active_tokens=len(tokens),
            audit=[row for row in admin.recent_audit(200, "user") if row.target_id == user.id][:20],
        ),
        status,
    )


def _get_user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/admin/users/<int:user_id>")
@admin_required
def admin_user(user_id: int):
    return _user_page(_get_user(user_id))


@bp.post("/admin/users/<int:user_id>")
@admin_required
def admin_update_user(user_id: int):
    user = _get_user(user_id)
    try:
        changed = admin.update_user(
            _actor(),
            user,
            role=request.form.get("role", ""),
            unit_id=_form_unit_id(),
            full_name=request.form.get("full_name", "")[: admin.MAX_NAME + 1],
        )
    except admin.AdminError as error:
        db.session.rollback()
        flash(str(error.user_message), "error")
    else:
        flash(_("Account saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("auth.admin_user", user_id=user.id), code=303)


@bp.post("/admin/users/<int:user_id>/active")
@admin_required
def admin_set_active(user_id: int):
    user = _get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        revoked = admin.set_active(_actor(), user, active)
    except admin.AdminError as error:
        db.session.rollback()
        flash(str(error.user_message), "error")
    else:
        if active:
            flash(_("Account reactivated."), "success")
        else:
            flash(
                _(
                    "Account deactivated: its sessions ended and %(count)d API tokens were revoked.",
                    count=revoked,
                ),
                "success",
            )
    return redirect(url_for("auth.admin_user", user_id=user.id), code=303)


@bp.post("/admin/users/<int:user_id>/reset")
@admin_required
def admin_reset_link(user_id: int):
    user = _get_user(user_id)
    try:
        link = _reset_link(user)
    except admin.AdminError as error:
        db.session.rollback()
        flash(str(error.user_message), "error")
        return redirect(url_for("auth.admin_user", user_id=user.id), code=303)
    return _user_page(user, reset_link=link)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = admin.user_for_reset(token[:500], current_app.config["SECRET_KEY"])
    if user is None:
        return render_template("users/reset.html", invalid=True), 410
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("confirm", ""):
            flash(_("The two passwords differ."), "error")
            return render_template("users/reset.html", invalid=False), 400
        try:
            admin.reset_password(user, password[:201])
        except admin.AdminError as error:
            db.session.rollback()
            flash(str(error.user_message), "error")
            return render_template("users/reset.html", invalid=False), 400
        flash(_("Your password is set. Sign in with it."), "success")
        return redirect(url_for("auth.login"), code=303)
    return render_template("users/reset.html", invalid=False)


@bp.get("/admin/units")
@admin_required
def admin_units():
    return render_template(
        "users/admin_units.html", tree=admin.unit_tree(), audit=admin.recent_audit(20, "unit")
    )


@bp.post("/admin/units/<int:unit_id>/approval")
@admin_required
def admin_unit_approval(unit_id: int):
    unit = db.session.get(Unit, unit_id) or abort(404)
    admin.set_requires_approval(_actor(), unit, request.form.get("required") == "1")
    flash(_("Unit saved."), "success")
    return redirect(url_for("auth.admin_units", _anchor=f"unit-{unit.id}"), code=303)
