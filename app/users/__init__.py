"""Users, roles, sign-in, API tokens, and the admin screens for users and units."""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The `auth` blueprint with its routes; also puts the bearer-token check on `api`."""
    from app.users import admin_views, api_auth, views  # noqa: F401  (routes on the blueprints)

    return [views.bp]
