"""Background jobs: named RQ queues, one `job` decorator, and the periodic-job registry.

With Redis reachable, `enqueue()` puts work on an RQ queue and `flask worker`
runs it. Without Redis (the embedded default on a laptop) the same call runs
the job inline, and the app says so in its log once.
"""

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

import redis
from flask import current_app, has_app_context
from rq import Queue

log = logging.getLogger(__name__)

#: default: short jobs; periodic: scheduled scans; emails: outgoing mail;
#: collect: source polling; triage: the model pipeline.
QUEUE_NAMES = ("default", "periodic", "emails", "collect", "triage")


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


_app = None
_app_pid = None


def _worker_app():
    """The app a worker process uses; a forked work-horse gets fresh DB connections."""
    global _app, _app_pid
    if _app is None:
        from app import create_app

        _app = create_app()
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


def connect_redis(url: str, mode: str) -> redis.Redis | None:
    """Connect to Redis when it answers; return None (inline jobs) otherwise."""
    if mode == "inline":
        return None
    connection = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    try:
        connection.ping()
    except redis.RedisError as error:
        log.warning("Redis at %s is unavailable (%s): background jobs run inline", url, error)
        return None
    return connection


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
