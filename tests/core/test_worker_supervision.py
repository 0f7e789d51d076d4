"""The worker and the periodic-job scheduler start again by themselves after Redis errors."""

import logging
import multiprocessing
import os
import signal
import time

import pytest
import redis
from rq.exceptions import StopRequested
from rq.worker import WorkerStatus

from app.core import worker as supervision
from app.core.worker import (
    SchedulerSupervisor,
    SupervisedWorker,
    keep_cron_running,
    new_cron_scheduler,
    run_worker,
)
from app.jobs import Backoff, new_redis
from tests.conftest import TEST_REDIS_URL

DEAD_REDIS = "redis://127.0.0.1:1/0"


class Enough(BaseException):
    """Ends a loop that would otherwise wait for Redis for ever."""


@pytest.fixture(autouse=True)
def _signals_and_log(monkeypatch):
    """rq sets SIGTERM/SIGINT handlers; give pytest its own back. Alembic's logging set-up
    in the app fixture disables loggers that already exist: enable ours."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    monkeypatch.setattr(logging.getLogger(supervision.__name__), "disabled", False)
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


class Sleeps(list):
    """Records each wait; raises Enough after `limit` of them."""

    def __init__(self, limit: int = 100):
        super().__init__()
        self.limit = limit

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if len(self) >= self.limit:
            raise Enough()


def scripted_worker(outcomes: list):
    """A Worker class whose successive `work()` calls raise, return, or take a stop request."""

    class ScriptedWorker:
        made = 0

        def __init__(self, queues, connection):
            type(self).made += 1
            self.stop_requested = False

        def work(self, with_scheduler):
            outcome = outcomes.pop(0)
            if outcome == "stop":
                self.stop_requested = True
                raise redis.ConnectionError("lost while registering death")
            if isinstance(outcome, Exception):
                raise outcome

    return ScriptedWorker


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_reset():
    backoff = Backoff(first=1, cap=10)

    delays = [backoff.next_delay() for _ in range(6)]
    backoff.reset()

    assert delays == [1, 2, 4, 8, 10, 10]
    assert backoff.next_delay() == 1


def test_the_worker_starts_again_after_redis_errors_with_capped_growing_delays(caplog):
    outcomes = [
        redis.ConnectionError("Connection closed by server."),
        redis.TimeoutError("Timeout reading from socket"),
        redis.ConnectionError("Connection refused."),
        None,  # rq's loop quit by itself (an error it logged)
        "stop",
    ]
    worker_class = scripted_worker(outcomes)
    sleeps = Sleeps()

    run_worker(TEST_REDIS_URL, ["default"], max_backoff=4, worker_class=worker_class, sleep=sleeps)

    assert sleeps == [1, 2, 4, 4]
    assert worker_class.made == 5
    assert caplog.text.count("the worker starts again in") == 4


def test_a_worker_that_ran_a_while_starts_again_from_the_first_delay():
    outcomes = [redis.ConnectionError("down")] * 3 + ["stop"]
    clock_values = iter(range(0, 10_000, 100))  # each run lasts 100 s

    sleeps = Sleeps()
    run_worker(
        TEST_REDIS_URL,
        ["default"],
        worker_class=scripted_worker(outcomes),
        sleep=sleeps,
        clock=lambda: next(clock_values),
    )

    assert sleeps == [1, 1, 1]


def test_the_worker_waits_for_redis_that_is_down_at_start_up(caplog):
    worker_class = scripted_worker([])
    sleeps = Sleeps(limit=4)

    with pytest.raises(Enough):
        run_worker(DEAD_REDIS, ["default"], max_backoff=30, worker_class=worker_class, sleep=sleeps)

    assert sleeps == [1, 2, 4, 8]
    assert worker_class.made == 0
    assert "Connection refused" in caplog.text


def test_a_stop_request_while_redis_is_down_stops_the_worker():
    worker = SupervisedWorker(["default"], connection=new_redis(TEST_REDIS_URL))
    # In the middle of a job (rq then notes the request in Redis), and Redis is gone.
    worker._state = WorkerStatus.BUSY
    worker.connection = new_redis(DEAD_REDIS)

    with pytest.raises(StopRequested):
        worker.request_stop(signal.SIGTERM, None)

    assert worker.stop_requested


def test_the_cron_scheduler_starts_again_after_redis_errors(app_context, caplog):
    sleeps = Sleeps(limit=3)

    # The real scheduler, with every periodic job of the app, against a Redis that is down.
    with pytest.raises(Enough):
        keep_cron_running(DEAD_REDIS, max_backoff=2, sleep=sleeps)

    assert sleeps == [1, 2, 2]
    assert caplog.text.count("the periodic-job scheduler starts again in") == 3


def test_the_cron_scheduler_registers_every_periodic_job(app_context):
    from app.jobs import PERIODIC_JOBS

    scheduler = new_cron_scheduler(TEST_REDIS_URL, stop=None)

    names = {job.name for job in scheduler.get_jobs()}
    assert names == {job.name for job in PERIODIC_JOBS}
    assert "app.triage.tasks.sweep_pending_posts" in names


def test_a_stopped_cron_scheduler_is_not_started_again():
    class Scheduler:
        def __init__(self, url, stop):
            self.stop = stop

        def start(self):
            # rq catches the stop signal, then cannot register its death: Redis is down.
            self.stop.set()
            raise redis.ConnectionError("down")

    sleeps = Sleeps()
    keep_cron_running(TEST_REDIS_URL, new_scheduler=Scheduler, sleep=sleeps)

    assert sleeps == []


def _exit_with(code: int, marker: str) -> None:
    with open(marker, "a") as out:
        out.write(f"{os.getpid()}\n")
    os._exit(code)


def _sleep_long(marker: str) -> None:
    with open(marker, "a") as out:
        out.write(f"{os.getpid()}\n")
    time.sleep(60)


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def fork():
    return multiprocessing.get_context("fork")


def test_a_scheduler_process_that_dies_is_started_again(tmp_path, fork, caplog):
    marker = tmp_path / "starts"
    supervisor = SchedulerSupervisor(
        _exit_with, (3, str(marker)), max_backoff=1, check_seconds=0.05, context=fork
    )
    supervisor.start()
    try:
        # Three processes ran, one after the other.
        assert _wait_for(lambda: marker.exists() and len(marker.read_text().split()) >= 3)
    finally:
        supervisor.stop()

    assert supervisor.starts >= 3
    assert "the periodic-job scheduler died (exit code 3)" in caplog.text


def test_a_scheduler_process_that_was_asked_to_stop_stays_stopped(tmp_path, fork):
    marker = tmp_path / "starts"
    supervisor = SchedulerSupervisor(
        _exit_with, (0, str(marker)), max_backoff=1, check_seconds=0.05, context=fork
    )
    supervisor.start()
    try:
        assert _wait_for(lambda: not supervisor.process.is_alive())
        time.sleep(1.5)
    finally:
        supervisor.stop()

    assert supervisor.starts == 1


def test_stopping_the_supervisor_ends_its_scheduler_process(tmp_path, fork):
    marker = tmp_path / "starts"
    supervisor = SchedulerSupervisor(_sleep_long, (str(marker),), check_seconds=0.05, context=fork)
    supervisor.start()
    assert _wait_for(marker.exists)

    supervisor.stop()

    assert not supervisor.process.is_alive()
    assert supervisor.starts == 1


def test_a_burst_worker_reports_redis_down_instead_of_waiting(database_url):
    from app import create_app
    from tests.conftest import make_config

    app = create_app(make_config(database_url, REDIS_URL=DEAD_REDIS, JOBS_MODE="redis"))

    result = app.test_cli_runner().invoke(args=["worker", "--burst"])

    assert result.exit_code == 1
    assert "Redis is unavailable at redis://127.0.0.1:1/0" in result.output


def test_no_worker_when_jobs_run_inline(database_url):
    from app import create_app
    from tests.conftest import make_config

    app = create_app(make_config(database_url, JOBS_MODE="inline"))

    result = app.test_cli_runner().invoke(args=["worker"])

    assert result.exit_code == 1
    assert "JOBS_MODE is inline" in result.output
