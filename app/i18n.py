"""Language selection: ?lang=, then the user's choice, then Accept-Language, else Vietnamese."""

from flask import current_app, request, session
from flask_login import current_user


def remember_language() -> None:
    """Before each request: a ?lang= choice is kept in the session and on the user."""
    requested = request.args.get("lang")
    if requested not in current_app.config["LANGUAGES"]:
        return
    session["lang"] = requested
    if current_user.is_authenticated and current_user.locale != requested:
        from app.extensions import db

        current_user.locale = requested
        db.session.commit()


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    requested = request.args.get("lang")
    if requested in languages:
        return requested
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )
