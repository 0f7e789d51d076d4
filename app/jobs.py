"""Background jobs: named RQ queues, one `job` decorator, and the periodic-job registry.

With Redis reachable, `enqueue()` puts work on an RQ queue and `flask worker`
runs it. Without Redis (the embedded default on a laptop) the same call runs
the job inline, and the app says so in its log once.

JOBS_MODE decides whether Redis is in use: "inline" never; "auto" when it
answers at start-up; "redis" always (the default when REDIS_URL is set): the
connection is kept while Redis is down, `enqueue()` raises QueueUnavailable
until it answers again, and /healthz says "degraded".
"""

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import redis
from flask import Flask, current_app, has_app_context
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from rq import Queue

log = logging.getLogger(__name__)

#: default: short jobs; periodic: scheduled scans; emails: outgoing mail;
#: collect: source polling; triage: the model pipeline; triage-api: large API triage calls,
#: in chunks (last, so that they never hold up posts and citizen reports).
QUEUE_NAMES = ("default", "periodic", "emails", "collect", "triage", "triage-api")


@dataclass(frozen=True)
class PeriodicJob:
    func: Callable
    queue: str = "periodic"
    #: Seconds between runs; exclusive with `cron`.
    interval: int | None = None
    #: A cron expression in UTC; exclusive with `interval`.
    cron: str | None = None
    timeout: int = 600

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


#: Every periodic job of the app, filled by `periodic()` at import time.
PERIODIC_JOBS: list[PeriodicJob] = []


def job(queue: str = "default", timeout: int = 600):
    """Mark a function as a background job; it always runs inside an app context."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if has_app_context():
                return func(*args, **kwargs)
            app = _worker_app()
            with app.app_context():
                return func(*args, **kwargs)

        wrapper.queue_name = queue
        wrapper.job_timeout = timeout
        return wrapper

    return decorator


def periodic(*, interval: int | None = None, cron: str | None = None, queue: str = "periodic"):
    """Register a job to run every `interval` seconds or on a UTC `cron` schedule."""

    def decorator(func: Callable) -> Callable:
        wrapped = job(queue)(func)
        PERIODIC_JOBS.append(PeriodicJob(wrapped, queue=queue, interval=interval, cron=cron))
        return wrapped

    return decorator


#: How this process builds an app for a job run outside an app context: the factory of the
#: app `init_app` last set up (its app.extensions["socialbeat_app_factory"], which the
#: worker's scheduler child is handed too). This module sits below the package that defines
#: create_app, so it does not import it.
_factory: Callable[[], Flask] | None = None
_app = None
_app_pid = None


def init_app(app: Flask) -> None:
    """Connect `app`'s job queues (or leave jobs inline), and remember its factory."""
    global _factory
    _factory = app.extensions["socialbeat_app_factory"]
    app.extensions["socialbeat_redis"] = connect_redis(
        app.config["REDIS_URL"], app.config["JOBS_MODE"]
    )
    if app.extensions["socialbeat_redis"] is None:
        app.logger.warning("Redis is not in use: background jobs run inline in the web process")


def _worker_app():
    """The app a worker process uses; a forked work-horse gets fresh DB connections."""
    global _app, _app_pid
    if _app is None:
        if _factory is None:
            raise RuntimeError(
                "a job ran outside an app context in a process that never built the app: "
                "build it first (create_app), as `flask worker` does"
            )
        _app = _factory()
        _app_pid = os.getpid()
    elif _app_pid != os.getpid():
        from app.extensions import db

        with _app.app_context():
            db.engine.dispose(close=False)
        _app_pid = os.getpid()
    return _app


def redis_connection() -> redis.Redis | None:
    """The app's Redis connection, or None when jobs run inline."""
    return current_app.extensions.get("socialbeat_redis")


def redacted_url(url: str) -> str:
    """`url` without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def new_redis(url: str) -> redis.Redis:
    """A connection that fails fast (one quick retry) when Redis is down: web requests must
    not wait, and the worker loops have their own backoff. (An RQ Worker raises the socket
    timeout to what its blocking dequeue needs.)"""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=1,
        socket_timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1),
    )


def connect_redis(url: str, mode: str) -> redis.Redis | None:
    """The connection to use for jobs, or None when jobs run inline.

    "inline": None. "auto": a connection when Redis answers now, else None.
    "redis": always a connection; while Redis is down it reconnects on its own.
    """
    if mode == "inline":
        return None
    connection = new_redis(url)
    try:
        connection.ping()
    except redis.RedisError as error:
        if mode == "redis":
            log.warning(
                "Redis at %s is unavailable (%s): jobs wait until it answers",
                redacted_url(url),
                error,
            )
            return connection
        log.warning(
            "Redis at %s is unavailable (%s): background jobs run inline", redacted_url(url), error
        )
        return None
    return connection


#: What /healthz says about Redis.
REDIS_OK, REDIS_UNAVAILABLE, REDIS_NOT_USED = "ok", "unavailable", "not used"


def redis_state(app: Flask) -> str:
    """Redis as /healthz reports it: "not used" when jobs run inline by design, else
    whether it answers now ("ok" or "unavailable")."""
    connection = app.extensions.get("socialbeat_redis")
    if app.config.get("JOBS_MODE") == "inline":
        return REDIS_NOT_USED
    if connection is None:
        # "auto" without Redis at start-up: the laptop set-up, jobs run inline.
        return REDIS_NOT_USED if app.config.get("JOBS_MODE") != "redis" else REDIS_UNAVAILABLE
    try:
        connection.ping()
    except redis.RedisError:
        return REDIS_UNAVAILABLE
    return REDIS_OK


@dataclass
class Backoff:
    """Exponential delays for reconnecting: first, first*factor, … up to `cap` seconds."""

    first: float = 1.0
    cap: float = 30.0
    factor: float = 2.0
    _next: float | None = field(default=None, init=False, repr=False)

    def next_delay(self) -> float:
        delay = self.first if self._next is None else self._next
        self._next = min(self.cap, delay * self.factor)
        return min(delay, self.cap)

    def reset(self) -> None:
        self._next = None


def get_queue(name: str = "default") -> Queue | None:
    connection = redis_connection()
    if connection is None:
        return None
    return Queue(name, connection=connection)


class QueueUnavailable(RuntimeError):
    """Redis was configured but did not take the job; the caller decides how to retry."""


def enqueue(func: Callable, *args, **kwargs):
    """Run `func` on its queue, or inline when Redis is absent. Returns the RQ job or the result.

    Raises QueueUnavailable when Redis is in use but down right now.
    """
    queue = get_queue(getattr(func, "queue_name", "default"))
    if queue is None:
        return func(*args, **kwargs)
    try:
        return queue.enqueue(
            func, args=args, kwargs=kwargs, job_timeout=getattr(func, "job_timeout", 600)
        )
    except redis.RedisError as error:
        raise QueueUnavailable(f"queue {queue.name!r} unavailable: {error}") from error
