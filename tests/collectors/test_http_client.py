"""The shared HTTP client: retries, backoff, Retry-After, and clear errors."""

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from app.collectors.http import HttpClient, SourceError, parse_retry_after


def test_500_then_success_retries_after_backoff(httpserver, make_http, sleeps):
    httpserver.expect_ordered_request("/data").respond_with_json({"error": "boom"}, status=500)
    httpserver.expect_ordered_request("/data").respond_with_json({"ok": True})

    payload = make_http("test").get_json(httpserver.url_for("/data"))

    assert payload == {"ok": True}
    assert sleeps == [0.5]  # first backoff: 1s doubled 0 times, jitter 0 keeps the fixed half
    assert len(httpserver.log) == 2


def test_persistent_5xx_raises_source_error_after_last_attempt(httpserver, make_http, sleeps):
    httpserver.expect_request("/data").respond_with_json(
        {"error": {"message": "Service temporarily unavailable", "code": 2}}, status=503
    )

    with pytest.raises(SourceError) as caught:
        make_http("facebook").get_json(httpserver.url_for("/data"))

    error = caught.value
    assert (error.source, error.status) == ("facebook", 503)
    assert "Service temporarily unavailable" in error.message
    assert "gave up after 3 attempts" in error.message
    assert sleeps == [0.5, 1.0]
    assert len(httpserver.log) == 3


def test_429_retry_after_seconds_is_honoured(httpserver, make_http, sleeps):
    httpserver.expect_ordered_request("/search").respond_with_json(
        {"title": "Too Many Requests"}, status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/search").respond_with_json({"data": []})

    assert make_http("x").get_json(httpserver.url_for("/search")) == {"data": []}
    assert sleeps == [7.0]


def test_429_retry_after_http_date_is_honoured(httpserver, make_http, sleeps):
    now = datetime(2025, 7, 1, 3, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    httpserver.expect_ordered_request("/search").respond_with_data(
        "slow down", status=429, headers={"Retry-After": later}
    )
    httpserver.expect_ordered_request("/search").respond_with_json({"items": []})

    client = make_http("youtube", clock=lambda: now.timestamp())
    assert client.get_json(httpserver.url_for("/search")) == {"items": []}
    assert sleeps == [42.0]


def test_x_rate_limit_reset_header_used_when_no_retry_after(httpserver, make_http, sleeps):
    httpserver.expect_ordered_request("/search").respond_with_json(
        {"title": "Too Many Requests"}, status=429, headers={"x-rate-limit-reset": "1000030"}
    )
    httpserver.expect_ordered_request("/search").respond_with_json({"meta": {}})

    make_http("x", clock=lambda: 1000000.0).get_json(httpserver.url_for("/search"))
    assert sleeps == [30.0]


def test_too_long_retry_after_fails_at_once_with_the_wait(httpserver, make_http, sleeps):
    httpserver.expect_request("/search").respond_with_json(
        {"title": "Too Many Requests"}, status=429, headers={"Retry-After": "900"}
    )

    with pytest.raises(SourceError) as caught:
        make_http("x", max_retry_after=120).get_json(httpserver.url_for("/search"))

    assert caught.value.status == 429
    assert caught.value.retry_after == 900.0
    assert sleeps == []
    assert len(httpserver.log) == 1


def test_4xx_is_not_retried_and_hides_the_query_string(httpserver, make_http, sleeps):
    httpserver.expect_request("/v21.0/123/posts").respond_with_json(
        {
            "error": {
                "message": "Invalid OAuth access token.",
                "type": "OAuthException",
                "code": 190,
            }
        },
        status=400,
    )

    with pytest.raises(SourceError) as caught:
        make_http("facebook").get_json(
            httpserver.url_for("/v21.0/123/posts"), params={"access_token": "SECRET-TOKEN"}
        )

    assert caught.value.status == 400
    assert "Invalid OAuth access token." in str(caught.value)
    assert "/v21.0/123/posts" in str(caught.value)
    assert "SECRET-TOKEN" not in str(caught.value)
    assert sleeps == []


def test_connection_refused_is_retried_then_raised_without_status(make_http, sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The socket is closed now: nothing listens on the port.

    with pytest.raises(SourceError) as caught:
        make_http("rss").get(f"http://127.0.0.1:{port}/feed.rss")

    assert caught.value.status is None
    assert "ConnectionError" in caught.value.message
    assert sleeps == [0.5, 1.0]


def test_non_json_body_is_a_source_error(httpserver, make_http):
    httpserver.expect_request("/data").respond_with_data("<html>maintenance</html>")

    with pytest.raises(SourceError, match="not JSON"):
        make_http("youtube").get_json(httpserver.url_for("/data"))


def test_accepted_status_is_returned_not_raised(httpserver, make_http):
    httpserver.expect_request("/feed").respond_with_data("", status=304)

    response = make_http("rss").get(httpserver.url_for("/feed"), accept_statuses=(304,))
    assert response.status_code == 304


def test_backoff_doubles_with_jitter_and_is_capped():
    low = HttpClient("t", backoff_base=1.0, backoff_cap=8.0, jitter=lambda: 0.0)
    high = HttpClient("t", backoff_base=1.0, backoff_cap=8.0, jitter=lambda: 1.0)

    assert [low.backoff_delay(n) for n in (1, 2, 3, 4, 10)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [high.backoff_delay(n) for n in (1, 2, 3, 4, 10)] == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_parse_retry_after_ignores_garbage():
    assert parse_retry_after({"Retry-After": "soon"}, now=0.0) is None
    assert parse_retry_after({}, now=0.0) is None
    assert parse_retry_after({"Retry-After": "-5"}, now=0.0) == 0.0
