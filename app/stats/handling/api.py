"""/api/v1/stats/handling-time and /api/v1/stats/backlog: thin handlers over queries.py.

schemas.py reads the query arguments; a bad one is a 400 `invalid_parameter` naming it.
"""

from flask import jsonify, request
from flask_babel import force_locale
from marshmallow import ValidationError

from app.api import ApiError, api, current_api_user
from app.core.formatting import language
from app.core.time import ZONE_NAME
from app.core.vocabulary import CATEGORIES
from app.stats.handling import queries, schemas
from app.stats.handling.periods import PERIODS

HANDLING_PARAMS = ("stage", "group_by", "period", "from", "to", "unit", "category", "hours")
BACKLOG_PARAMS = ("group_by", "unit", "category")
#: Accepted everywhere: the language of the labels.
COMMON_PARAMS = ("lang",)


def _bad_request(error: ValidationError) -> ApiError:
    """The schema's messages, in English, in the API's error shape."""
    with force_locale("en"):
        messages = {name: [str(text) for text in found] for name, found in error.messages.items()}
    return ApiError(400, "invalid_parameter", "invalid query parameters", messages)


def _check_names(allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.args) - set(allowed) - set(COMMON_PARAMS))
    if unknown:
        raise ApiError(
            400,
            "invalid_parameter",
            f"unknown query parameters: {', '.join(unknown)}",
            {name: [f"not a parameter; use {', '.join(allowed)}"] for name in unknown},
        )


@api.get("/stats/handling-time")
def stats_handling_time():
    _check_names(HANDLING_PARAMS)
    try:
        query, basis = schemas.parse_handling_api(request.args)
    except ValidationError as error:
        raise _bad_request(error) from error
    result = queries.handling_time(current_api_user(), query, language())
    scope = query.scope
    return jsonify(
        {
            "stage": query.stage,
            "group_by": query.group_by,
            "period": query.period if query.group_by == "period" else None,
            "hours": basis,
            "from": scope.start.isoformat(),
            "to": scope.end.isoformat(),
            "unit": scope.unit.code if scope.unit else None,
            "category": scope.category,
            "rows": [row.as_dict(basis) for row in result.rows],
            "total": result.total.as_dict(basis),
        }
    )


@api.get("/stats/backlog")
def stats_backlog():
    _check_names(BACKLOG_PARAMS)
    try:
        group_by, scope = schemas.parse_backlog(request.args)
    except ValidationError as error:
        raise _bad_request(error) from error
    result = queries.backlog(
        current_api_user(),
        group_by,
        unit=scope.unit,
        category=scope.category,
        locale=language(),
    )
    return jsonify(
        {
            "group_by": group_by,
            "as_of": result.now.isoformat(),
            "buckets": result.buckets,
            "rows": [row.as_dict() for row in result.rows],
            "total": result.total.as_dict(),
        }
    )


# -- the OpenAPI document -------------------------------------------------------------


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "in": "query",
        "name": name,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _enum(*values: str, default: str | None = None) -> dict:
    schema = {"type": "string", "enum": list(values)}
    if default:
        schema["default"] = default
    return schema


