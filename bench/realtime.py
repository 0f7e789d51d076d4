"""Real-time triage: a steady stream of posts, through RQ, to `flask worker` processes.

    python -m bench realtime [--workers N] [--rate 100] [--seconds 120] [--burst N]

The production path, end to end: posts are delivered the way a webhook
delivers them (`app.collectors.intake.store_pushed`: stored, committed, then
one triage job per delivery on the ``triage`` queue), and N separate
``flask --app wsgi worker -q triage --no-cron`` processes (the real command:
the model warmed up in each worker's parent, one forked work-horse per job)
triage them into cases, review or dismissal.

The feed is `--rate` posts a second for `--seconds`, in deliveries every
0.1 s, drawn from the real labelled texts of data/triage/real/*.jsonl
(relevant and not, in their natural mix; a text used again carries a suffix).
Every 10 s it prints the queue depth: jobs waiting on the queue and posts
stored but not triaged yet. Then it waits for the backlog to drain, and prints
p50, p95 and max of each post's latency, from ``collected_at`` (stored) to
``triaged_at`` (the time its triage decision was written: linked to its case,
sent to review or dismissed), whether the workers kept up (less than 10 s of
posts behind when the feed stopped), and the throughput: what was triaged
during the feed, and the capacity, measured on a burst of `--burst` posts
stored at once (as a pull collector's page; 0 to skip).

`--workers N` runs 1, 2, … N workers one after another, each on a fresh
database, and prints the throughput of each. Each worker gets its share of the
cores as model threads (``OMP_NUM_THREADS``, unless set): never more model
threads than cores.

Uses its own PostgreSQL database (socialbeat_bench_realtime, recreated for each
run) and Redis database 14 (``BENCH_REALTIME_REDIS_URL``; it is emptied). It
needs the trained model (instance/models/triage/current). The worker logs are
kept in a temporary folder, printed when a worker fails.
"""

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from bench.common import ADMIN_DSN

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "triage" / "real"
DATABASE = "socialbeat_bench_realtime"
REDIS_URL = os.environ.get("BENCH_REALTIME_REDIS_URL", "redis://127.0.0.1:6379/14")
QUEUE = "triage"
#: Seconds between deliveries, and between two lines of queue depth.
TICK = 0.1
SAMPLE_EVERY = 10.0
#: A run kept up when the posts not triaged at the end of the feed were fewer than this
#: many seconds of the feed.
KEPT_UP_SECONDS = 10.0
#: Longest wait for the workers to start, and for a backlog to drain.
START_TIMEOUT = 600.0
DRAIN_TIMEOUT = 600.0


@dataclass
class Sample:
    at: float
    stored: int
    done: int
    jobs: int

    @property
    def backlog(self) -> int:
        return self.stored - self.done


@dataclass
class Outcome:
    workers: int
    offered: float = 0.0
    fed: int = 0
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    backlog_at_end: int = 0
    drained_after: float | None = None
    sustained: float = 0.0
    #: Deliveries (one triage job enqueued each) and the jobs the workers ran for them.
    deliveries: int = 0
    jobs_run: int = 0
    capacity: float | None = None


def _fresh_database() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"


