"""The generic signed webhook."""

import json

from app.collectors.sources.webhook import (
    parse_webhook,
    sign_webhook_body,
    verify_webhook_signature,
)

SECRET = "whsec-test"


def test_signature_good_bad_and_missing():
    body = json.dumps(
        {"id": "1", "text": "Ổ gà lớn trên đường Cộng Hòa"}, ensure_ascii=False
    ).encode()
    good = sign_webhook_body(SECRET, body)

    assert good.startswith("sha256=") and len(good) == len("sha256=") + 64
    assert verify_webhook_signature(SECRET, body, good)
    assert verify_webhook_signature(SECRET, body, good.upper().replace("SHA256=", "sha256="))
    assert not verify_webhook_signature(SECRET, body + b" ", good)
    assert not verify_webhook_signature("other-secret", body, good)
    assert not verify_webhook_signature(SECRET, body, None)
    assert not verify_webhook_signature(SECRET, body, "")
    assert not verify_webhook_signature(SECRET, body, good.replace("sha256=", "sha1="))
    assert not verify_webhook_signature(SECRET, body, good.partition("=")[2])
    # An unconfigured secret accepts nothing, not everything.
    assert not verify_webhook_signature("", body, sign_webhook_body("", body))


def test_parse_keeps_good_records_and_rejects_bad_ones():
    payload = {
        "items": [
            {
                "id": "evt-1",
                "text": "Cây xanh ngã chắn ngang đường Lê Văn Sỹ",
                "posted_at": "2025-09-02T17:05:00+07:00",
                "author": {"handle": "hotline-1022", "name": "Tổng đài 1022"},
                "place": "Phường Nhiêu Lộc",
                "lat": 10.79,
                "lon": 106.67,
                "media_urls": ["https://cdn.example/tree.jpg"],
                "likes": "3",
            },
            {"id": "evt-2", "posted_at": "2025-09-02T10:00:00Z"},
            {"id": "evt-3", "text": "ok", "posted_at": "yesterday"},
            "not an object",
        ]
    }

    result = parse_webhook(payload)

    [post] = result.posts
    assert (post.source, post.external_id) == ("webhook", "evt-1")
    assert post.posted_at.isoformat() == "2025-09-02T10:05:00+00:00"
    assert (post.author_handle, post.author_name, post.likes) == (
        "hotline-1022",
        "Tổng đài 1022",
        3,
    )
    assert post.place_hints == {"place_name": "Phường Nhiêu Lộc", "lat": 10.79, "lon": 106.67}
    assert [reason for _, reason in result.rejected] == [
        "missing text",
        "bad date 'yesterday'",
        "record is not a JSON object",
    ]


def test_single_record_and_forced_source():
    result = parse_webhook(
        {"id": 7, "text": "Mất nước từ sáng", "posted_at": 1756800000, "source": "hotline"},
        source="partner-1022",
    )
    assert result.posts[0].source == "partner-1022"
    assert result.posts[0].external_id == "7"
    assert parse_webhook(42).rejected[0][1] == "payload is not a JSON object or list"


def test_a_record_the_database_cannot_hold_costs_that_record_only():
    when = "2026-11-27T08:00:00+07:00"
    result = parse_webhook(
        [
            {"id": "ok", "text": "Ngập ở Thảo Điền", "posted_at": when},
            {"id": "nul", "text": "Ngập\u0000", "posted_at": when},
            {"id": "big", "text": "Ổ gà", "posted_at": when, "likes": 2**40},
            {"id": "old", "text": "Ổ gà", "posted_at": "0001-01-01T00:00:00Z"},
        ]
    )

    assert [post.external_id for post in result.posts] == ["ok"]
    reasons = [reason for _, reason in result.rejected]
    assert reasons[0] == "NUL character in text"
    assert reasons[1].startswith("likes must be between 0 and 2147483647")
    assert reasons[2] == "date 0001-01-01 is not between 1900 and 2100"
