"""Validation at the edge: bounds every input is held to before it reaches the database.

PostgreSQL refuses NUL characters in text, integers beyond its `integer`, and Python
refuses dates outside years 1–9999 (and fails on arithmetic near those ends). So every
value from a request passes here first:

- integers (ids, pages, versions) are ASCII decimal digits within 1..2,147,483,647
  (``"²".isdigit()`` is true, but it is no number);
- dates lie between 1900-01-01 and 2100-12-31;
- text holds no NUL and no lone surrogate, and is no longer than its column.

The plain functions raise ``ValueError`` with a message meant for the caller; the
marshmallow fields below raise ``ValidationError`` with the same messages. Nothing here
needs Flask.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime

from marshmallow import ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

#: PostgreSQL's `integer`: the largest id, page, version or count a request may name.
MAX_INT = 2_147_483_647
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)

#: An optional sign and at most 20 ASCII digits (str.isdigit would take "²" and "٣").
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,20}")

NOT_AN_INTEGER = "must be a whole number written with the digits 0-9"


def range_message(minimum: int, maximum: int) -> str:
    return f"must be between {minimum} and {maximum}"


DATE_RANGE_MESSAGE = f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"


# -- text -------------------------------------------------------------------------------


def unsafe_text_reason(value: str) -> str | None:
    """Why `value` cannot be stored as text (a NUL, a lone surrogate), or None when it can."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain lone surrogates (invalid Unicode)"
    return None


def check_text(value: str, *, max_length: int | None = None) -> str:
    """Return `value` if it is safe text within `max_length`, else raise ValueError."""
    reason = unsafe_text_reason(value)
    if reason:
        raise ValueError(reason)
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    return value


def first_unsafe(items) -> tuple[str, str] | None:
    """The first (name, reason) among `items` (name, value) pairs whose name or value is unsafe."""
    for name, value in items:
        for text in (name, value):
            if isinstance(text, str):
                reason = unsafe_text_reason(text)
                if reason:
                    return name if unsafe_text_reason(name) is None else repr(name), reason
    return None


# -- integers ---------------------------------------------------------------------------


def parse_int(raw, *, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """An int from a JSON int or a string of ASCII digits, within [minimum, maximum]."""
    if isinstance(raw, bool):
        raise ValueError(NOT_AN_INTEGER)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _ASCII_INT.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        raise ValueError(NOT_AN_INTEGER)
    if not minimum <= value <= maximum:
        raise ValueError(range_message(minimum, maximum))
    return value


def positive_int(raw) -> int:
    """`type=` for request.args.get: a bad or out-of-range value falls back to the default."""
    return parse_int(raw)


def whole_number(raw) -> int:
    """`type=` for positions and counts that may be 0: 0..MAX_INT, else ValueError."""
    return parse_int(raw, minimum=0)


def is_email_address(value: str) -> bool:
    """A plausible single address (no spaces, one @, a dot in the domain, at most 254 chars)."""
    if not value or len(value) > 254 or any(c.isspace() for c in value):
        return False
    local, at, domain = value.rpartition("@")
    return bool(at and local and "@" not in local and "." in domain.strip("."))


def is_id(raw) -> bool:
    """Whether `raw` is a valid id (ASCII digits, 1..MAX_INT)."""
    try:
        parse_int(raw)
    except ValueError:
        return False
    return True


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in URLs: an id beyond PostgreSQL's integer matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# -- dates ------------------------------------------------------------------------------


def check_date(value: date | datetime) -> date | datetime:
    """Return `value` if its day lies between MIN_DATE and MAX_DATE, else raise ValueError."""
    day = value.date() if isinstance(value, datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(DATE_RANGE_MESSAGE)
    return value


def parse_date(raw: str) -> date:
    """An ISO 8601 day (YYYY-MM-DD) within the bounds."""
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw.strip()):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError as error:
        raise ValueError("must be a date written YYYY-MM-DD") from error
    return check_date(value)


def parse_datetime(raw: str) -> datetime:
    """An ISO 8601 date-time (a trailing Z means UTC) within the bounds; naive if it has no offset."""
    if not isinstance(raw, str) or not raw.strip() or not raw.isascii():
        raise ValueError("must be an ISO 8601 date-time")
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError("must be an ISO 8601 date-time") from error
    return check_date(value)


# -- errors -----------------------------------------------------------------------------


def flatten_errors(messages) -> dict[str, list[str]]:
    """Marshmallow's nested error messages as {field: [text, …]}, as the OpenAPI doc says.

    Errors of list items ({"status": {"0": ["…"]}}) keep their field and name the item:
    {"status": ["item 0: …"]}. A bare list or string becomes {"_schema": […]}.
    """
    if not isinstance(messages, Mapping):
        return {"_schema": _texts(messages)}
    return {str(name): _texts(found) for name, found in messages.items()}


def _texts(found, prefix: str = "") -> list[str]:
    if isinstance(found, Mapping):
        texts = []
        for key, inner in found.items():
            label = f"item {key}" if isinstance(key, int) or str(key).isdecimal() else str(key)
            texts.extend(_texts(inner, f"{prefix}{label}: "))
        return texts
    if isinstance(found, list | tuple):
        return [text for item in found for text in _texts(item, prefix)]
    return [f"{prefix}{found}"]


# -- marshmallow fields -----------------------------------------------------------------


class SafeString(fields.String):
    """Text without NUL or lone surrogates, at most `max_length` characters (the column's)."""

    def __init__(self, *, max_length: int | None = None, min_length: int | None = None, **kw):
        validators = list(_as_list(kw.pop("validate", None)))
        if max_length is not None or min_length is not None:
            validators.insert(0, validate.Length(min=min_length, max=max_length))
        super().__init__(validate=validators, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        reason = unsafe_text_reason(text)
        if reason:
            raise ValidationError(reason)
        return text


class BoundedInt(fields.Integer):
    """A whole number of ASCII digits (or a JSON integer) within [minimum, maximum]."""

    def __init__(self, *, minimum: int = 1, maximum: int = MAX_INT, **kw):
        validators = list(_as_list(kw.pop("validate", None)))
        validators.insert(0, validate.Range(min=minimum, max=maximum))
        kw.setdefault("strict", False)
        super().__init__(validate=validators, **kw)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str) and not _ASCII_INT.fullmatch(value.strip()):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)


class BoundedDate(fields.Date):
    """An ISO 8601 day between 1900-01-01 and 2100-12-31."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        return _bounded(day)


class BoundedDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time between 1900 and 2100 (naive ones read in `default_timezone`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not value.isascii():
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        try:
            moment = fields.DateTime._deserialize(self, value, attr, data, **kwargs)
        except OverflowError as error:
            raise ValidationError(DATE_RANGE_MESSAGE) from error
        _bounded(moment)
        return super()._deserialize(value, attr, data, **kwargs)


def _bounded(value):
    try:
        return check_date(value)
    except ValueError as error:
        raise ValidationError(str(error)) from error


def _as_list(validators):
    if validators is None:
        return []
    if callable(validators):
        return [validators]
    return list(validators)
