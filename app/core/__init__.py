"""What every part of the app stands on: formatting, text, validation, the city's time and the
shared vocabulary, templating and security headers, the home page and the health check. The
app-wide request handling (edge.py, errors.py) and the worker (cli.py, worker.py) sit on top
of the domains instead: see the import contracts in pyproject.toml."""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The `core` blueprint (home, health check, language switch) with its routes."""
    from app.core import views

    return [views.bp]
