"""The OpenAPI 3 document of /api/v1, built from the same marshmallow schemas the API uses.

The domains add their parts (add_schemas, add_paths) when their package attaches its API
routes (each package's `blueprints()`), so this module imports none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify, render_template
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.api.base import api
from app.core.validation import MAX_INT

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "example": "stale_version"},
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["code", "message", "errors"],
}


def _page_of(schema: str) -> dict:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer", "maximum": 100},
        },
    }


def _errors(*statuses: int) -> dict:
    text = {
        400: "Malformed request",
        401: "Missing, invalid or revoked token",
        403: "Not allowed for your role",
        404: "No such case (or not yours)",
        409: "illegal_transition or stale_version",
        422: "Invalid input",
    }
    return {
        str(status): {
            "description": text[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status in statuses
    }


def _json(schema: str | dict) -> dict:
    ref = schema if isinstance(schema, dict) else {"$ref": f"#/components/schemas/{schema}"}
    return {"content": {"application/json": {"schema": ref}}}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "in": "query",
        "name": name,
        "description": description,
        "schema": schema or {"type": "string"},
    }


CASE_ID = {
    "in": "path",
    "name": "case_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
}

CASE_ID_OR_CODE = {
    **CASE_ID,
    "description": "The case's numeric id, or its tracking code (`HCM-7K3M-Q9XW5`): "
    "the same answer and the same access rules either way",
    "schema": {
        "oneOf": [
            CASE_ID["schema"],
            {"type": "string", "pattern": "^HCM-[0-9A-Z]{4}-[0-9A-Z]{5}$"},
        ]
    },
}


#: Component schemas (name, marshmallow schema), nested ones first so that the plugin refers
#: to them instead of inventing names; added by the cases package.
_SCHEMAS: dict[str, type] = {}


@dataclass(frozen=True)
class _Part:
    rank: int
    paths: Callable[[], dict]
    components: Callable[[], dict] | None


#: Paths (and component schemas written as JSON) that a domain documents itself, by name.
_PARTS: dict[str, _Part] = {}


def add_schemas(named: list[tuple[str, type]]) -> None:
    """Declare component schemas, in order (a nested schema before the ones that use it)."""
    for name, schema in named:
        _SCHEMAS[name] = schema


def add_paths(
    name: str,
    paths: Callable[[], dict],
    *,
    rank: int,
    components: Callable[[], dict] | None = None,
) -> None:
    """Add a domain's paths to the document: `paths()` -> {path: item}, after the cases' and
    units' own (PATHS), ordered by `rank` (the docs page lists them in this order).
    `components()` -> {name: JSON schema} for schemas written as JSON. Adding the same name
    again replaces the part."""
    _PARTS[name] = _Part(rank, paths, components)


def build_spec() -> dict:
    """Assemble the document; cheap enough to build per request, and always current."""
    spec = APISpec(
        title="Social Beat API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Cases, units and triage of Social Beat. Authenticate with "
            "`Authorization: Bearer <token>` (`flask --app wsgi users token EMAIL`)."
        },
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR_SCHEMA)
    for name, schema in _SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for path, operations in PATHS.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    for part in sorted(_PARTS.values(), key=lambda part: part.rank):
        document["paths"].update(part.paths())
        if part.components is not None:
            document["components"]["schemas"].update(part.components())
    _declare_malformed(document)
    return document


def _declare_malformed(document: dict) -> None:
    """Every /api/v1 operation may answer 400: a NUL or invalid Unicode in any parameter."""
    for path, item in document["paths"].items():
        if path.startswith("/open311/"):
            continue  # GeoReport v2 errors, declared in app/public/open311_openapi.py
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("400", _errors(400)["400"])


def _action(
    summary: str, body: str, *errors: int, ok: str = "CaseDetail", held: str | None = None
) -> dict:
    """A POST on a case; `held` documents a 202 (accepted, waiting for approval)."""
    accepted = {"202": {"description": held, **_json(ok)}} if held else {}
    return {
        "post": {
            "summary": summary,
            "parameters": [CASE_ID],
            "requestBody": {"required": True, **_json(body)},
            "responses": {
                "200": {"description": "The updated case", **_json(ok)},
                **accepted,
                **_errors(400, 401, *errors),
            },
        }
    }


LIST_PARAMS = [
    _query("status", "Comma list of statuses"),
    _query("category", "Comma list of category codes"),
    _query("priority", "Comma list: P1,P2,P3,P4"),
    _query("unit", "Responsible unit code"),
    _query("ward", "Ward official code"),
    _query("assignee", "User id, `me` or `none`"),
    _query("q", "Text search; diacritics are optional"),
    _query("created_from", "ISO 8601 date or datetime"),
    _query("created_to", "ISO 8601 date or datetime"),
    _query(
        "sort",
        "created_at, updated_at, last_seen_at, priority, status, mentions, title; '-' reverses",
    ),
    _query("page", "Page number", {"type": "integer", "minimum": 1, "maximum": MAX_INT}),
    _query("per_page", "Items per page", {"type": "integer", "minimum": 1, "maximum": 100}),
]

PATHS = {
    "/units": {
        "get": {
            "summary": "List units",
            "parameters": [
                _query("kind", "department, ward, commune, special_zone, police, city_office"),
                _query("q", "Name search; diacritics are optional"),
                *LIST_PARAMS[-2:],
            ],
            "responses": {
                "200": {"description": "A page of units", **_json(_page_of("Unit"))},
                **_errors(401, 422),
            },
        }
    },
    "/cases": {
        "get": {
            "summary": "List the cases you may see",
            "parameters": LIST_PARAMS,
            "responses": {
                "200": {"description": "A page of cases", **_json(_page_of("Case"))},
                **_errors(401, 422),
            },
        },
        "post": {
            "summary": "Open a case",
            "requestBody": {"required": True, **_json("CaseCreate")},
            "responses": {
                "201": {"description": "The new case", **_json("CaseDetail")},
                **_errors(400, 401, 403, 422),
            },
        },
    },
    "/cases/{case_id}": {
        "get": {
            "summary": "A case with its timeline",
            "parameters": [CASE_ID_OR_CODE],
            "responses": {
                "200": {"description": "The case", **_json("CaseDetail")},
                **_errors(401, 404),
            },
        }
    },
    "/cases/{case_id}/transitions": _action(
        "Move the case along the workflow (202 when the response waits for approval)",
        "Transition",
        403,
        404,
        409,
        422,
        held="The case as it was: the public response waits for a supervisor's approval",
    ),
    "/cases/{case_id}/assign": _action("Assign the case", "Assign", 403, 404, 409, 422),
    "/cases/{case_id}/transfer": _action(
        "Transfer the case to another unit", "Transfer", 403, 404, 409, 422
    ),
    "/cases/{case_id}/comments": {
        "post": {
            "summary": "Add an internal note or a public reply",
            "description": "In a unit that requires approval, a public reply by an officer is "
            "held for a supervisor: 202 with the held `public_note_submitted` event; citizens "
            "see it only after approval (`/cases/{case_id}/comments/{event_id}/approval`).",
            "parameters": [CASE_ID],
            "requestBody": {"required": True, **_json("Comment")},
            "responses": {
                "201": {"description": "The note, published or internal", **_json("Event")},
                "202": {"description": "The public note, held for approval", **_json("Event")},
                **_errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/cases/{case_id}/comments/{event_id}/approval": {
        "post": {
            "summary": "Publish (approve) or reject (approve: false, note: the reason) a held "
            "public note",
            "parameters": [
                CASE_ID,
                {
                    "in": "path",
                    "name": "event_id",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
                },
            ],
            "requestBody": {"required": True, **_json("Approval")},
            "responses": {
                "200": {"description": "The updated case", **_json("CaseDetail")},
                **_errors(400, 401, 403, 404, 409, 422),
            },
        }
    },
    "/cases/{case_id}/merge": _action(
        "Merge this case into another as a duplicate", "Merge", 403, 404, 409, 422
    ),
    "/cases/{case_id}/response-approval": _action(
        "Approve or return a response waiting for approval", "Approval", 403, 404, 409, 422
    ),
}


@api.get("/openapi.json")
def openapi():
    return jsonify(build_spec())


def operation_url(document: dict, path: str, operation: dict) -> str:
    """Where an operation really answers: its own servers, its path item's, else the document's.

    The path is appended to the server URL (OpenAPI 3), without doubling the slash: Open311
    declares the server "/" and answers at /open311/v2/…, not under /api/v1.
    """
    item = document["paths"].get(path, {})
    servers = operation.get("servers") or item.get("servers") or document.get("servers") or []
    root = servers[0]["url"] if servers else ""
    return root.rstrip("/") + path


def docs_entries(document: dict) -> list[dict]:
    """Each operation of the document with its real URL, in the document's order."""
    entries = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS and isinstance(operation, dict):
                url = operation_url(document, path, operation)
                entries.append({"method": method, "path": path, "url": url, "operation": operation})
    return entries


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
#: CommonMark without raw HTML (it is shown as text) and with markdown-it's link check
#: (no javascript:, vbscript:, file: or data: links): descriptions are our own text, but
#: the page must not trust them.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


@api.app_template_filter("api_markdown")
def render_markdown(text: str | None) -> Markup:
    """A description's Markdown as safe HTML (blocks: paragraphs, lists, code)."""
    return Markup(_MARKDOWN.render(text or ""))


@api.app_template_filter("api_markdown_inline")
def render_markdown_inline(text: str | None) -> Markup:
    """A one-line description's Markdown as safe HTML (no paragraph around it)."""
    return Markup(_MARKDOWN.renderInline(text or ""))


@api.get("/docs")
def docs():
    document = build_spec()
    return render_template("api/docs.html", spec=document, entries=docs_entries(document))
