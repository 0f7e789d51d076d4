"""In-app notifications and their email copies (SMTP, sent from the `emails` queue), and the
emails to citizens who reported a case.

Below cases: this package stores, delivers and emails; the domains say what a notification
reads like (operations.register_renderer, reporter.register_composer) and who hears of what
(app/cases/notices.py, cases/sla/escalation.py, public/operations.py, stats' spike alerts)."""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The `notifications` blueprint (the list, the settings) with its routes."""
    from app.notifications import views

    return [views.bp]
