"""The RQ worker and its periodic-job scheduler, kept running through Redis outages.

`run_worker` builds an RQ Worker and works. When Redis goes away the Worker
quits (or cannot start); instead of exiting, the loop waits, with an exponential
backoff capped at `max_backoff` seconds, and starts a new Worker. The periodic-
job scheduler (rq's CronScheduler) runs in a child process with the same loop,
and `SchedulerSupervisor` starts a new child if that one dies anyway.
"""

import contextlib
import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Sequence

import redis
from rq import Worker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from app.jobs import PERIODIC_JOBS, Backoff, new_redis, redacted_url

log = logging.getLogger(__name__)

#: A worker or scheduler that ran this long before it failed starts again from the first delay.
STABLE_AFTER_SECONDS = 60.0
#: Exit codes of a scheduler child that was asked to stop: it is not started again.
ASKED_TO_STOP = (0, -signal.SIGTERM, -signal.SIGINT)


class SupervisedWorker(Worker):
    """An RQ Worker that remembers a stop request (SIGTERM, SIGINT), even one made while
    Redis is down, so the loop around it knows not to start it again."""

    stop_requested = False

    def execute_job(self, job, queue):
        # Before forking the horse: a triage model that landed since the warm-up is loaded
        # here once (checked at most every 30 s; a no-op in a worker that never warmed up).
        from app.triage.tasks import refresh_warm_model

        try:
            refresh_warm_model()
        except Exception:  # the horse loads the new model itself anyway
            log.exception("reloading the triage model in the worker failed")
        return super().execute_job(job, queue)

    def request_stop(self, signum, frame):
        self.stop_requested = True
        try:
            super().request_stop(signum, frame)
        except redis.RedisError as error:
            raise StopRequested() from error


class _Stop(BaseException):
    """A signal asked the process to stop while it was waiting for Redis."""


def _stop_on_signals() -> None:
    """Between Workers, SIGTERM and SIGINT stop the loop (each Worker sets rq's own handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        raise _Stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_worker(
    redis_url: str,
    queue_names: Sequence[str],
    *,
    max_backoff: float = 30.0,
    worker_class: type[Worker] = SupervisedWorker,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Work the queues until asked to stop, starting a new Worker whenever Redis drops."""
    backoff = Backoff(cap=max_backoff)
    where = redacted_url(redis_url)
    try:
        while True:
            _stop_on_signals()
            started = clock()
            worker, problem = _work_once(redis_url, queue_names, max_backoff, worker_class)
            if worker is not None and getattr(worker, "stop_requested", False):
                return
            _stop_on_signals()
            if clock() - started >= STABLE_AFTER_SECONDS:
                backoff.reset()
            delay = backoff.next_delay()
            log.warning("Redis at %s: %s; the worker starts again in %.0f s", where, problem, delay)
            sleep(delay)
    except _Stop:
        log.info("the worker stopped while waiting for Redis")


def _work_once(redis_url, queue_names, max_backoff, worker_class) -> tuple[Worker | None, object]:
    """Start one Worker and work until it quits; (the worker or None, why it quit)."""
    connection = new_redis(redis_url)
    worker = None
    try:
        connection.ping()
        worker = worker_class(list(queue_names), connection=connection)
        log.info("worker connected to Redis, listening on: %s", ", ".join(queue_names))
        # rq waits for Redis by itself while dequeueing: no longer than we would.
        worker.max_connection_wait_time = max_backoff
        worker.work(with_scheduler=True)
        return worker, "the worker loop ended"
    except (redis.ConnectionError, redis.TimeoutError) as error:
        return worker, error
    except Exception as error:  # anything else: log it, and keep the worker running
        log.exception("the worker failed")
        return worker, error
    finally:
        _release(worker)
        connection.close()


def _release(worker: Worker | None) -> None:
    """Stop what a quit Worker may leave running: its pub/sub thread retries Redis forever."""
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None:
        with contextlib.suppress(Exception):
            thread.stop()
            thread.join(timeout=1)
    pubsub = getattr(worker, "pubsub", None)
    if pubsub is not None:
        with contextlib.suppress(Exception):
            pubsub.close()


