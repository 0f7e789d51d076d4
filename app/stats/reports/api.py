"""/api/v1/reports: list, read, download (PDF, XLSX) and make reports.

Supervisors, analysts and admins read the scheduled reports; on-demand reports are read by
whoever made them, and by analysts and admins. Officers get 403.
"""

from flask import Response, jsonify, request
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from app.api import ApiError, api, current_api_user, page_args, paginated
from app.core.validation import MAX_INT
from app.extensions import db
from app.stats.models import REPORT_KINDS, Report
from app.stats.reports import documents, making, pdf, xlsx
from app.stats.reports.access import can_read, can_read_reports, readable_reports
from app.stats.reports.common import ReportInputError
from app.stats.reports.schemas import (
    ReportDetailSchema,
    ReportFormatArgsSchema,
    ReportLanguageArgsSchema,
    ReportListArgsSchema,
    ReportRequestSchema,
    ReportSchema,
    report_params,
)


def _require_reader():
    user = current_api_user()
    if not can_read_reports(user):
        raise ApiError(403, "forbidden", "reports are for supervisors, analysts and admins")
    return user


def _report(report_id: int) -> Report:
    user = _require_reader()
    report = db.session.get(Report, report_id)
    if report is None or not can_read(user, report):
        raise ApiError(404, "not_found", "no such report")
    return report


def _query(schema: Schema, message: str) -> dict:
    """The query arguments that `schema` reads; an invalid one is a 422 in the API's shape,
    {"code": "invalid_input", "message": message, "errors": {name: [text]}}."""
    try:
        return schema.load(request.args)
    except ValidationError as error:
        raise ApiError(422, "invalid_input", message, error.messages) from error


def _download(report: Report, fmt: str) -> Response:
    if report.status != "ready":
        raise ApiError(409, "report_failed", report.error or "this report could not be made")
    # The language of a download: ?lang= (vi or en), Vietnamese by default.
    locale = _query(ReportLanguageArgsSchema(), "invalid language")["lang"]
    body, mimetype = documents.render(report, fmt, locale)
    name = documents.filename(report, fmt, locale)
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@api.get("/reports")
def list_reports():
    user = _require_reader()
    page, per_page = page_args()
    kind = _query(ReportListArgsSchema(), "invalid kind")["kind"]
    statement = readable_reports(select(Report), user)
    if kind:
        statement = statement.where(Report.kind == kind)
    statement = statement.order_by(Report.created_at.desc(), Report.id.desc())
    return jsonify(paginated(statement, ReportSchema(), page, per_page))


@api.get("/reports/<int:report_id>")
def get_report(report_id: int):
    report = _report(report_id)
    fmt = _query(ReportFormatArgsSchema(), "invalid format")["format"]
    if fmt:
        return _download(report, fmt)
    return jsonify(ReportDetailSchema().dump(report))


@api.get("/reports/<int:report_id>.pdf")
def get_report_pdf(report_id: int):
    return _download(_report(report_id), "pdf")


@api.get("/reports/<int:report_id>.xlsx")
def get_report_xlsx(report_id: int):
    return _download(_report(report_id), "xlsx")


@api.post("/reports")
def create_report():
    user = _require_reader()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "send a JSON object with Content-Type: application/json")
    data = ReportRequestSchema().load(body)
    try:
        report = making.generate(
            data["kind"], at=data.get("at"), params=report_params(data), user=user
        )
    except ReportInputError as error:
        raise ApiError(422, "invalid_input", str(error), error.errors) from error
    return jsonify(ReportDetailSchema().dump(report)), 201


def openapi_paths() -> dict:
    """The OpenAPI operations of /reports, for app/api/openapi.py."""
    error = {"$ref": "#/components/schemas/Error"}

    def errors(*statuses: int) -> dict:
        text = {
            400: "Malformed request",
            401: "Missing, invalid or revoked token",
            403: "Reports are for supervisors, analysts and admins",
            404: "No such report (or not yours)",
            409: "The report could not be made",
            422: "Invalid input",
        }
        return {
            str(s): {"description": text[s], "content": {"application/json": {"schema": error}}}
            for s in statuses
        }

    report_id = {
        "in": "path",
        "name": "report_id",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
    }
    lang = {
        "in": "query",
        "name": "lang",
        "description": "Language of the document: vi (default) or en",
        "schema": {"type": "string", "enum": list(documents.LOCALES)},
    }
    report = {"$ref": "#/components/schemas/Report"}
    detail = {"$ref": "#/components/schemas/ReportDetail"}

    def download(mimetype: str, summary: str) -> dict:
        return {
            "get": {
                "summary": summary,
                "tags": ["reports"],
                "parameters": [report_id, lang],
                "responses": {
                    "200": {
                        "description": "The document",
                        "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **errors(401, 403, 404, 409, 422),
                },
            }
        }

    return {
        "/reports": {
            "get": {
                "summary": "List reports, newest first",
                "tags": ["reports"],
                "parameters": [
                    {
                        "in": "query",
                        "name": "kind",
                        "schema": {"type": "string", "enum": list(REPORT_KINDS)},
                    },
                    {
                        "in": "query",
                        "name": "page",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
                    },
                    {
                        "in": "query",
                        "name": "per_page",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A page of reports",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "items": {"type": "array", "items": report},
                                        "total": {"type": "integer"},
                                        "page": {"type": "integer"},
                                        "per_page": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                    **errors(401, 403, 422),
                },
            },
            "post": {
                "summary": "Make a report now: morning_digest, evening_report or custom "
                "(a topic, a case or a date range)",
                "tags": ["reports"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ReportRequest"},
                            "examples": {
                                "evening": {"value": {"kind": "evening_report"}},
                                "topic": {
                                    "value": {
                                        "kind": "custom",
                                        "topic": "ngập nước, triều cường",
                                        "from": "2026-11-01",
                                        "to": "2026-11-07",
                                    }
                                },
                                "case": {"value": {"kind": "custom", "case": "HCM-7K3M-Q9XW"}},
                            },
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "The report, with its data",
                        "content": {"application/json": {"schema": detail}},
                    },
                    **errors(400, 401, 403, 422),
                },
            },
        },
        "/reports/{report_id}": {
            "get": {
                "summary": "A report with its data (or the document with ?format=pdf|xlsx)",
                "tags": ["reports"],
                "parameters": [
                    report_id,
                    {
                        "in": "query",
                        "name": "format",
                        "schema": {"type": "string", "enum": list(documents.FORMATS)},
                    },
                    lang,
                ],
                "responses": {
                    "200": {
                        "description": "The report",
                        "content": {"application/json": {"schema": detail}},
                    },
                    **errors(401, 403, 404, 422),
                },
            }
        },
        "/reports/{report_id}.pdf": download(pdf.MIMETYPE, "A report as PDF"),
        "/reports/{report_id}.xlsx": download(xlsx.MIMETYPE, "A report as XLSX"),
    }


def openapi_components() -> dict:
    """The component schemas the /reports operations refer to, built from the same marshmallow
    schemas the API loads and dumps with."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec(
        title="reports", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()]
    )
    for name, schema in (
        ("ReportRequest", ReportRequestSchema),
        ("Report", ReportSchema),
        ("ReportDetail", ReportDetailSchema),
    ):
        spec.components.schema(name, schema=schema)
    return spec.to_dict()["components"]["schemas"]
