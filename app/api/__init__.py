"""The REST API under /api/v1: bearer-token auth, JSON errors, pagination, and its OpenAPI
document (openapi.py).

Each domain adds its routes to `api` in its own `api.py`, which its package attaches
(`blueprints()` in the package); the token check is app.users.api_auth's.
"""

from flask import Blueprint

from app.api.base import (
    PUBLIC_ENDPOINTS,
    ApiError,
    api,
    current_api_user,
    error_response,
    page_args,
    paginated,
)

__all__ = [
    "PUBLIC_ENDPOINTS",
    "ApiError",
    "api",
    "blueprints",
    "current_api_user",
    "error_response",
    "page_args",
    "paginated",
]


def blueprints() -> list[Blueprint]:
    """The `api` blueprint with the document and the docs page attached. Register it after
    the domains' packages have attached their API routes."""
    from app.api import openapi  # noqa: F401  (/openapi.json and /docs on `api`)

    return [api]
