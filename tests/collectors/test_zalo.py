"""Zalo OA: webhook signature and events, and the catch-up pull of recent messages."""

import hashlib
import json

import pytest
from werkzeug import Response

from app.collectors.http import SourceError
from app.collectors.sources.zalo import ZaloAdapter, parse_zalo_event, verify_zalo_signature

APP_ID = "360846524940903967"
OA_SECRET = "oa-secret-key"
TEXT_EVENT = {
    "app_id": APP_ID,
    "user_id_by_app": "552177279717587730",
    "event_name": "user_send_text",
    "timestamp": "1756808400000",
    "sender": {"id": "246845883529197922"},
    "recipient": {"id": "388613280878808645"},
    "message": {
        "text": "Cống trước nhà số 12 đường số 7 bị nghẹt",
        "msg_id": "96d3cdf3af150460909",
    },
}


def zalo_signature(body: bytes, timestamp: str) -> str:
    return hashlib.sha256(f"{APP_ID}{body.decode()}{timestamp}{OA_SECRET}".encode()).hexdigest()


def test_signature_good_with_or_without_mac_prefix():
    body = json.dumps(TEXT_EVENT, ensure_ascii=False).encode()
    signature = zalo_signature(body, TEXT_EVENT["timestamp"])

    assert verify_zalo_signature(body, f"mac={signature}", oa_secret_key=OA_SECRET, app_id=APP_ID)
    assert verify_zalo_signature(body, signature.upper(), oa_secret_key=OA_SECRET, app_id=APP_ID)


def test_signature_bad_missing_or_for_another_app():
    body = json.dumps(TEXT_EVENT, ensure_ascii=False).encode()
    signature = zalo_signature(body, TEXT_EVENT["timestamp"])
    tampered = body.replace("nghẹt".encode(), "thông".encode())

    assert not verify_zalo_signature(tampered, signature, oa_secret_key=OA_SECRET, app_id=APP_ID)
    assert not verify_zalo_signature(
        body, "mac=" + "0" * 64, oa_secret_key=OA_SECRET, app_id=APP_ID
    )
    assert not verify_zalo_signature(body, None, oa_secret_key=OA_SECRET, app_id=APP_ID)
    assert not verify_zalo_signature(body, signature, oa_secret_key="", app_id=APP_ID)
    assert not verify_zalo_signature(body, signature, oa_secret_key=OA_SECRET, app_id="999")
    assert not verify_zalo_signature(b"not json", signature, oa_secret_key=OA_SECRET)


def test_text_event_becomes_a_post():
    result = parse_zalo_event(TEXT_EVENT)

    [post] = result.posts
    assert (post.source, post.external_id) == ("zalo", "96d3cdf3af150460909")
    assert post.text == "Cống trước nhà số 12 đường số 7 bị nghẹt"
    assert post.author_handle == "246845883529197922"
    assert post.posted_at.isoformat() == "2025-09-02T10:20:00+00:00"
    assert result.rejected == []


def test_image_event_with_caption_and_location_event():
    image = {
        **TEXT_EVENT,
        "event_name": "user_send_image",
        "message": {
            "msg_id": "m2",
            "text": "Rác đổ trộm ở góc hẻm",
            "attachments": [
                {
                    "type": "image",
                    "payload": {
                        "thumbnail": "https://z.example/t.jpg",
                        "url": "https://z.example/a.jpg",
                    },
                }
            ],
        },
    }
    location = {
        **TEXT_EVENT,
        "event_name": "user_send_location",
        "message": {
            "msg_id": "m3",
            "text": "Chỗ này ngập",
            "attachments": [
                {
                    "type": "location",
                    "payload": {"coordinates": {"latitude": "10.7626", "longitude": "106.6602"}},
                }
            ],
        },
    }

    assert parse_zalo_event(image).posts[0].media_urls == ["https://z.example/a.jpg"]
    assert parse_zalo_event(location).posts[0].place_hints == {"lat": 10.7626, "lon": 106.6602}
    inline = {
        **location,
        "message": {
            "msg_id": "m4",
            "text": "Ở đây",
            "location": {"latitude": "10.8", "longitude": "106.7"},
        },
    }
    assert parse_zalo_event(inline).posts[0].place_hints == {"lat": 10.8, "lon": 106.7}


def test_non_message_events_are_ignored_and_broken_messages_rejected():
    follow = {
        "app_id": APP_ID,
        "event_name": "follow",
        "timestamp": "1756808400000",
        "follower": {"id": "1"},
    }
    no_id = {**TEXT_EVENT, "message": {"text": "xin chào"}}

    assert parse_zalo_event(follow).posts == [] and parse_zalo_event(follow).rejected == []
    assert parse_zalo_event(no_id).rejected[0][1] == "missing msg_id"


