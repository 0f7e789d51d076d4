"""GET /api/v1/units?kind=&q=: list units, searching names without regard to accents."""

from flask import jsonify, request
from sqlalchemy.orm import selectinload

from app.api import ApiError, api, page_args, paginated
from app.core.validation import check_text
from app.units.models import Unit, UnitKind
from app.units.operations import search_units
from app.units.schemas import UnitSchema

#: The longest name search: longer than any unit's name, in any spelling.
MAX_QUERY = 200


@api.get("/units")
def list_units():
    kind = request.args.get("kind") or None
    if kind and kind not in UnitKind.__members__:
        raise ApiError(
            422,
            "invalid_input",
            "unknown unit kind",
            {"kind": [f"one of {', '.join(UnitKind.__members__)}"]},
        )
    page, per_page = page_args()
    q = request.args.get("q")
    try:
        check_text(q or "", max_length=MAX_QUERY)
    except ValueError as error:
        raise ApiError(422, "invalid_input", "invalid search", {"q": [str(error)]}) from None
    statement = search_units(kind, q).options(
        selectinload(Unit.parent), selectinload(Unit.former_districts)
    )
    return jsonify(paginated(statement, UnitSchema(), page, per_page))