def _pool() -> list[dict]:
    """The real labelled texts, shuffled: relevant and not, as the sources gave them."""
    rows = []
    for path in sorted(REAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append(
                    {
                        "text": row["text"],
                        "relevant": bool(row.get("relevant")),
                        "source": "rss" if row.get("style") == "press" else "facebook",
                        "url": row.get("url"),
                    }
                )
    random.Random(16).shuffle(rows)
    return rows


def _post(pool: list[dict], n: int, tag: str, now: datetime):
    from app.collectors.base import PostData

    row = pool[n % len(pool)]
    again = n // len(pool)
    return PostData(
        source=row["source"],
        external_id=f"{tag}-{n}",
        url=row["url"],
        text=row["text"] + (f" #{again}" if again else ""),
        posted_at=now - timedelta(seconds=30 + n % 600),
        likes=n % 97,
        shares=n % 13,
        comments=n % 31,
    )


def _config(database_url: str):
    from config import Config

    return type(
        "BenchConfig",
        (Config,),
        {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": REDIS_URL, "JOBS_MODE": "redis"},
    )


def _start_workers(count: int, database_url: str, logs: Path) -> list[tuple]:
    """`count` `flask worker` processes on the triage queue; returns when all listen."""
    flask = Path(sys.executable).with_name("flask")
    command = [str(flask), "--app", "wsgi", "worker", "-q", QUEUE, "--no-cron"]
    env = os.environ | {
        "DATABASE_URL": database_url.replace("postgresql+psycopg://", "postgresql://"),
        "REDIS_URL": REDIS_URL,
        "JOBS_MODE": "redis",
        "PYTHONUNBUFFERED": "1",
        # No more model threads than cores: each worker gets its share (docs/scaling.md).
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS") or str(_threads(count)),
    }
    workers = []
    for n in range(count):
        log = logs / f"worker-{count}-{n + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        workers.append((process, log))
    deadline = time.monotonic() + START_TIMEOUT
    for _, log in workers:
        while "worker listening on" not in log.read_text(errors="replace"):
            _check_alive(workers)
            if time.monotonic() > deadline:
                raise SystemExit(f"a worker did not start in {START_TIMEOUT:.0f} s: see {log}")
            time.sleep(0.2)
    return workers


def _threads(count: int) -> int:
    return max(1, (os.cpu_count() or 1) // count)


def _check_alive(workers) -> None:
    for process, log in workers:
        if process.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise SystemExit(f"a worker exited with {process.returncode} ({log}):\n{tail}")


def _stop_workers(workers) -> None:
    for process, _ in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, _ in workers:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _sample(db, queue, tag: str, began: float) -> Sample:
    stored, done = db.session.execute(
        db.text(
            "SELECT count(*), count(*) FILTER (WHERE triage_status IN ('done', 'failed')) "
            "FROM posts WHERE external_id LIKE :tag"
        ),
        {"tag": f"{tag}-%"},
    ).one()
    db.session.commit()
    return Sample(time.monotonic() - began, stored, done, queue.count)


def _print_sample(sample: Sample, phase: str) -> None:
    print(
        f"    {sample.at:6.0f} s  {phase:<5} stored {sample.stored:6d}  triaged {sample.done:6d}  "
        f"backlog {sample.backlog:5d} posts  queue {sample.jobs:4d} jobs",
        flush=True,
    )


def _feed(db, queue, pool, tag: str, rate: float, seconds: float, outcome: Outcome) -> float:
    """Deliver `rate` posts a second for `seconds`; returns when the feed began (monotonic)."""
    from app.collectors.base import FetchResult
    from app.collectors.intake import store_pushed
    from app.models import utcnow

    began = time.monotonic()
    total = int(rate * seconds)
    sent, next_sample = 0, SAMPLE_EVERY
    while sent < total:
        elapsed = time.monotonic() - began
        due = min(int(rate * elapsed) + 1, total) - sent
        if due > 0:
            now = utcnow()
            store_pushed(FetchResult(posts=[_post(pool, sent + i, tag, now) for i in range(due)]))
            sent += due
            outcome.deliveries += 1
        if elapsed >= next_sample:
            sample = _sample(db, queue, tag, began)
            outcome.samples.append(sample)
            _print_sample(sample, "feed")
            next_sample += SAMPLE_EVERY
        time.sleep(max(0.0, TICK - (time.monotonic() - began - elapsed)))
    outcome.fed, outcome.seconds = sent, time.monotonic() - began
    return began


def _drain(db, queue, tag: str, began: float, workers, outcome: Outcome | None = None) -> float:
    """Wait until every post of `tag` is triaged; returns the seconds it took from now."""
    start = time.monotonic()
    next_sample = (start - began) // SAMPLE_EVERY * SAMPLE_EVERY + SAMPLE_EVERY
    while True:
        sample = _sample(db, queue, tag, began)
        if sample.backlog == 0:
            if outcome is not None:
                outcome.samples.append(sample)
                _print_sample(sample, "drain")
            return time.monotonic() - start
        if outcome is not None and sample.at >= next_sample:
            outcome.samples.append(sample)
            _print_sample(sample, "drain")
            next_sample += SAMPLE_EVERY
        _check_alive(workers)
        if time.monotonic() - start > DRAIN_TIMEOUT:
            raise SystemExit(f"{sample.backlog} posts not triaged {DRAIN_TIMEOUT:.0f} s after")
        time.sleep(0.25)


def _latencies(db, tag: str) -> list[float]:
    rows = db.session.execute(
        db.text(
            "SELECT extract(epoch FROM triaged_at - collected_at) FROM posts "
            "WHERE external_id LIKE :tag AND triaged_at IS NOT NULL"
        ),
        {"tag": f"{tag}-%"},
    ).scalars()
    return sorted(float(value) for value in rows)


def _outcomes(db, tag: str) -> str:
    row = db.session.execute(
        db.text(
            "SELECT count(*) FILTER (WHERE case_id IS NOT NULL), count(DISTINCT case_id), "
            "count(*) FILTER (WHERE needs_review), "
            "count(*) FILTER (WHERE case_id IS NULL AND NOT needs_review "
            "AND triage_status = 'done'), "
            "count(*) FILTER (WHERE triage_status = 'failed') "
            "FROM posts WHERE external_id LIKE :tag"
        ),
        {"tag": f"{tag}-%"},
    ).one()
    return (
        f"{row[0]} linked to {row[1]} cases, {row[2]} sent to review, {row[3]} dismissed, "
        f"{row[4]} failed"
    )


def _burst(db, queue, pool, size: int, workers) -> float:
    """Store `size` posts at once as a pull collector's pages; posts triaged per second."""
    from app.collectors.operations import store_posts
    from app.models import utcnow
    from app.triage.tasks import enqueue_triage

    now = utcnow()
    posts = [_post(pool, n + 977, "burst", now) for n in range(size)]
    began = time.monotonic()
    for start in range(0, size, 500):
        enqueue_triage(store_posts(posts[start : start + 500]).new_ids)
    _drain(db, queue, "burst", began, workers)
    return size / (time.monotonic() - began)


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def _run_once(count: int, rate: float, seconds: float, burst: int, pool, logs: Path) -> Outcome:
    import redis
    from flask_migrate import upgrade
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    from app import create_app
    from app.extensions import db
    from app.units.operations import load_hcmc

    database_url = _fresh_database()
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    app = create_app(_config(database_url))
    with app.app_context():
        upgrade()
        load_hcmc()
        db.session.remove()
        db.engine.dispose()
    began = time.monotonic()
    workers = _start_workers(count, database_url, logs)
    print(
        f"  {count} worker(s) of {os.environ.get('OMP_NUM_THREADS') or _threads(count)} "
        f"model thread(s) ready in {time.monotonic() - began:.1f} s (model warmed up); "
        f"feeding {rate:g} posts/s for {seconds:g} s",
        flush=True,
    )
    outcome = Outcome(workers=count, offered=rate)
    queue = Queue(QUEUE, connection=connection)
    tag = "rt"
    try:
        with app.app_context():
            fed_from = _feed(db, queue, pool, tag, rate, seconds, outcome)
            at_end = _sample(db, queue, tag, fed_from)
            outcome.backlog_at_end = at_end.backlog
            outcome.sustained = at_end.done / outcome.seconds
            outcome.drained_after = _drain(db, queue, tag, fed_from, workers, outcome)
            outcome.latencies = _latencies(db, tag)
            outcome.jobs_run = FinishedJobRegistry(queue=queue).count
            print(f"  outcome: {_outcomes(db, tag)}")
            if burst:
                outcome.capacity = _burst(db, queue, pool, burst, workers)
    finally:
        _stop_workers(workers)
    return outcome


def _report(outcome: Outcome) -> None:
    ordered = outcome.latencies
    behind = outcome.backlog_at_end / outcome.offered
    kept_up = behind <= KEPT_UP_SECONDS
    print(
        f"  latency collected -> triaged ({len(ordered)} posts, {outcome.workers} worker(s)): "
        f"p50 {statistics.median(ordered):.2f} s, p95 {_percentile(ordered, 0.95):.2f} s, "
        f"max {ordered[-1]:.2f} s"
    )
    print(
        f"  kept up: {'yes' if kept_up else 'NO'} ({outcome.backlog_at_end} posts = "
        f"{behind:.1f} s of the feed not triaged when it stopped; drained "
        f"{outcome.drained_after:.1f} s later); fed {outcome.fed} posts in "
        f"{outcome.seconds:.1f} s ({outcome.fed / outcome.seconds:.1f}/s)"
    )
    print(
        f"  batching: {outcome.deliveries} deliveries (a job each) ran as {outcome.jobs_run} "
        f"jobs, {outcome.fed / max(outcome.jobs_run, 1):.0f} posts per job on average"
    )
    capacity = f", capacity {outcome.capacity:.1f} posts/s" if outcome.capacity else ""
    print(
        f"  throughput: {outcome.sustained:.1f} posts/s triaged during the feed{capacity} "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
        flush=True,
    )


def run(workers: int = 1, rate: float = 100.0, seconds: float = 120.0, burst: int | None = None):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        raise SystemExit(f"bench realtime needs Redis at {REDIS_URL}: {error}") from error
    from app.triage.tasks import MODEL_BATCH

    pool = _pool()
    relevant = sum(row["relevant"] for row in pool) / len(pool)
    burst = int(rate * 20) if burst is None else burst
    logs = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    print(
        f"realtime triage: {len(pool)} real texts ({relevant:.0%} relevant), webhook deliveries "
        f"every {TICK:g} s, jobs joined up to {MODEL_BATCH} posts in the worker; logs in {logs}",
        flush=True,
    )
    outcomes = []
    for count in range(1, workers + 1):
        outcome = _run_once(count, rate, seconds, burst, pool, logs)
        _report(outcome)
        outcomes.append(outcome)
    if len(outcomes) > 1:
        for outcome in outcomes:
            capacity = f"{outcome.capacity:.1f}" if outcome.capacity else "-"
            print(
                f"realtime {outcome.workers} worker(s): p95 "
                f"{_percentile(outcome.latencies, 0.95):.2f} s, "
                f"{outcome.sustained:.1f} posts/s during the feed, capacity {capacity} posts/s"
            )
