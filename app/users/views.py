"""Sign-in and sign-out."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import login_manager
from app.users.forms import LoginForm
from app.users.operations import authenticate, end_sessions, user_for_session

bp = Blueprint("auth", __name__, template_folder="templates")


@login_manager.user_loader
def load_user(user_id: str):
    return user_for_session(user_id)


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so the login form cannot be used as an open redirect.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("core.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        result = authenticate(
            form.email.data,
            form.password.data,
            free_attempts=config["LOGIN_FREE_ATTEMPTS"],
            base_delay=config["LOGIN_BASE_DELAY_SECONDS"],
            max_delay=config["LOGIN_MAX_DELAY_SECONDS"],
        )
        if result.user:
            login_user(result.user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        if result.retry_after:
            status = 429
            flash(
                _(
                    "Too many failed sign-ins. Try again in %(seconds)d seconds.",
                    seconds=result.retry_after,
                ),
                "error",
            )
        else:
            status = 401
            flash(_("Wrong email or password."), "error")
    elif request.method == "POST":
        status = 400
    return render_template("users/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    # Server-side: the session and remember-me cookies issued so far stop working,
    # so a copy of them taken before signing out is worth nothing.
    end_sessions(current_user._get_current_object())
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