_HOURS = {
    "type": "object",
    "properties": {
        "median_hours": {"type": "number", "nullable": True},
        "p90_hours": {"type": "number", "nullable": True},
        "mean_hours": {"type": "number", "nullable": True},
    },
}
HANDLING_ROW = {
    "type": "object",
    "description": "One group. Hours are rounded to 0.01; median and p90 interpolate linearly "
    "between the closest ranks (PostgreSQL percentile_cont). `median_hours`, `p90_hours` and "
    "`mean_hours` are in the basis `hours` asked for (working hours by default); `working` and "
    "`calendar` give both. `within_sla_pct` is the share of the rows measured by an SLA clock "
    "that met its target (null when none was).",
    "properties": {
        "key": {
            "type": "string",
            "nullable": True,
            "description": "unit, ward or former-district code; category or source code; "
            "the local start date of the period (ISO 8601); null for no ward/district",
        },
        "label": {"type": "string"},
        "count": {"type": "integer"},
        "median_hours": {"type": "number", "nullable": True},
        "p90_hours": {"type": "number", "nullable": True},
        "mean_hours": {"type": "number", "nullable": True},
        "within_sla_pct": {"type": "number", "nullable": True},
        "on_time_count": {"type": "integer"},
        "sla_measured_count": {"type": "integer"},
        "working": _HOURS,
        "calendar": _HOURS,
    },
    "required": ["key", "label", "count", "median_hours", "p90_hours", "within_sla_pct"],
}
BACKLOG_ROW = {
    "type": "object",
    "properties": {
        "key": {
            "type": "string",
            "nullable": True,
            "description": "unit, category or ward code; null for the cases without a ward",
        },
        "label": {"type": "string"},
        "total": {"type": "integer"},
        "buckets": {
            "type": "object",
            "description": "open cases per age bucket key",
            "additionalProperties": {"type": "integer"},
        },
    },
}
_ERROR = {
    "description": "A bad or unknown parameter (code `invalid_parameter`, `errors` per parameter)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_UNAUTHORIZED = {
    "description": "Missing, invalid or revoked token",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_SCOPE_NOTE = (
    " Officers get their unit's figures, supervisors their unit's subtree, analysts and "
    "admins every unit."
)


def stats_paths() -> dict:
    """The paths of this module for app/api/openapi.py."""
    unit = _query("unit", "A unit code: only that unit and the units under it")
    category = _query("category", "A category code", _enum(*CATEGORIES))
    return {
        "/stats/handling-time": {
            "get": {
                "summary": "Handling time per stage: count, median, p90, mean, on-time %",
                "description": "Stages run from the receipt of a case (or its reopening) to "
                "verified, resolved or publicly responded, as the timeline and the SLA clocks "
                "record them. A case counts in the range when it reached the stage in it. "
                f"Dates and periods are local to {ZONE_NAME}." + _SCOPE_NOTE,
                "parameters": [
                    _query(
                        "group_by",
                        "What each row is",
                        _enum(*queries.GROUPS, default="unit"),
                    ),
                    _query(
                        "stage",
                        "receipt → verified, → resolved or → responded",
                        _enum("verified", "resolved", "responded", default="resolved"),
                    ),
                    _query(
                        "period",
                        "With group_by=period: day, week (from Monday) or month",
                        _enum(*PERIODS, default="day"),
                    ),
                    _query(
                        "from",
                        "First local day (YYYY-MM-DD, included) or an ISO 8601 instant; "
                        "default 29 days before `to`",
                        {"type": "string", "format": "date"},
                    ),
                    _query(
                        "to",
                        "Last local day (YYYY-MM-DD, included) or an ISO 8601 instant "
                        "(excluded); default today",
                        {"type": "string", "format": "date"},
                    ),
                    unit,
                    category,
                    _query(
                        "hours",
                        "The basis of the top-level median_hours, p90_hours and mean_hours",
                        _enum(*queries.BASES, default="working"),
                    ),
                    _query("lang", "Language of the labels", _enum("vi", "en")),
                ],
                "responses": {
                    "200": {
                        "description": "Rows (for group_by=period every period of the range, "
                        "oldest first; otherwise by count, largest first) and the total",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "stage": {"type": "string"},
                                        "group_by": {"type": "string"},
                                        "period": {"type": "string", "nullable": True},
                                        "hours": {"type": "string"},
                                        "from": {"type": "string", "format": "date-time"},
                                        "to": {"type": "string", "format": "date-time"},
                                        "unit": {"type": "string", "nullable": True},
                                        "category": {"type": "string", "nullable": True},
                                        "rows": {"type": "array", "items": HANDLING_ROW},
                                        "total": HANDLING_ROW,
                                    },
                                }
                            }
                        },
                    },
                    "400": _ERROR,
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/stats/backlog": {
            "get": {
                "summary": "Open cases by age since receipt, per unit, category or ward",
                "description": "Buckets: under 1 day, 1–3, 3–7, 7–14, 14–30 and over 30 days."
                + _SCOPE_NOTE,
                "parameters": [
                    _query(
                        "group_by",
                        "What each row is",
                        _enum(*queries.BACKLOG_GROUPS, default="unit"),
                    ),
                    unit,
                    category,
                    _query("lang", "Language of the labels", _enum("vi", "en")),
                ],
                "responses": {
                    "200": {
                        "description": "The buckets, one row per group and the total",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "group_by": {"type": "string"},
                                        "as_of": {"type": "string", "format": "date-time"},
                                        "buckets": {"type": "array", "items": {"type": "object"}},
                                        "rows": {"type": "array", "items": BACKLOG_ROW},
                                        "total": BACKLOG_ROW,
                                    },
                                }
                            }
                        },
                    },
                    "400": _ERROR,
                    "401": _UNAUTHORIZED,
                },
            }
        },
    }