class StoppableCronScheduler(CronScheduler):
    """rq's CronScheduler, remembering a stop request in `stop` (its own handler raises
    StopRequested, which a Redis error in its clean-up would otherwise hide)."""

    def __init__(self, *args, stop: threading.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop = stop

    def _request_stop(self, signum, frame):
        self.stop.set()
        super()._request_stop(signum, frame)


def new_cron_scheduler(redis_url: str, stop: threading.Event) -> CronScheduler:
    """A CronScheduler with every periodic job of the app registered."""
    scheduler = StoppableCronScheduler(
        connection=new_redis(redis_url), name="socialbeat-cron", stop=stop
    )
    for periodic_job in PERIODIC_JOBS:
        scheduler.register(
            periodic_job.func,
            queue_name=periodic_job.queue,
            interval=periodic_job.interval,
            cron=periodic_job.cron,
            job_timeout=periodic_job.timeout,
            name=periodic_job.name,
        )
    return scheduler


def keep_cron_running(
    redis_url: str,
    *,
    max_backoff: float = 30.0,
    new_scheduler: Callable[[str, threading.Event], CronScheduler] = new_cron_scheduler,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run the cron scheduler until asked to stop, starting it again after a Redis error."""
    backoff = Backoff(cap=max_backoff)
    where = redacted_url(redis_url)
    stop = threading.Event()
    scheduler = new_scheduler(redis_url, stop)
    try:
        while not stop.is_set():
            started = clock()
            try:
                # The same scheduler each time: it keeps when each job last ran.
                scheduler.start()
                problem: object = "the scheduler stopped"
            except redis.RedisError as error:
                problem = error
            except StopRequested:
                raise
            except Exception as error:  # a broken job definition must not end the schedule
                log.exception("the periodic-job scheduler failed")
                problem = error
            if stop.is_set():
                return
            if clock() - started >= STABLE_AFTER_SECONDS:
                backoff.reset()
            delay = backoff.next_delay()
            log.warning(
                "Redis at %s: %s; the periodic-job scheduler starts again in %.0f s",
                where,
                problem,
                delay,
            )
            sleep(delay)
    except StopRequested:
        return


def run_cron_scheduler(
    app_factory: Callable[[], object], redis_url: str, max_backoff: float = 30.0
) -> None:
    """The scheduler child process: the app (`app_factory()`: the worker's create_app, passed
    in so that this module needs no import of the app), then the cron loop."""
    app = app_factory()
    with app.app_context():
        keep_cron_running(redis_url, max_backoff=max_backoff)


class SchedulerSupervisor:
    """Runs `target(*args)` in a child process, and starts a new child, after a capped
    exponential backoff, whenever one ends without having been asked to stop."""

    def __init__(
        self,
        target: Callable,
        args: tuple = (),
        *,
        max_backoff: float = 30.0,
        check_seconds: float = 5.0,
        context=None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._target, self._args = target, args
        self.max_backoff = max_backoff
        self.check_seconds = check_seconds
        # A fresh interpreter: nothing inherited from the worker's threads and connections.
        self._context = context or multiprocessing.get_context("spawn")
        self._clock = clock
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process = None
        self._started_at = 0.0
        self._thread: threading.Thread | None = None
        #: How many children were started, the first included.
        self.starts = 0

    @property
    def process(self):
        return self._process

    def start(self) -> None:
        with self._lock:
            self._process = self._spawn()
        self._thread = threading.Thread(target=self._watch, name="cron-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self):
        process = self._context.Process(
            target=self._target, args=self._args, name="socialbeat-cron", daemon=True
        )
        process.start()
        self._started_at = self._clock()
        self.starts += 1
        return process

    def _watch(self) -> None:
        backoff = Backoff(cap=self.max_backoff)
        while not self._stopping.wait(self.check_seconds):
            process = self._process
            if process.is_alive():
                continue
            if process.exitcode in ASKED_TO_STOP:
                log.info("the periodic-job scheduler stopped (exit code %s)", process.exitcode)
                return
            if self._clock() - self._started_at >= STABLE_AFTER_SECONDS:
                backoff.reset()
            delay = backoff.next_delay()
            log.warning(
                "the periodic-job scheduler died (exit code %s): it starts again in %.0f s",
                process.exitcode,
                delay,
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = self._spawn()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.is_alive():
            process.terminate()
            process.join(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
