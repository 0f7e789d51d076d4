"""POST /api/v1/triage (stores nothing), its jobs, and GET /api/v1/places/resolve.

POST /api/v1/triage takes {"text": …} or {"texts": [… at most 256]}, each text at
most 5,000 characters (422 naming the field beyond; 413 for a body over
`max_body_bytes`). Each token may make `TRIAGE_API_CALLS_PER_MINUTE` calls a
minute (429 with Retry-After beyond), and each web process runs at most
`TRIAGE_API_CONCURRENCY` calls at once (503 with Retry-After when all are
busy: refused at once, never queued).

* up to `SYNC_MAX_TEXTS` texts: answered at once, 200;
* more: 202 with ``status_url`` (and Location) to poll: GET
  /api/v1/triage/jobs/<id> answers ``pending`` and then ``done`` with the items;
  the worker runs it in chunks (`app.triage.api_jobs`), results are kept an hour.
  Without Redis (jobs inline) there is no worker, and a large call too is
  answered at once with 200 and its items, like a small one.
"""

import hashlib

import redis
from flask import current_app, jsonify, request, url_for
from marshmallow import ValidationError

from app.api import ApiError, api, current_api_user, error_response
from app.collectors.models import SCOPES
from app.jobs import QueueUnavailable, get_queue, redis_connection
from app.triage import api_jobs
from app.triage.limits import Busy, RateLimiter, Slots
from app.triage.model.store import ModelUnavailable
from app.triage.pipeline import analyse, place_of
from app.triage.schemas import MAX_TEXT_CHARS, MAX_TEXTS, PlaceQuerySchema, TriageRequestSchema

#: A call with more texts than this runs as a job (202) when a worker is there.
SYNC_MAX_TEXTS = 16
#: Defaults of the settings (config keys of the same name).
CALLS_PER_MINUTE = 60
CONCURRENCY = 2
#: Every text at its longest, each character escaped in JSON (\\uXXXX), plus room for the rest.
MAX_BODY_BYTES = MAX_TEXTS * MAX_TEXT_CHARS * 6 + 64 * 1024
#: Seconds a refused call is told to wait when every slot is busy.
BUSY_RETRY_AFTER = 5

_rate = RateLimiter()
_slots: dict[int, Slots] = {}


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _slots_of(size: int) -> Slots:
    slots = _slots.get(size)
    if slots is None:
        slots = _slots.setdefault(size, Slots(size, retry_after=BUSY_RETRY_AFTER))
    return slots


def _token_key() -> str:
    """The bearer token's hash: each token has its own budget."""
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _refusal(status: int, code: str, message: str, retry_after: int):
    """An API error that says when to try again."""
    response = error_response(status, code, message)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _read_body() -> dict:
    cap = _setting("TRIAGE_API_MAX_BODY_BYTES", MAX_BODY_BYTES)
    if request.content_length is not None and request.content_length > cap:
        raise ApiError(413, "payload_too_large", f"the body is larger than {cap} bytes")
    request.max_content_length = cap  # also for a body sent without Content-Length
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "send a JSON object with Content-Type: application/json")
    try:
        return TriageRequestSchema().load(body)
    except ValidationError as error:
        raise ApiError(
            422, "invalid_input", "the request has invalid fields", flat_errors(error.messages)
        ) from error


def flat_errors(messages) -> dict[str, list[str]]:
    """Marshmallow's messages as {field: [message, …]}: a list item's index goes in its message."""
    if not isinstance(messages, dict):
        return {"_schema": [str(message) for message in messages]}
    flat = {}
    for field, value in messages.items():
        if isinstance(value, dict):
            flat[str(field)] = [
                f"item {index}: {message}"
                for index, item_messages in value.items()
                for message in (
                    item_messages if isinstance(item_messages, list) else [item_messages]
                )
            ]
        else:
            flat[str(field)] = [str(message) for message in value]
    return flat


@api.post("/triage")
def triage_texts():
    retry_after = _rate.hit(
        _token_key(),
        _setting("TRIAGE_API_CALLS_PER_MINUTE", CALLS_PER_MINUTE),
        60,
        redis_connection(),
    )
    if retry_after is not None:
        return _refusal(429, "rate_limited", "too many triage calls for this token", retry_after)
    data = _read_body()
    texts = data["texts"] if "texts" in data else [data["text"]]
    if len(texts) > SYNC_MAX_TEXTS and redis_connection() is not None:
        return _start_job(texts, data["scope"])
    try:
        with _slots_of(_setting("TRIAGE_API_CONCURRENCY", CONCURRENCY)).hold():
            analyses = analyse(texts, scopes=[data["scope"]] * len(texts))
    except Busy as busy:
        return _refusal(503, "busy", "triage is busy: try again shortly", busy.retry_after)
    except ModelUnavailable:
        return _refusal(503, "model_unavailable", "no triage model is loaded yet", 60)
    results = [analysis.as_json() for analysis in analyses]
    if "text" in data:
        return jsonify(results[0])
    return jsonify({"items": results})


