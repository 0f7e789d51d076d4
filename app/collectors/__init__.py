"""Collectors: one adapter per source, turning source payloads into `PostData`.

Adapters know sources, not cases or the database; persistence, jobs and the CLI
live outside this package's source-facing modules.
"""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The `collectors` blueprint (sources, watchlists, webhooks) with its routes."""
    from app.collectors import views

    return [views.bp]
