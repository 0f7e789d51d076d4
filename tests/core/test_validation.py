"""The bounds of app/core/validation.py, without HTTP."""

from datetime import UTC, date, datetime

import pytest
from marshmallow import Schema, ValidationError

from app.core.validation import (
    MAX_INT,
    BoundedDate,
    BoundedDateTime,
    BoundedInt,
    SafeString,
    flatten_errors,
    is_id,
    parse_date,
    parse_datetime,
    parse_int,
    unsafe_text_reason,
)


@pytest.mark.parametrize("raw", ["²", "٣", "1_000", "1.5", "", " ", "0x10", "१", True, None, 2.5])
def test_only_ascii_whole_numbers_are_numbers(raw):
    with pytest.raises(ValueError):
        parse_int(raw)


@pytest.mark.parametrize(("raw", "value"), [("7", 7), (" 42 ", 42), (MAX_INT, MAX_INT), ("+3", 3)])
def test_whole_numbers_in_range(raw, value):
    assert parse_int(raw) == value


@pytest.mark.parametrize("raw", ["0", "-1", str(MAX_INT + 1), "99999999999999999999", "9" * 400])
def test_numbers_out_of_range_are_refused(raw):
    assert not is_id(raw)


def test_nul_and_lone_surrogates_are_unsafe_text():
    assert unsafe_text_reason("a\x00b")
    assert unsafe_text_reason("a\ud800b")
    assert unsafe_text_reason("Ngập nước 💧") is None


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_dates_outside_1900_to_2100_are_refused(raw):
    with pytest.raises(ValueError, match="between 1900-01-01 and 2100-12-31"):
        parse_date(raw)
    with pytest.raises(ValueError, match="between"):
        parse_datetime(f"{raw}T00:00:00Z")


def test_dates_inside_the_bounds():
    assert parse_date("2026-12-07") == date(2026, 12, 7)
    assert parse_datetime("2026-12-07T01:02:03Z") == datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date("２０２６-12-07")


class _Example(Schema):
    title = SafeString(required=True, max_length=5)
    number = BoundedInt(load_default=1, maximum=100)
    day = BoundedDate(load_default=None)
    moment = BoundedDateTime(load_default=None, default_timezone=UTC)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "a\x00b"}, "title"),
        ({"title": "a\ud800"}, "title"),
        ({"title": "toolong"}, "title"),
        ({"title": "ok", "number": "²"}, "number"),
        ({"title": "ok", "number": 101}, "number"),
        ({"title": "ok", "number": True}, "number"),
        ({"title": "ok", "day": "9999-12-31"}, "day"),
        ({"title": "ok", "moment": "0001-01-01T00:00:00"}, "moment"),
        ({"title": "ok", "moment": "0001-01-01T00:00:00+07:00"}, "moment"),
    ],
)
def test_the_fields_name_what_is_wrong(data, field):
    with pytest.raises(ValidationError) as error:
        _Example().load(data)
    assert set(error.value.messages) == {field}


def test_the_fields_load_good_values():
    loaded = _Example().load({"title": "ngập", "number": "7", "day": "2026-01-02"})
    assert loaded == {"title": "ngập", "number": 7, "day": date(2026, 1, 2), "moment": None}


def test_errors_of_list_items_become_lists_of_strings():
    nested = {"status": {1: ["Must be one of: received."]}, "page": ["Too big."]}
    assert flatten_errors(nested) == {
        "status": ["item 1: Must be one of: received."],
        "page": ["Too big."],
    }
    assert flatten_errors(["Invalid input type."]) == {"_schema": ["Invalid input type."]}
