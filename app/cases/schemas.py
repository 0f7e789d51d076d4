"""Marshmallow schemas for cases: one per resource, shared by the API and the web forms."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.cases.models import CATEGORIES, PRIORITIES
from app.cases.queries import SLA_FILTERS, SORTS
from app.cases.workflow import RejectReason, Status
from app.core.time import HCMC
from app.core.validation import BoundedDateTime, BoundedInt, SafeString, is_id


def _name(unit):
    return (
        {"id": unit.id, "code": unit.code, "name": unit.name_vi, "name_en": unit.name_en}
        if unit
        else None
    )


class UserRefSchema(Schema):
    id = fields.Int()
    email = fields.Str()
    full_name = fields.Str()


class EventSchema(Schema):
    id = fields.Int()
    kind = fields.Str()
    created_at = fields.AwareDateTime()
    actor = fields.Nested(UserRefSchema, allow_none=True)
    from_value = fields.Str(allow_none=True, data_key="from")
    to_value = fields.Str(allow_none=True, data_key="to")
    body = fields.Str(allow_none=True)
    is_public = fields.Bool()
    data = fields.Dict()


class CaseSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    title = fields.Str()
    description = fields.Str()
    category = fields.Str()
    priority = fields.Str()
    status = fields.Str()
    unit = fields.Function(lambda case: _name(case.unit))
    assignee = fields.Nested(UserRefSchema, allow_none=True)
    ward = fields.Function(lambda case: _name(case.ward))
    former_district = fields.Function(
        lambda case: (
            {"code": case.former_district.code, "name": case.former_district.name}
            if case.former_district
            else None
        )
    )
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    source = fields.Str()
    mention_count = fields.Int()
    first_seen_at = fields.AwareDateTime()
    last_seen_at = fields.AwareDateTime()
    public_response = fields.Str(allow_none=True)
    public_response_at = fields.AwareDateTime(allow_none=True)
    pending_response = fields.Str(allow_none=True)
    reject_reason = fields.Str(allow_none=True)
    duplicate_of = fields.Function(
        lambda case: case.duplicate_of.code if case.duplicate_of else None
    )
    needs_verification = fields.Bool()
    cycle = fields.Int()
    version = fields.Int()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    #: The earliest due time of the open SLA clocks.
    next_due_at = fields.AwareDateTime(allow_none=True)
    #: Every SLA clock, oldest cycle first: metric, cycle, due_at, state, remaining_seconds…
    sla = fields.Method("dump_sla")

    def dump_sla(self, case) -> list[dict]:
        # One instant and one walk of each calendar for the whole list (countdown.PageClocks).
        from app.cases.sla.countdown import for_request

        page_clocks = for_request()
        return [page_clocks.view(clock).as_dict() for clock in case.sla_clocks]


class CaseDetailSchema(CaseSchema):
    events = fields.List(fields.Nested(EventSchema))


class CaseCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    title = SafeString(required=True, min_length=3, max_length=300)
    description = SafeString(load_default="", max_length=10000)
    category = fields.Str(required=True, validate=validate.OneOf(CATEGORIES))
    priority = fields.Str(load_default="P3", validate=validate.OneOf(PRIORITIES))
    #: The responsible unit's code; default: the creator's unit.
    unit = SafeString(load_default=None, allow_none=True, max_length=32)
    #: The ward's official code.
    ward = SafeString(load_default=None, allow_none=True, max_length=32)
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    source = SafeString(load_default="manual", max_length=32)


class VersionedSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    version = BoundedInt(required=True)


class TransitionSchema(VersionedSchema):
    to = fields.Str(required=True, validate=validate.OneOf([s.value for s in Status]))
    note = SafeString(load_default=None, allow_none=True, max_length=5000)
    reason = fields.Str(
        load_default=None, allow_none=True, validate=validate.OneOf([r.value for r in RejectReason])
    )
    public_response = SafeString(load_default=None, allow_none=True, max_length=10000)


class AssignSchema(VersionedSchema):
    assignee_id = BoundedInt(required=True, allow_none=True)
    note = SafeString(load_default=None, allow_none=True, max_length=5000)


class TransferSchema(VersionedSchema):
    unit = SafeString(required=True, max_length=32, metadata={"description": "the new unit's code"})
    reason = SafeString(required=True, min_length=1, max_length=2000)


class CommentSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    body = SafeString(required=True, min_length=1, max_length=10000)
    is_public = fields.Bool(load_default=False)


class MergeSchema(VersionedSchema):
    into = BoundedInt(required=True, metadata={"description": "id of the case to keep"})
    note = SafeString(load_default=None, allow_none=True, max_length=5000)


class ApprovalSchema(VersionedSchema):
    approve = fields.Bool(load_default=True)
    note = SafeString(load_default=None, allow_none=True, max_length=5000)


class CaseListArgsSchema(Schema):
    """Query arguments of GET /api/v1/cases and the web queue."""

    class Meta:
        unknown = EXCLUDE

    status = fields.List(
        fields.Str(validate=validate.OneOf([s.value for s in Status])), load_default=list
    )
    category = fields.List(fields.Str(validate=validate.OneOf(CATEGORIES)), load_default=list)
    priority = fields.List(fields.Str(validate=validate.OneOf(PRIORITIES)), load_default=list)
    unit = SafeString(load_default=None, max_length=32)
    ward = SafeString(load_default=None, max_length=32)
    assignee = SafeString(load_default=None, max_length=20)
    q = SafeString(load_default=None, max_length=200)
    #: ISO 8601 dates or datetimes; without an offset they are read in the city's local time.
    created_from = BoundedDateTime(load_default=None, default_timezone=HCMC)
    created_to = BoundedDateTime(load_default=None, default_timezone=HCMC)
    #: "late": an open deadline has passed (see queries.SLA_FILTERS).
    sla = fields.Str(load_default=None, validate=validate.OneOf(SLA_FILTERS))
    sort = SafeString(load_default=None, max_length=40)
    page = BoundedInt(load_default=1)
    per_page = BoundedInt(load_default=20, maximum=100)

    @validates_schema
    def check_values(self, data, **kwargs):
        sort = data.get("sort")
        if sort and sort.lstrip("-") not in SORTS:
            raise ValidationError(f"one of {', '.join(sorted(SORTS))}, optionally with '-'", "sort")
        assignee = data.get("assignee")
        if assignee and assignee not in ("me", "none") and not is_id(assignee):
            raise ValidationError("a user id, 'me' or 'none'", "assignee")


def list_args_from(multidict) -> dict:
    """Turn ?status=a&status=b (or status=a,b) into the lists CaseListArgsSchema loads."""
    data = {}
    for key in CaseListArgsSchema().fields:
        values = [v for raw in multidict.getlist(key) for v in raw.split(",") if v.strip()]
        if not values:
            continue
        data[key] = values if key in ("status", "category", "priority") else values[0]
    return CaseListArgsSchema().load(data)
