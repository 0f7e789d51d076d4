"""Cases: the workflow and its timeline, the queue and the case page, and /api/v1/cases; the SLA
(calendars, policies, clocks, escalation, the SLA dashboard and its admin) is the sub-package
`sla`."""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The `cases` blueprint with all its routes; also puts /api/v1/cases on `api` and
    declares the case schemas of the API's document."""
    from app.api import openapi
    from app.cases import (  # noqa: F401  (routes on the blueprints)
        admin_views,
        api,
        desk_views,
        schemas,
        views,
    )
    from app.cases.blueprint import bp
    from app.cases.sla import admin_views as sla_admin_views  # noqa: F401
    from app.cases.sla import views as sla_views  # noqa: F401
    from app.units.schemas import UnitSchema

    openapi.add_schemas(
        [
            ("Event", schemas.EventSchema),
            ("Unit", UnitSchema),
            ("Case", schemas.CaseSchema),
            ("CaseDetail", schemas.CaseDetailSchema),
            ("CaseCreate", schemas.CaseCreateSchema),
            ("Transition", schemas.TransitionSchema),
            ("Assign", schemas.AssignSchema),
            ("Transfer", schemas.TransferSchema),
            ("Comment", schemas.CommentSchema),
            ("Merge", schemas.MergeSchema),
            ("Approval", schemas.ApprovalSchema),
        ]
    )
    return [bp]
