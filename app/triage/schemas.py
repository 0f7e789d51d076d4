from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.collectors.models import SCOPES

MAX_TEXTS = 256
#: Characters per text: a post or report is far shorter; the model reads the first few hundred.
MAX_TEXT_CHARS = 5000


class TriageRequestSchema(Schema):
    """POST /api/v1/triage: {"text": …} or {"texts": [… up to 256]}, each up to 5,000 characters."""

    class Meta:
        unknown = EXCLUDE

    text = fields.Str(validate=validate.Length(min=1, max=MAX_TEXT_CHARS))
    texts = fields.List(
        fields.Str(validate=validate.Length(min=1, max=MAX_TEXT_CHARS)),
        validate=validate.Length(min=1, max=MAX_TEXTS),
    )
    #: Where the texts come from: "national" texts need a place in the city.
    scope = fields.Str(load_default="local", validate=validate.OneOf(SCOPES))

    @validates_schema
    def one_of(self, data, **kwargs):
        if ("text" in data) == ("texts" in data):
            raise ValidationError("send either 'text' or 'texts'", "_schema")


class PlaceQuerySchema(Schema):
    q = fields.Str(required=True, validate=validate.Length(min=1, max=2000))


class ReviewDecisionSchema(Schema):
    """An analyst's decision on a post in the review queue."""

    class Meta:
        unknown = EXCLUDE

    relevant = fields.Bool(required=True)
    category = fields.Str(load_default=None, allow_none=True)
    ward = fields.Str(load_default=None, allow_none=True)
