"""The `api` blueprint under /api/v1 and what every API module uses: JSON errors, the
signed-in user, pagination. Imported through app.api, which re-exports it.

Below every domain: it knows no domain. The bearer-token check is app.users.api_auth's.
"""

from flask import Blueprint, g, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from app.core.validation import MAX_INT, flatten_errors, parse_int
from app.extensions import csrf

api = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")
# Token-authenticated requests carry no cookie session, so CSRF does not apply.
csrf.exempt(api)

#: Endpoints that answer without a token: the API's document and its docs page.
PUBLIC_ENDPOINTS = {"api.openapi", "api.docs"}


class ApiError(Exception):
    """An error answered as JSON: {"code": …, "message": …, "errors": {…}}."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or {}


def error_response(status: int, code: str, message: str, errors: dict | None = None):
    # {field: [text, …]} as the OpenAPI document says, even for errors of list items.
    body = {"code": code, "message": message, "errors": flatten_errors(errors or {})}
    response = jsonify(body)
    response.status_code = status
    return response


@api.errorhandler(ApiError)
def handle_api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.errors)


@api.errorhandler(ValidationError)
def handle_validation_error(error: ValidationError):
    messages = flatten_errors(error.messages)
    names = ", ".join(sorted(messages))
    return error_response(
        422, "invalid_input", f"the request has invalid fields: {names}", messages
    )


@api.errorhandler(HTTPException)
def handle_http_error(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code or 500, code, error.description or error.name)


def current_api_user():
    return g.api_user


def page_args(max_per_page: int = 100) -> tuple[int, int]:
    """Read ?page= and ?per_page= (at most `max_per_page`), or raise a 422 ApiError."""
    errors = {}
    values = {}
    for name, default, upper in (("page", 1, MAX_INT), ("per_page", 20, max_per_page)):
        raw = request.args.get(name, str(default))
        try:
            values[name] = parse_int(raw, minimum=1, maximum=upper)
        except ValueError as error:
            errors[name] = [f"{error}, got {raw[:40]!r}"]
    if errors:
        raise ApiError(422, "invalid_input", "invalid pagination", errors)
    return values["page"], values["per_page"]


def paginated(statement, schema, page: int, per_page: int) -> dict:
    """Run a select() one page at a time: {"items", "total", "page", "per_page"}."""
    from app.extensions import db

    result = db.paginate(statement, page=page, per_page=per_page, error_out=False, count=True)
    return {
        "items": schema.dump(result.items, many=True),
        "total": result.total,
        "page": page,
        "per_page": per_page,
    }
