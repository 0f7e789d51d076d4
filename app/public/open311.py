"""Open311 GeoReport v2 under /open311/v2, in JSON and XML (the extension picks the format).

Reading needs no key; posting a request needs `api_key`, which is a user's API
token (`flask --app wsgi users token EMAIL`). What is shown follows the
portal's rule (see app/public/__init__.py): lists hold only cases with a public
response; an exact id or token answers for its own case, masked.
"""

import math
from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, request, url_for

from app.cases.models import CATEGORIES, Case
from app.cases.workflow import OPEN_STATUSES
from app.core.codes import normalize_code
from app.core.formatting import language
from app.core.validation import DATE_RANGE_MESSAGE, check_text, parse_datetime
from app.extensions import csrf, db
from app.models import utcnow
from app.public import open311_format as fmt_
from app.public import operations, reports
from app.users.operations import user_for_token

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)

FORMAT = "<any(json, xml):fmt>"
DEFAULT_WINDOW_DAYS = 90
MAX_RESULTS = 1000
#: The longest value of each text field of a POST (description: reports.MAX_DESCRIPTION).
FIELD_LENGTHS = {
    "api_key": 200,
    "jurisdiction_id": 100,
    "service_code": 32,
    "address_string": 500,
    "attribute[place]": 500,
    "address_id": 100,
    "first_name": 100,
    "last_name": 100,
    "phone": 40,
    "email": 254,
    "media_url": 2000,
    "description": 20000,
}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


class Open311Error(Exception):
    """An error answered with the spec's error list."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


@bp.errorhandler(Open311Error)
def _handle(error: Open311Error):
    return fmt_.errors(error.status, error.description, request.view_args.get("fmt", "json"))


def _check_jurisdiction() -> None:
    given = request.args.get("jurisdiction_id") or _text("jurisdiction_id")
    if given and given != current_app.config["OPEN311_JURISDICTION_ID"]:
        raise Open311Error(404, "jurisdiction_id not found")


@bp.get(f"/discovery.{FORMAT}")
def discovery(fmt: str):
    document = {
        "changeset": "2026-11-28T00:00:00+07:00",
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": "Ask the city's Social Beat administrator for an API token.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0],
                "changeset": "2026-11-28T00:00:00+07:00",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return fmt_.render(document, "discovery", fmt)


@bp.get(f"/services.{FORMAT}")
def services(fmt: str):
    _check_jurisdiction()
    return fmt_.render([fmt_.service(code) for code in CATEGORIES], "services", fmt)


@bp.get(f"/services/<service_code>.{FORMAT}")
def service_definition(service_code: str, fmt: str):
    _check_jurisdiction()
    if service_code not in CATEGORIES:
        raise Open311Error(404, f"service_code {service_code} not found")
    return fmt_.render(fmt_.service_definition(service_code), "service_definition", fmt)


def _datetime(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError as error:
        if str(error) == DATE_RANGE_MESSAGE:
            raise Open311Error(400, f"{name} {DATE_RANGE_MESSAGE}") from error
        raise Open311Error(400, f"{name} is not a W3C date-time") from error
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _listed(statement) -> list[dict]:
    cases = db.session.scalars(statement.limit(MAX_RESULTS)).all()
    return [
        fmt_.service_request(operations.to_public(c, with_timeline=False), language())
        for c in cases
    ]


@bp.get(f"/requests.{FORMAT}")
def list_requests(fmt: str):
    _check_jurisdiction()
    ids = [i.strip() for i in request.args.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        found = [operations.find_case(i) for i in ids[:MAX_RESULTS]]
        items = [
            fmt_.service_request(operations.to_public(case, with_timeline=False), language())
            for case in found
            if isinstance(case, Case)
        ]
        return fmt_.render(items, "service_requests", fmt)
    start, end = _datetime("start_date"), _datetime("end_date")
    if start is None:
        start = (end or utcnow()) - timedelta(days=DEFAULT_WINDOW_DAYS)
    statement = operations.listed_cases().where(Case.created_at >= start)
    if end is not None:
        statement = statement.where(Case.created_at <= end)
    codes = [c for c in request.args.get("service_code", "").split(",") if c]
    if codes:
        statement = statement.where(Case.category.in_(codes))
    statuses = {s for s in request.args.get("status", "").split(",") if s}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both")
    if len(statuses) == 1:
        open_values = [s.value for s in OPEN_STATUSES]
        statement = statement.where(
            Case.status.in_(open_values) if "open" in statuses else Case.status.not_in(open_values)
        )
    statement = statement.order_by(Case.created_at.desc(), Case.id.desc())
    return fmt_.render(_listed(statement), "service_requests", fmt)


@bp.get(f"/requests/<request_id>.{FORMAT}")
def get_request(request_id: str, fmt: str):
    _check_jurisdiction()
    found = operations.find_case(request_id)
    if not isinstance(found, Case):
        raise Open311Error(404, f"service_request_id {request_id} not found")
    item = fmt_.service_request(operations.to_public(found, with_timeline=False), language())
    return fmt_.render([item], "service_requests", fmt)


@bp.get(f"/tokens/<token>.{FORMAT}")
def get_token(token: str, fmt: str):
    _check_jurisdiction()
    found = operations.find_case(token)
    if found is None:
        raise Open311Error(404, f"token {token} not found")
    request_id = found.code if isinstance(found, Case) else None
    return fmt_.render(
        [{"service_request_id": request_id, "token": normalize_code(token)}],
        "service_requests",
        fmt,
    )


def _values():
    """The POST's fields: a form, as the spec says, or a JSON object."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.values


