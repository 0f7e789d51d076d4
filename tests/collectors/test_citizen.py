"""Citizen web-form reports."""

from datetime import UTC, datetime

import pytest

from app.collectors.base import InvalidItem
from app.collectors.sources.citizen import citizen_report_to_post

NOW = datetime(2025, 9, 2, 3, 0, tzinfo=UTC)
FORM = {
    "text": "Đèn tín hiệu ở ngã tư Hàng Xanh bị hỏng từ tối qua",
    "place": "Ngã tư Hàng Xanh, Bình Thạnh",
    "lat": "10.8011",
    "lon": "106.7115",
    "contact_name": "Lê Văn C",
    "contact_phone": "0909 123 456",
    "contact_email": "",
    "submission_id": "f3b1c2d4",
}


def test_contact_kept_apart_when_consented():
    post = citizen_report_to_post({**FORM, "contact_consent": "on"}, now=lambda: NOW)

    assert (post.source, post.external_id) == ("citizen", "f3b1c2d4")
    assert post.text == FORM["text"]
    assert post.posted_at == NOW and post.language == "vi"
    assert post.place_hints == {"lat": 10.8011, "lon": 106.7115, "place_name": FORM["place"]}
    assert post.contact == {"name": "Lê Văn C", "phone": "0909 123 456"}
    assert "0909" not in post.text and "0909" not in str(post.raw)
    assert post.author_handle is None


def test_contact_dropped_without_consent():
    post = citizen_report_to_post(FORM, now=lambda: NOW)

    assert post.contact is None
    assert "Lê Văn C" not in str(post.raw) and "0909" not in str(post.raw)


def test_missing_or_oversized_text_and_bad_coordinates_are_refused():
    with pytest.raises(InvalidItem, match="missing report text"):
        citizen_report_to_post({"text": "   "})
    with pytest.raises(InvalidItem, match="longer than"):
        citizen_report_to_post({"text": "x" * 5001})
    with pytest.raises(InvalidItem, match="coordinates"):
        citizen_report_to_post({"text": "ngập", "lat": "100", "lon": "106"})


def test_each_submission_without_an_id_gets_a_fresh_one():
    first = citizen_report_to_post({"text": "Rác tràn ra đường"})
    second = citizen_report_to_post({"text": "Rác tràn ra đường"})

    assert first.external_id != second.external_id
    assert first.posted_at.tzinfo is not None
