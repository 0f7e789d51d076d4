"""Marshmallow schemas for reports: what may be asked for (API and the web form), the query
arguments of /api/v1/reports, and what is answered."""

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from app.cases.schemas import UserRefSchema
from app.core.time import HCMC
from app.core.validation import BoundedDate, BoundedDateTime, SafeString
from app.models import utcnow
from app.stats.models import REPORT_KINDS, ReportKind
from app.stats.reports.documents import FORMATS, LOCALES

CUSTOM_FIELDS = ("topic", "case", "from_date", "to_date")


class ReportRequestSchema(Schema):
    """POST /api/v1/reports and the "make a report" form.

    - morning_digest / evening_report: the 24 h before `at` (default: now);
    - custom: `case` (a tracking code), or `topic` (phrases, comma-separated) with an optional
      `from`/`to`, or just `from`/`to` (local dates, both included).
    """

    class Meta:
        unknown = RAISE

    kind = fields.Str(
        required=True,
        validate=validate.OneOf([k.value for k in REPORT_KINDS]),
        metadata={"description": "morning_digest, evening_report or custom"},
    )
    at = BoundedDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=HCMC,
        metadata={"description": "daily kinds: the report covers the 24 h before this time"},
    )
    topic = SafeString(
        load_default=None,
        allow_none=True,
        min_length=2,
        max_length=200,
        metadata={"description": "custom: one phrase, or several separated by commas"},
    )
    case = SafeString(
        load_default=None,
        allow_none=True,
        min_length=3,
        max_length=20,
        metadata={"description": "custom: a case's tracking code"},
    )
    from_date = BoundedDate(
        data_key="from",
        load_default=None,
        allow_none=True,
        metadata={"description": "custom: the first local day (YYYY-MM-DD)"},
    )
    to_date = BoundedDate(
        data_key="to",
        load_default=None,
        allow_none=True,
        metadata={"description": "custom: the last local day, included"},
    )

    @validates_schema
    def check_combination(self, data, **kwargs):
        kind = data.get("kind")
        given = [name for name in CUSTOM_FIELDS if data.get(name) not in (None, "")]
        errors = {}
        if kind in (ReportKind.morning_digest, ReportKind.evening_report):
            for name in given:
                key = self.fields[name].data_key or name
                errors[key] = ["only for custom reports"]
        if kind == ReportKind.custom:
            if not given:
                errors["_schema"] = ["give a topic, a case code or a date range"]
            if data.get("topic") and data.get("case"):
                errors["case"] = ["give a topic or a case, not both"]
            if data.get("case") and (data.get("from_date") or data.get("to_date")):
                errors["from"] = ["a case report covers the whole life of the case"]
            if data.get("at") is not None:
                errors["at"] = ["only for the daily reports"]
        start, end = data.get("from_date"), data.get("to_date")
        if start and end and start > end:
            errors["from"] = ["must not be after 'to'"]
        at = data.get("at")
        if at is not None and at > utcnow():
            errors["at"] = ["must not be in the future"]
        if errors:
            raise ValidationError(errors)


def report_params(data: dict) -> dict:
    """What making.generate takes from a loaded request."""
    params = {}
    if data.get("topic"):
        params["topic"] = data["topic"].strip()
    if data.get("case"):
        params["case"] = data["case"].strip().upper()
    if data.get("from_date"):
        params["from"] = data["from_date"].isoformat()
    if data.get("to_date"):
        params["to"] = data["to_date"].isoformat()
    return params


class _QuerySchema(Schema):
    """Query arguments: the others (page, per_page, lang…) are read elsewhere."""

    class Meta:
        unknown = EXCLUDE


class ReportListArgsSchema(_QuerySchema):
    """GET /api/v1/reports?kind= (empty: every kind)."""

    kind = fields.Str(
        load_default=None,
        validate=validate.OneOf([k.value for k in REPORT_KINDS], error=", ".join(REPORT_KINDS)),
    )

    @pre_load
    def drop_empty(self, data, **kwargs):
        return {name: value for name, value in data.items() if name != "kind" or value != ""}


class ReportFormatArgsSchema(_QuerySchema):
    """GET /api/v1/reports/<id>?format=pdf|xlsx: the document instead of the JSON (empty: JSON)."""

    format = fields.Str(load_default=None, validate=validate.OneOf(FORMATS, error="pdf or xlsx"))

    @pre_load
    def drop_empty(self, data, **kwargs):
        return {name: value for name, value in data.items() if name != "format" or value != ""}


class ReportLanguageArgsSchema(_QuerySchema):
    """?lang= of a downloaded document: vi (default) or en."""

    lang = fields.Str(load_default="vi", validate=validate.OneOf(LOCALES, error="vi or en"))


class ReportSchema(Schema):
    id = fields.Int()
    kind = fields.Str()
    status = fields.Str(metadata={"description": "ready or failed"})
    period_start = fields.AwareDateTime()
    period_end = fields.AwareDateTime()
    params = fields.Dict()
    error = fields.Str(allow_none=True)
    created_at = fields.AwareDateTime()
    created_by = fields.Nested(UserRefSchema, allow_none=True)
    links = fields.Method("dump_links")

    def dump_links(self, report) -> dict:
        base = f"/api/v1/reports/{report.id}"
        return {"self": base, "pdf": f"{base}.pdf", "xlsx": f"{base}.xlsx"}


class ReportDetailSchema(ReportSchema):
    #: The language-neutral snapshot: sections of codes, ids, numbers and UTC times.
    data = fields.Dict()
