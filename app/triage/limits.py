"""Limits of POST /api/v1/triage: a per-token rate and a cap on synchronous calls in flight.

Pure of Flask: the caller passes the Redis connection (or None) and the limits.

* `RateLimiter.hit(key, limit, window)` counts one call in a fixed window: a
  Redis counter shared by every web process, or this process's memory without
  Redis (or while Redis is down). It answers how many seconds to wait when the
  call is over the limit.
* `Slots(n)` lets at most `n` synchronous calls run at once in this process;
  one more is refused at once (the caller answers 503 with Retry-After) rather
  than queued behind the others, so a few heavy calls cannot hold up the rest
  of the app.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "socialbeat:triage:rate"


class RateLimiter:
    """Fixed-window counters, in Redis when it answers, else in this process's memory."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: dict[str, int] = {}
        self._window_of: dict[str, int] = {}

    def hit(self, key: str, limit: int, window: int, connection=None) -> int | None:
        """Count one call of `key`; None when allowed, else the seconds until the window ends."""
        now = self._clock()
        current = int(now // window)
        retry_after = max(1, int((current + 1) * window - now + 0.999))
        count = None
        if connection is not None:
            count = self._redis_hit(connection, f"{KEY_PREFIX}:{key}:{current}", window)
        if count is None:
            count = self._memory_hit(key, current)
        return None if count <= limit else retry_after

    @staticmethod
    def _redis_hit(connection, name: str, window: int) -> int | None:
        try:
            with connection.pipeline() as pipe:
                pipe.incr(name)
                pipe.expire(name, window + 1)  # the key names its window: any TTL past it will do
                count, _ = pipe.execute()
            return int(count)
        except redis.RedisError as error:  # count in memory until Redis is back
            log.warning("triage rate limit falls back to memory: %s", error)
            return None

    def _memory_hit(self, key: str, current: int) -> int:
        with self._lock:
            if self._window_of.get(key) != current:
                # A new window for this key; forget every key whose window has passed.
                for stale in [k for k, w in self._window_of.items() if w < current]:
                    self._window_of.pop(stale, None)
                    self._memory.pop(stale, None)
                self._window_of[key], self._memory[key] = current, 0
            self._memory[key] += 1
            return self._memory[key]

    def reset(self) -> None:
        with self._lock:
            self._memory.clear()
            self._window_of.clear()


class Busy(Exception):
    """Every slot is taken: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"busy, retry after {retry_after} s")
        self.retry_after = retry_after


class Slots:
    """At most `size` holders at once; one more is refused at once with `Busy`."""

    def __init__(self, size: int, retry_after: int = 5):
        self.size, self.retry_after = size, retry_after
        self._semaphore = threading.BoundedSemaphore(size)

    @contextmanager
    def hold(self) -> Iterator[None]:
        if not self._semaphore.acquire(blocking=False):
            raise Busy(self.retry_after)
        try:
            yield
        finally:
            self._semaphore.release()