def _start_job(texts: list[str], scope: str):
    from app.triage.tasks import API_QUEUE, triage_api_chunk

    queue = get_queue(API_QUEUE)

    def enqueue_chunk(job_id, index, part, scope):
        queue.enqueue(
            triage_api_chunk,
            args=(job_id, index, part, scope),
            job_timeout=triage_api_chunk.job_timeout,
            result_ttl=0,
        )

    try:
        job_id, expires_at = api_jobs.start(
            redis_connection(), current_api_user().id, texts, scope, enqueue_chunk
        )
    except (QueueUnavailable, redis.RedisError):
        return _refusal(503, "unavailable", "the job queue is unavailable: try again shortly", 30)
    status_url = url_for("api.triage_job", job_id=job_id)
    response = jsonify(
        {
            "job_id": job_id,
            "status": "pending",
            "total": len(texts),
            "status_url": status_url,
            "expires_at": expires_at,
        }
    )
    response.status_code = 202
    response.headers["Location"] = status_url
    return response


@api.get("/triage/jobs/<job_id>")
def triage_job(job_id: str):
    connection = redis_connection()
    try:
        state = api_jobs.state(connection, job_id, current_api_user().id) if connection else None
    except redis.RedisError:
        return _refusal(503, "unavailable", "job results are unavailable: try again shortly", 30)
    if state is None:
        raise ApiError(404, "not_found", "no such triage job (results are kept for an hour)")
    state["status_url"] = url_for("api.triage_job", job_id=job_id)
    return jsonify(state)


@api.get("/places/resolve")
def resolve_place():
    query = PlaceQuerySchema().load(request.args)["q"]
    place = place_of(query)
    if place is None:
        return jsonify(
            {
                "q": query,
                "wards": [],
                "former_district": None,
                "confidence": 0.0,
                "reason": "no HCMC place found",
            }
        )
    return jsonify({"q": query, **place})


def _error(description: str, retry_after: bool = False) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if retry_after:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "relevant": {"type": "boolean"},
        "category": {"type": "string", "nullable": True},
        "confidence": {"type": "number"},
        "relevance_confidence": {"type": "number"},
        "priority": {"type": "string", "nullable": True},
        "sentiment": {"type": "string", "nullable": True},
        "place": {"type": "object"},
        "flags": {"type": "array", "items": {"type": "string"}},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "model_version": {"type": "string"},
        "needs_review": {"type": "boolean"},
    },
}
JOB_SCHEMA = {
    "type": "object",
    "properties": {
        "job_id": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "done", "failed"]},
        "total": {"type": "integer"},
        "processed": {"type": "integer"},
        "status_url": {"type": "string"},
        "expires_at": {"type": "integer", "description": "Unix time when the results go"},
        "items": {"type": "array", "items": RESULT_SCHEMA, "description": "When done"},
        "error": {"type": "string", "description": "When failed"},
    },
    "required": ["job_id", "status", "status_url"],
}


def openapi_paths() -> dict:
    """The paths of POST /triage and its jobs, for app/api/openapi.py."""
    text = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS}
    body = {
        "type": "object",
        "description": "Either `text` or `texts`.",
        "properties": {
            "text": text,
            "texts": {"type": "array", "items": text, "minItems": 1, "maxItems": MAX_TEXTS},
            "scope": {"type": "string", "enum": list(SCOPES), "default": "local"},
        },
    }
    limits = _error("Too many calls for this token (60 a minute by default)", retry_after=True)
    return {
        "/triage": {
            "post": {
                "summary": "Triage texts without storing them",
                "description": (
                    f"At most {MAX_TEXTS} texts of {MAX_TEXT_CHARS} characters. Up to "
                    f"{SYNC_MAX_TEXTS} texts are answered at once (200); more run as a job: 202 "
                    "with `status_url` (also in Location) to poll. Without a job queue (jobs "
                    "inline) a large call is answered at once too, with 200."
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {
                    "200": {
                        "description": "One result for `text`, `{items: [...]}` for `texts`",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "anyOf": [
                                        RESULT_SCHEMA,
                                        {
                                            "type": "object",
                                            "properties": {
                                                "items": {"type": "array", "items": RESULT_SCHEMA}
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "202": {
                        "description": "A job: poll `status_url`",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": JOB_SCHEMA}},
                    },
                    "400": _error("Not a JSON object"),
                    "401": _error("Missing, invalid or revoked token"),
                    "413": _error("The body is too large"),
                    "422": _error("Invalid input: too many texts, a text too long"),
                    "429": limits,
                    "503": _error("Busy, or the job queue is down: try again", retry_after=True),
                },
            }
        },
        "/triage/jobs/{job_id}": {
            "get": {
                "summary": "A triage job: pending, then done with its items (kept an hour)",
                "parameters": [
                    {"in": "path", "name": "job_id", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "The job",
                        "content": {"application/json": {"schema": JOB_SCHEMA}},
                    },
                    "401": _error("Missing, invalid or revoked token"),
                    "404": _error("No such job, expired, or not yours"),
                    "503": _error("The job store is down: try again", retry_after=True),
                },
            }
        },
    }
