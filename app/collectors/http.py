"""The one HTTP client every pull adapter uses: timeouts, retries, backoff, Retry-After.

Retries cover what a later attempt can fix: connection failures, timeouts, 5xx
and 429. Any other 4xx (bad token, bad query, missing page) fails at once, since
repeating it only burns quota. Error messages carry the URL path but never the
query string, because several APIs take their access token there.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

log = logging.getLogger(__name__)

USER_AGENT = "SocialBeat-collector/1.0"
RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class SourceError(Exception):
    """A source could not be read: the last attempt failed or the request was refused.

    `status` is the HTTP status of the last response, or None when no response
    came back (connection refused, timeout). `retry_after` is the wait in seconds
    the source asked for, when it asked for one, so a scheduler can come back later.
    """

    def __init__(
        self, source: str, status: int | None, message: str, *, retry_after: float | None = None
    ):
        self.source = source
        self.status = status
        self.message = message
        self.retry_after = retry_after
        shown_status = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{source}: {shown_status}: {message}")


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP-date) or X's `x-rate-limit-reset`.

    Returns None when the response names no wait, so the caller falls back to backoff.
    """
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - now)
    # X answers 429 with the epoch second its rate-limit window resets instead.
    reset = headers.get("x-rate-limit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def describe_error_body(response: requests.Response) -> str:
    """The API's own words about a failed request, from the common JSON error shapes."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason or "error"
    if isinstance(body, dict):
        error = body.get("error")
        # Graph API and Google APIs: {"error": {"message": ..., "code": ...}}
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        # X API v2: {"title": ..., "detail": ...} or {"errors": [{"message": ...}]}
        if body.get("detail") or body.get("title"):
            return str(body.get("detail") or body.get("title"))[:300]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message") or errors[0])[:300]
        if body.get("message"):
            return str(body["message"])[:300]
    return str(body)[:300]


class HttpClient:
    """A `requests` session with timeouts, capped exponential backoff with jitter, and Retry-After.

    `sleep`, `jitter` (a 0..1 random source) and `clock` are injectable so tests never really wait.
    """

    def __init__(
        self,
        source: str,
        *,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        max_attempts: int = 4,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_retry_after: float = 300.0,
        sleep: Callable[[float], Any] = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.source = source
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.jitter = jitter
        self.clock = clock
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)

    @classmethod
    def from_settings(
        cls, source: str, settings: Mapping[str, Any], **overrides: Any
    ) -> HttpClient:
        """Build a client from `HTTP_TIMEOUT` and `HTTP_MAX_ATTEMPTS` settings, when present."""
        options: dict[str, Any] = {}
        if settings.get("HTTP_TIMEOUT"):
            options["timeout"] = (5.0, float(settings["HTTP_TIMEOUT"]))
        if settings.get("HTTP_MAX_ATTEMPTS"):
            options["max_attempts"] = int(settings["HTTP_MAX_ATTEMPTS"])
        options.update(overrides)
        return cls(source, **options)

    def backoff_delay(self, attempt: int) -> float:
        """Wait before retry number `attempt` (1-based): doubling, capped, with 'equal jitter'.

        Half the delay is fixed so retries always back off; the other half is
        random so many workers failing together do not retry in lockstep.
        """
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return delay / 2 + self.jitter() * delay / 2

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        accept_statuses: Collection[int] = (),
    ) -> requests.Response:
        """Send a request, retrying what can be retried; raise `SourceError` after the last try.

        A 2xx response, or one whose status is in `accept_statuses` (e.g. 304),
        is returned as is.
        """
        where = f"{method} {urlsplit(url).path or '/'}"
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self.session.request(
                    method, url, params=params, headers=headers, timeout=self.timeout
                )
            except RETRYABLE_EXCEPTIONS as error:
                status, problem = None, f"{where}: {type(error).__name__}"
            except requests.RequestException as error:
                raise SourceError(self.source, None, f"{where}: {error}") from error
            else:
                status = response.status_code
                if 200 <= status < 300 or status in accept_statuses:
                    return response
                problem = f"{where}: {describe_error_body(response)}"
                if status != 429 and status < 500:
                    raise SourceError(self.source, status, problem)
                retry_after = parse_retry_after(response.headers, self.clock())
                if retry_after is not None and retry_after > self.max_retry_after:
                    # Holding a worker for many minutes is worse than rescheduling the job.
                    raise SourceError(
                        self.source,
                        status,
                        f"{problem} (asked to wait {retry_after:.0f}s)",
                        retry_after=retry_after,
                    )
            if attempt == self.max_attempts:
                raise SourceError(
                    self.source,
                    status,
                    f"{problem} (gave up after {attempt} attempts)",
                    retry_after=retry_after,
                )
            wait = retry_after if retry_after is not None else self.backoff_delay(attempt)
            log.warning(
                "%s: %s failed (status %s), attempt %d/%d, retrying in %.1fs",
                self.source,
                where,
                status,
                attempt,
                self.max_attempts,
                wait,
            )
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """GET `url`; see `request` for the keyword arguments."""
        return self.request("GET", url, **kwargs)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET `url` and decode its JSON body; a non-JSON body is a `SourceError`."""
        response = self.get(url, **kwargs)
        try:
            return response.json()
        except ValueError as error:
            path = urlsplit(url).path or "/"
            raise SourceError(
                self.source, response.status_code, f"GET {path}: response is not JSON"
            ) from error