def _text(name: str) -> str | None:
    """A text field of the request: a string (JSON may send anything) of a bounded length."""
    value = _values().get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Open311Error(400, f"{name} must be a string")
    try:
        return check_text(value, max_length=FIELD_LENGTHS.get(name, 200))
    except ValueError as error:
        raise Open311Error(400, f"{name} {error}") from error


def _float(name: str, limit: float) -> float | None:
    raw = _values().get(name)
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise Open311Error(400, f"{name} must be a number")
    try:
        value = float(raw)
    except ValueError as error:
        raise Open311Error(400, f"{name} must be a number") from error
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(400, f"{name} must be a number between -{limit:g} and {limit:g}")
    return value


@bp.post(f"/requests.{FORMAT}")
def create_request(fmt: str):
    if user_for_token(_text("api_key") or "") is None:
        raise Open311Error(403, "api_key is missing or not valid")
    _check_jurisdiction()
    service_code = _text("service_code") or ""
    if service_code not in CATEGORIES:
        raise Open311Error(400, "service_code is missing or not valid")
    lat, lon = _float("lat", 90), _float("long", 180)
    address = (_text("address_string") or _text("attribute[place]") or "").strip()
    if (lat is None or lon is None) and not address and not _text("address_id"):
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    description = (_text("description") or "").strip()
    if len(description) > reports.MAX_DESCRIPTION:
        raise Open311Error(400, f"description is longer than {reports.MAX_DESCRIPTION} characters")
    name = " ".join(v for v in (_text("first_name"), _text("last_name")) if v)
    fields = {
        "text": description or f"{fmt_.service(service_code)['service_name']}: {address}",
        "place": address,
        "lat": lat,
        "lon": lon,
        "service_code": service_code,
        "jurisdiction_id": _text("jurisdiction_id"),
        # The calling system collected these from the citizen, with the citizen's consent.
        "contact_consent": True,
        "contact_name": name,
        "contact_phone": _text("phone"),
        "contact_email": _text("email"),
    }
    media = [_text("media_url")] if _text("media_url") else []
    try:
        # A description is optional in GeoReport v2: the service code says what it is about.
        filed = reports.file_report(fields, media, min_length=1)
    except reports.ReportError as error:
        raise Open311Error(400, error.message) from error
    # The request is a case at once (the service code is its category): its id is known now.
    code = filed.post.tracking_code
    feedback_url = url_for(
        "public.reporter_feedback", code=filed.code, token=filed.feedback_token, _external=True
    )
    operations.email_feedback_link(fields["contact_email"], filed.code, feedback_url)
    answer = {
        "service_request_id": filed.case.code if filed.case is not None else None,
        "token": code,
        "service_notice": "The request is received: look it up at requests/{service_request_id} "
        "(or tokens/{token}). Only feedback_url, given once, lets the citizen say whether "
        "the problem is solved.",
        "account_id": None,
        # An extension: the citizen's secret link to confirm or refuse the city's solution.
        "feedback_url": feedback_url,
    }
    return fmt_.render([answer], "service_requests", fmt, 201)