def test_odd_values_in_a_signed_event_cost_the_odd_value_not_the_message():
    """Issue 15: webhook values of the wrong kind neither drop a good message nor reach
    the database as something a page cannot show (a media address that is a number)."""
    numbered = {**TEXT_EVENT, "sender": {"id": 246845883529197922}}
    odd_media = {
        **TEXT_EVENT,
        "event_name": "user_send_image",
        "message": {
            "msg_id": "m5",
            "text": "Ảnh cống nghẹt",
            "attachments": [
                {"type": "image", "payload": {"url": 5}},
                {"type": "image", "payload": "https://z.example/b.jpg"},
                {"type": "image", "payload": {"url": {"href": "javascript:alert(1)"}}},
                {"type": "image", "payload": {"url": "https://z.example/c.jpg"}},
            ],
        },
    }

    [post] = parse_zalo_event(numbered).posts
    assert post.author_handle == "246845883529197922"
    [post] = parse_zalo_event(odd_media).posts
    assert post.media_urls == ["https://z.example/c.jpg"]


def test_a_post_whose_fields_are_not_text_is_rejected_naming_the_field():
    from datetime import UTC, datetime

    from app.collectors.base import InvalidItem, PostData, check_storable
    from app.core.links import web_link

    def _post(**values):
        when = datetime(2026, 11, 27, tzinfo=UTC)
        return PostData(source="zalo", text="Ngập", posted_at=when, **values)

    with pytest.raises(InvalidItem, match="author_handle is not text"):
        check_storable(_post(external_id="1", author_handle=5))
    with pytest.raises(InvalidItem, match="media_urls is not a list of addresses"):
        check_storable(_post(external_id="2", media_urls=[5]))
    assert web_link(5) is None and web_link({"href": "https://a.example"}) is None


def message(message_id, time_ms, text, src=1, kind="text"):
    return {
        "src": src,
        "time": time_ms,
        "type": kind,
        "message": text,
        "message_id": message_id,
        "from_id": "2468" if src == 1 else "3886",
        "to_id": "3886" if src == 1 else "2468",
        "from_display_name": "Trần Thị B" if src == 1 else "UBND Phường",
        "from_avatar": "",
    }


@pytest.fixture
def adapter(httpserver, make_http):
    settings = {
        "ZALO_OA_ACCESS_TOKEN": "zalo-token",
        "ZALO_BASE_URL": httpserver.url_for("/v2.0/oa"),
        "ZALO_PAGE_SIZE": "2",
    }
    return ZaloAdapter(settings, http=make_http("zalo"))


def test_pull_pages_until_known_messages(httpserver, adapter):
    pages = {
        0: [message("m9", 9000, "Đèn đường hẻm 3 hư"), message("m8", 8000, "Đã tiếp nhận", src=0)],
        2: [message("m7", 7000, ""), message("m6", 6000, "Cây ngã chắn đường")],
        4: [message("m5", 5000, "Ngập"), message("m4", 4000, "cũ")],
    }
    seen = []

    def handler(request):
        seen.append(json.loads(request.args["data"]))
        offset = json.loads(request.args["data"])["offset"]
        body = {"data": pages[offset], "error": 0, "message": "Success"}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/v2.0/oa/listrecentchat").respond_with_handler(handler)
    # Werkzeug's test server drops headers with '_' in the name, so read what the client sent.
    tokens_sent = []
    adapter.http.session.hooks["response"].append(
        lambda response, **_: tokens_sent.append(response.request.headers.get("access_token"))
    )

    results = list(adapter.fetch_all({"since_ms": 5000}, [], max_pages=10))

    assert [[p.external_id for p in r.posts] for r in results] == [["m9"], ["m6"], []]
    assert results[1].rejected[0][1] == "missing text (text)"
    assert results[-1].has_more is False
    assert results[-1].checkpoint == {"since_ms": 9000}
    assert seen == [{"offset": n, "count": 2} for n in (0, 2, 4)]
    assert tokens_sent == ["zalo-token"] * 3


def test_zalo_error_code_in_a_200_is_a_source_error(httpserver, adapter):
    httpserver.expect_request("/v2.0/oa/listrecentchat").respond_with_json(
        {"error": -216, "message": "Access token is invalid"}
    )

    with pytest.raises(SourceError, match="Access token is invalid"):
        adapter.fetch({}, [])
