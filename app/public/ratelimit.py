"""Fixed-window rate limits per client address: a Redis counter, or memory without Redis.

When Redis is in use but does not answer, the counts go on in this process's
memory, so the public form and feedback keep working through an outage (each
web process then counts on its own). The log says so once per outage, and once
when Redis answers again; Redis is tried again every `retry_seconds`.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable

import redis
from flask import current_app, request

log = logging.getLogger(__name__)

KEY_PREFIX = "socialbeat:public:rate"


class RateLimiter:
    """Counts hits per key and window, in Redis or, without it or while it is down, in memory."""

    def __init__(
        self,
        retry_seconds: float = 5.0,
        max_memory_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.retry_seconds = retry_seconds
        self.max_memory_keys = max_memory_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: dict[str, tuple[int, int]] = {}
        #: While Redis is down: when to try it again (None: it is not known to be down).
        self._retry_at: float | None = None

    @property
    def redis_down(self) -> bool:
        return self._retry_at is not None

    def hit(
        self,
        connection: redis.Redis | None,
        name: str,
        limit: int,
        window_seconds: int,
        now: float | None = None,
    ) -> bool:
        """Count one hit on `name`; False when it went over `limit` in the current window."""
        window = int(time.time() if now is None else now) // window_seconds
        key = f"{name}:{window}"
        if connection is not None and self._may_try_redis():
            try:
                count = self._redis_hit(connection, key, window_seconds)
            except redis.RedisError as error:
                self._redis_failed(error)
            else:
                self._redis_answered()
                return count <= limit
        return self._memory_hit(key, window) <= limit

    def _may_try_redis(self) -> bool:
        retry_at = self._retry_at
        return retry_at is None or self._clock() >= retry_at

    @staticmethod
    def _redis_hit(connection: redis.Redis, key: str, window_seconds: int) -> int:
        pipeline = connection.pipeline(transaction=True)
        pipeline.incr(key)
        pipeline.expire(key, window_seconds)
        count, _ = pipeline.execute()
        return count

    def _redis_failed(self, error: Exception) -> None:
        with self._lock:
            first = self._retry_at is None
            self._retry_at = self._clock() + self.retry_seconds
        if first:
            log.warning(
                "Redis is unavailable for rate limits (%s): counting in this process's memory "
                "until it answers again",
                error,
            )

    def _redis_answered(self) -> None:
        if self._retry_at is None:
            return
        with self._lock:
            was_down = self._retry_at is not None
            self._retry_at = None
        if was_down:
            log.info("Redis answers again: rate limits count in Redis")

    def _memory_hit(self, key: str, window: int) -> int:
        with self._lock:
            for stale in [k for k, (w, _) in self._memory.items() if w != window]:
                del self._memory[stale]
            if key not in self._memory and len(self._memory) >= self.max_memory_keys:
                # Many addresses in one window: forget the oldest rather than grow without end.
                del self._memory[next(iter(self._memory))]
            _, count = self._memory.get(key, (window, 0))
            self._memory[key] = (window, count + 1)
        return count + 1


def limiter() -> RateLimiter:
    """The app's rate limiter (one per app, kept in app.extensions)."""
    extensions = current_app.extensions
    return extensions.get("socialbeat_ratelimit") or extensions.setdefault(
        "socialbeat_ratelimit", RateLimiter()
    )


def client_key() -> str:
    """A hash of the client's address (the proxy's X-Forwarded-For is not trusted here)."""
    address = request.remote_addr or "unknown"
    return hashlib.sha256(address.encode()).hexdigest()[:32]


def hit(action: str, limit: int, window_seconds: int = 3600) -> bool:
    """Count one `action` from this client; False when it went over `limit` in the window."""
    connection = current_app.extensions.get("socialbeat_redis")
    name = f"{KEY_PREFIX}:{action}:{client_key()}"
    return limiter().hit(connection, name, limit, window_seconds)
