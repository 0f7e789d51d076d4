"""Pages on the stats blueprint (see views.py)."""

from app.stats.views import bp  # noqa: F401
