"""The Open311 GeoReport v2 endpoints, described for the OpenAPI document of /api/v1."""

from app.public.open311_format import REQUEST_FIELDS, SERVICE_FIELDS

FORMAT = {
    "in": "path",
    "name": "format",
    "required": True,
    "schema": {"type": "string", "enum": ["json", "xml"]},
    "description": "json (application/json) or xml (text/xml)",
}
JURISDICTION = {
    "in": "query",
    "name": "jurisdiction_id",
    "schema": {"type": "string"},
    "description": "Accepted; must be this server's jurisdiction when given",
}
ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


def _list_of(fields) -> dict:
    return {"type": "array", "items": {"type": "object", "properties": {f: {} for f in fields}}}


def _answer(description: str, schema: dict, *errors: int) -> dict:
    responses = {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": schema}, "text/xml": {}},
        }
    }
    # 400 everywhere: a malformed value (a NUL character, say) in any parameter.
    for status in sorted({400, *errors}):
        responses[str(status)] = {
            "description": "GeoReport v2 error list",
            "content": {"application/json": {"schema": ERRORS}, "text/xml": {}},
        }
    return responses


def _query(name: str, description: str) -> dict:
    return {"in": "query", "name": name, "schema": {"type": "string"}, "description": description}


def _path(name: str, description: str) -> dict:
    return {
        "in": "path",
        "name": name,
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


def open311_paths() -> dict:
    """Path items under /open311/v2, each with its own server root (no bearer token needed)."""
    root = {}
    no_auth = {"security": [], "servers": [{"url": "/"}], "tags": ["Open311 GeoReport v2"]}
    requests_params = [
        _query("service_request_id", "Comma list of ids; the other filters are then ignored"),
        _query("service_code", "Comma list of service codes"),
        _query("start_date", "W3C date-time; default: 90 days before end_date or now"),
        _query("end_date", "W3C date-time"),
        _query("status", "open, closed, or both (comma list)"),
    ]
    post_fields = {
        "api_key": {"type": "string", "description": "A Social Beat API token"},
        "service_code": {"type": "string"},
        "lat": {"type": "number"},
        "long": {"type": "number"},
        "address_string": {"type": "string"},
        "address_id": {"type": "string"},
        "attribute[place]": {"type": "string"},
        "description": {"type": "string", "maxLength": 4000},
        "media_url": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "email": {"type": "string"},
        "phone": {"type": "string"},
        "device_id": {"type": "string"},
        "account_id": {"type": "string"},
        "jurisdiction_id": {"type": "string"},
    }
    return {
        "/open311/v2/discovery.{format}": {
            **root,
            "get": {
                **no_auth,
                "summary": "Open311 discovery",
                "parameters": [FORMAT],
                "responses": _answer("Endpoints and formats", {"type": "object"}),
            },
        },
        "/open311/v2/services.{format}": {
            **root,
            "get": {
                **no_auth,
                "summary": "Open311 services: the categories",
                "parameters": [FORMAT, JURISDICTION],
                "responses": _answer("Services", _list_of(SERVICE_FIELDS)),
            },
        },
        "/open311/v2/services/{service_code}.{format}": {
            **root,
            "get": {
                **no_auth,
                "summary": "Open311 service definition (its attributes)",
                "parameters": [_path("service_code", "A category code"), FORMAT, JURISDICTION],
                "responses": _answer("The definition", {"type": "object"}, 404),
            },
        },
        "/open311/v2/requests.{format}": {
            **root,
            "get": {
                **no_auth,
                "summary": "Open311 service requests with a public response (at most 1,000)",
                "parameters": [FORMAT, JURISDICTION, *requests_params],
                "responses": _answer("Service requests", _list_of(REQUEST_FIELDS), 400),
            },
            "post": {
                **no_auth,
                "summary": "File an Open311 service request (needs api_key); it is a case at "
                "once: answers its service_request_id and a token",
                "parameters": [FORMAT],
                "requestBody": {
                    "required": True,
                    "content": {
                        kind: {
                            "schema": {
                                "type": "object",
                                "properties": post_fields,
                                "required": ["api_key", "service_code"],
                            }
                        }
                        for kind in ("application/x-www-form-urlencoded", "application/json")
                    },
                },
                "responses": {
                    **_answer(
                        "[{service_request_id, token, service_notice, account_id, feedback_url}]",
                        _list_of(
                            (
                                "service_request_id",
                                "token",
                                "service_notice",
                                "account_id",
                                "feedback_url",
                            )
                        ),
                        400,
                        403,
                    ),
                    "201": {
                        "description": "[{service_request_id, token, service_notice, "
                        "account_id, feedback_url}]: service_request_id is the case the request "
                        "opened or joined, received with the service_code as its category; "
                        "feedback_url is the citizen's secret link to confirm or refuse the "
                        "solution, given only in this answer"
                    },
                },
            },
        },
        "/open311/v2/requests/{service_request_id}.{format}": {
            **root,
            "get": {
                **no_auth,
                "summary": "One Open311 service request by id (the tracking code)",
                "parameters": [
                    _path("service_request_id", "The tracking code"),
                    FORMAT,
                    JURISDICTION,
                ],
                "responses": _answer("The request", _list_of(REQUEST_FIELDS), 404),
            },
        },
        "/open311/v2/tokens/{token}.{format}": {
            **root,
            "get": {
                **no_auth,
                "summary": "The service_request_id a token leads to (the case it opened or joined)",
                "parameters": [_path("token", "The token POST answered"), FORMAT, JURISDICTION],
                "responses": _answer(
                    "[{service_request_id, token}]", _list_of(("service_request_id", "token")), 404
                ),
            },
        },
    }
