"""/api/v1/trends: hot topics, spike alerts, sentiment share and press-versus-social spread.

Trends aggregate posts, so they are for supervisors, analysts and admins (supervisors see the
hot cases of their own units only). The spread of a case is for whoever may see the case;
the spread of a topic is for supervisors, analysts and admins.
"""

from flask import jsonify, request
from flask_babel import force_locale
from marshmallow import ValidationError
from sqlalchemy import select

from app.api import ApiError, api, current_api_user
from app.cases import permissions
from app.cases.models import Case
from app.core.validation import parse_int
from app.extensions import db
from app.models import utcnow
from app.stats.trends import hot_topics, maths, queries, schemas, spikes, spread
from app.stats.trends.access import TREND_ROLES

MAX_LIMIT = 50
#: Hot keywords are recomputed at most this often.
CACHE_SECONDS = 300


def _bad(field: str, message: str) -> ApiError:
    return ApiError(
        400, "bad_request", f"invalid parameter '{field}': {message}", {field: [message]}
    )


def _bad_request(error: ValidationError) -> ApiError:
    """The schema's first message, in English, in the trends' error shape."""
    field, found = next(iter(error.messages.items()))
    with force_locale("en"):
        return _bad(field, str(found[0]))


def _require_trend_role(user) -> None:
    if user.role not in TREND_ROLES:
        raise ApiError(403, "forbidden", "trends are for supervisors, analysts and admins")


def _limit() -> int:
    try:
        return parse_int(request.args.get("limit", "10"), maximum=MAX_LIMIT)
    except ValueError:
        raise _bad("limit", f"must be an integer between 1 and {MAX_LIMIT}") from None


def _range(now, default_days=maths.DEFAULT_RANGE_DAYS, max_days=maths.MAX_RANGE_DAYS):
    try:
        return schemas.parse_range(request.args, now, default_days=default_days, max_days=max_days)
    except ValidationError as error:
        raise _bad_request(error) from None


@api.get("/trends")
def get_trends():
    user = current_api_user()
    _require_trend_role(user)
    now = utcnow()
    try:
        window = schemas.parse_window(request.args)
    except ValidationError as error:
        raise _bad_request(error) from None
    limit = _limit()
    start, end = _range(now)
    hot = hot_topics.hot_topics(
        now, window, limit, unit_ids=permissions.visible_unit_ids(user), cache_seconds=CACHE_SECONDS
    )
    return jsonify(
        {
            "window": {
                "hours": window,
                "start": hot["window_start"],
                "end": hot["window_end"],
            },
            "range": {"from": queries.iso(start), "to": queries.iso(end)},
            "hot_topics": {"cases": hot["cases"], "keywords": hot["keywords"]},
            "spikes": spikes.recent_spikes(start, end),
            "sentiment": queries.sentiment_share(start, end),
            "volume": queries.volume_by_channel(start, end),
        }
    )


@api.get("/trends/spread")
def get_spread():
    user = current_api_user()
    code = (request.args.get("case") or "").strip()
    q = (request.args.get("q") or "").strip()
    if code and q:
        raise _bad("case", "give either 'case' or 'q', not both")
    if not code and not q:
        raise _bad("q", "give 'case' (a case code) or 'q' (a topic)")
    if code:
        case = db.session.scalar(select(Case).where(Case.code == code.upper()))
        if case is None or not permissions.can_see(user, case):
            raise ApiError(404, "not_found", f"no case {code!r} that you may see")
        return jsonify(spread.spread_for_case(case))
    _require_trend_role(user)
    if len(q) > spread.MAX_QUERY_LENGTH or not spread.topic_terms(q):
        raise _bad("q", f"must hold words, at most {spread.MAX_QUERY_LENGTH} characters")
    start, end = _range(utcnow(), default_days=7, max_days=spread.MAX_TOPIC_DAYS)
    return jsonify(spread.spread_for_topic(q, start, end))


# -- the OpenAPI document ---------------------------------------------------------------

_ISO = {"type": "string", "format": "date-time"}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_SHARES = {"type": "object", "additionalProperties": {"type": "number", "nullable": True}}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _object(**properties) -> dict:
    return {"type": "object", "properties": properties}


