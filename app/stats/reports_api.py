"""Routes on the /api/v1 blueprint."""

from app.api import api  # noqa: F401
