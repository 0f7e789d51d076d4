"""Triage: text -> relevance, category, place, priority and the case a post belongs to; routing
rules; the review queue; the model's admin page; /api/v1/triage."""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The `triage` blueprint with its routes; also puts /api/v1/triage on `api` and adds it
    to the API's document."""
    from app.api import openapi
    from app.triage import api, model_views, views  # noqa: F401  (routes on the blueprints)

    openapi.add_paths("triage", api.openapi_paths, rank=50)
    return [views.bp]