_PERIOD = _object(start=_ISO, end=_ISO, label={"type": "string", "example": "2026-12-09"})
_HOT_CASE = _object(
    case_id={"type": "integer"},
    code={"type": "string"},
    title={"type": "string"},
    category={"type": "string"},
    status={"type": "string"},
    mention_count={"type": "integer"},
    first_seen_at=_ISO,
    volume={"type": "integer", "description": "Mentions (posts) in the window"},
    baseline={"type": "number", "description": "Mentions expected in a window that long"},
    growth={"type": "number", "description": "(volume + 1) / (baseline + 1)"},
)
_KEYWORD = _object(
    related=_array({"type": "string"}),
    term={"type": "string", "description": "Folded: lower case, no diacritics"},
    display={"type": "string", "description": "Its most frequent written form"},
    volume={"type": "integer", "description": "Posts with the term in the window"},
    baseline={"type": "number"},
    growth={"type": "number"},
)
_SPIKE = _object(
    id={"type": "integer"},
    dimension={"type": "string", "enum": list(spikes.SPIKE_DIMENSIONS)},
    key={"type": "string", "description": "Category code, ward code or watchlist id"},
    label={"type": "string"},
    window_end=_ISO,
    volume={"type": "integer", "description": "Posts in the 24 h before window_end"},
    baseline_mean={"type": "number", "description": "Mean daily posts over the 7 days before"},
    baseline_std={"type": "number", "description": "Sample standard deviation of those days"},
    k={"type": "number"},
    threshold={"type": "number", "description": "baseline_mean + k × baseline_std"},
    created_at=_ISO,
)
_CHANNEL = _object(
    channel={"type": "string", "enum": list(queries.CHANNELS)},
    posts={"type": "integer"},
    first_seen_at={**_ISO, "nullable": True},
    first_post={"type": "object", "nullable": True},
    lag_hours={"type": "number", "nullable": True, "description": "After the first channel"},
    likes={"type": "integer"},
    shares={"type": "integer"},
    comments={"type": "integer"},
    views={"type": "integer"},
    interactions={"type": "integer", "description": "likes + shares + comments"},
    reach={
        "type": "integer",
        "description": "Sum over posts of views when reported, else likes + shares + comments",
    },
)
TRENDS_SCHEMA = _object(
    window=_object(hours={"type": "integer"}, start=_ISO, end=_ISO),
    range={"type": "object", "properties": {"from": _ISO, "to": _ISO}},
    hot_topics=_object(cases=_array(_HOT_CASE), keywords=_array(_KEYWORD)),
    spikes=_array(_SPIKE),
    sentiment=_object(
        granularity={"type": "string", "enum": ["day", "week"]},
        periods=_array(
            {
                **_PERIOD,
                "properties": {
                    **_PERIOD["properties"],
                    "counts": _COUNTS,
                    "total": {"type": "integer"},
                    "shares": _SHARES,
                },
            }
        ),
        counts=_COUNTS,
        total={"type": "integer"},
        shares=_SHARES,
    ),
    volume=_object(
        granularity={"type": "string", "enum": ["day", "week"]},
        periods=_array(
            {
                **_PERIOD,
                "properties": {
                    **_PERIOD["properties"],
                    "counts": _COUNTS,
                    "total": {"type": "integer"},
                },
            }
        ),
        counts=_COUNTS,
        total={"type": "integer"},
    ),
)
SPREAD_SCHEMA = _object(
    subject={
        "type": "object",
        "description": "{kind: case, case_id, code, title} or {kind: topic, q, terms}",
    },
    start={**_ISO, "nullable": True},
    end={**_ISO, "nullable": True},
    granularity={"type": "string", "enum": ["hour", "day", "week"], "nullable": True},
    buckets=_array(_PERIOD),
    series={
        "type": "object",
        "description": "Posts per bucket for each channel",
        "additionalProperties": _array({"type": "integer"}),
    },
    channels=_array(_CHANNEL),
    first_channel={"type": "string", "nullable": True},
    total_posts={"type": "integer"},
    total_reach={"type": "integer"},
)


def _param(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "in": "query",
        "name": name,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_RANGE_PARAMS = [
    _param("from", "ISO 8601 date (a local day) or datetime; default 30 days before `to`"),
    _param("to", "ISO 8601 date (inclusive) or datetime; default now"),
]


def openapi_paths() -> dict:
    """The trends paths for app/api/openapi.py."""
    return {
        "/trends": {
            "get": {
                "summary": "Hot topics, spike alerts, sentiment share and volume by channel",
                "description": "For supervisors, analysts and admins. Hot topics compare the "
                "last `window` hours with the average of the 7 days before; spikes and the "
                "daily series cover `from`–`to`.",
                "parameters": [
                    _param("window", "Hot-topic window: hours (24, 24h) or days (7d), at most 168"),
                    _param(
                        "limit",
                        "Hot cases and keywords, 1–50 (default 10)",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    ),
                    *_RANGE_PARAMS,
                ],
                "responses": {
                    "200": {
                        "description": "Trends",
                        "content": {"application/json": {"schema": TRENDS_SCHEMA}},
                    },
                    "400": _error("A malformed parameter"),
                    "401": _error("Missing, invalid or revoked token"),
                    "403": _error("Not allowed for your role"),
                },
            }
        },
        "/trends/spread": {
            "get": {
                "summary": "Press versus social media: volume, first seen and reach by channel",
                "description": "Give `case` (a case you may see) or `q` (a topic: phrases "
                "separated by commas, for supervisors, analysts and admins, with "
                "`from`/`to`, default the last 7 days, at most 92).",
                "parameters": [
                    _param("case", "A case's tracking code"),
                    _param("q", "A topic: phrases separated by commas; diacritics optional"),
                    *_RANGE_PARAMS,
                ],
                "responses": {
                    "200": {
                        "description": "The spread",
                        "content": {"application/json": {"schema": SPREAD_SCHEMA}},
                    },
                    "400": _error("Neither or both of case and q, or a malformed parameter"),
                    "401": _error("Missing, invalid or revoked token"),
                    "403": _error("A topic, and your role is officer"),
                    "404": _error("No such case (or not yours)"),
                },
            }
        },
    }
