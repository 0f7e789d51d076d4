"""/api/v1/cases: thin handlers over the service layer (operations.py, comments.py, moves.py)."""

from flask import jsonify, request

from app.api import ApiError, api, current_api_user, error_response
from app.cases import comments, moves, operations, queries
from app.cases.models import Case
from app.cases.operations import CaseError
from app.cases.schemas import (
    ApprovalSchema,
    AssignSchema,
    CaseCreateSchema,
    CaseDetailSchema,
    CaseSchema,
    CommentSchema,
    EventSchema,
    MergeSchema,
    TransferSchema,
    TransitionSchema,
    list_args_from,
)
from app.core.codes import normalize_code
from app.extensions import db
from app.units.models import Unit
from app.users.models import User


@api.errorhandler(CaseError)
def handle_case_error(error: CaseError):
    return error_response(error.status, error.code, error.message, error.errors)


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "send a JSON object with Content-Type: application/json")
    return body


def _case(case_id: int) -> Case:
    return operations.get_case_for(current_api_user(), case_id)


def _detail(case: Case, status: int = 200):
    return jsonify(CaseDetailSchema().dump(case)), status


@api.get("/cases")
def list_cases():
    args = list_args_from(request.args)
    _, page = queries.list_page(current_api_user(), args)
    return jsonify(
        {
            "items": CaseSchema().dump(page.items, many=True),
            "total": page.total,
            "page": args["page"],
            "per_page": args["per_page"],
        }
    )


@api.post("/cases")
def create_case():
    data = CaseCreateSchema().load(_json_body())
    case = operations.create_case(current_api_user(), data)
    return _detail(case, 201)


@api.get("/cases/<int:case_id>")
def get_case(case_id: int):
    case = _case(case_id)
    return jsonify(CaseDetailSchema().dump(case))


@api.get("/cases/<code>")
def get_case_by_code(code: str):
    """The same answer as by id, by tracking code (as typed: any case, spaces, O for 0)."""
    normalized = normalize_code(code)
    if normalized is None:
        raise operations.not_found()
    case_id = db.session.scalar(db.select(Case.id).where(Case.code == normalized))
    if case_id is None:
        raise operations.not_found()
    return get_case(case_id)


@api.get("/cases/<int:case_id>/events")
def list_events(case_id: int):
    return jsonify({"items": EventSchema().dump(_case(case_id).events, many=True)})


@api.post("/cases/<int:case_id>/transitions")
def transition_case(case_id: int):
    case = _case(case_id)
    data = TransitionSchema().load(_json_body())
    case = operations.transition(
        case,
        data["to"],
        current_api_user(),
        data["note"],
        version=data["version"],
        reject_reason=data["reason"],
        public_response=data["public_response"],
    )
    # A response held for approval leaves the status as it was: 202 says "accepted, not done".
    return _detail(case, 202 if case.pending_response and data["to"] != case.status else 200)


@api.post("/cases/<int:case_id>/assign")
def assign_case(case_id: int):
    case = _case(case_id)
    data = AssignSchema().load(_json_body())
    assignee = None
    if data["assignee_id"] is not None:
        assignee = db.session.get(User, data["assignee_id"])
        if assignee is None:
            raise ApiError(422, "invalid_input", "unknown user", {"assignee_id": ["no such user"]})
    operations.assign(
        case, assignee, current_api_user(), version=data["version"], note=data["note"]
    )
    return _detail(case)


@api.post("/cases/<int:case_id>/transfer")
def transfer_case(case_id: int):
    case = _case(case_id)
    data = TransferSchema().load(_json_body())
    unit = db.session.scalar(db.select(Unit).where(Unit.code == data["unit"]))
    if unit is None:
        raise ApiError(
            422, "invalid_input", "unknown unit", {"unit": [f"no unit with code {data['unit']}"]}
        )
    moves.transfer(case, unit, current_api_user(), data["reason"], version=data["version"])
    return _detail(case)


@api.post("/cases/<int:case_id>/comments")
def comment_case(case_id: int):
    case = _case(case_id)
    data = CommentSchema().load(_json_body())
    event = comments.add_comment(
        case, current_api_user(), data["body"], is_public=data["is_public"]
    )
    # A public note held for a supervisor's approval: 202, "accepted, not published yet".
    return jsonify(EventSchema().dump(event)), 202 if comments.is_held(event) else 201


@api.post("/cases/<int:case_id>/comments/<int:event_id>/approval")
def approve_case_note(case_id: int, event_id: int):
    """A supervisor publishes (approve: true) or rejects (approve: false, note: why) a held note."""
    case = _case(case_id)
    data = ApprovalSchema().load(_json_body())
    if data["approve"]:
        comments.approve_note(case, current_api_user(), event_id, version=data["version"])
    else:
        comments.reject_note(
            case, current_api_user(), event_id, data["note"], version=data["version"]
        )
    return _detail(case)


@api.post("/cases/<int:case_id>/merge")
def merge_case(case_id: int):
    case = _case(case_id)
    data = MergeSchema().load(_json_body())
    target = db.session.get(Case, data["into"])
    if target is None:
        raise ApiError(422, "invalid_input", "unknown target case", {"into": ["no such case"]})
    moves.merge(case, target, current_api_user(), version=data["version"], note=data["note"])
    return _detail(case)


@api.post("/cases/<int:case_id>/response-approval")
def approve_case_response(case_id: int):
    case = _case(case_id)
    data = ApprovalSchema().load(_json_body())
    if data["approve"]:
        operations.approve_response(case, current_api_user(), version=data["version"])
    else:
        operations.return_response(
            case, current_api_user(), data["note"] or "", version=data["version"]
        )
    return _detail(case)
