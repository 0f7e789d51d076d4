"""Triage of one citizen report: from the report stored to its triage result, as the worker runs it.

    python -m bench single [--reports N] [--no-warm-up]

Uses its own PostgreSQL database (recreated each run) and, when Redis answers at
``BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/14``), a real RQ worker
started the way ``flask worker`` starts one: the model warmed up in the worker's
parent (`app.triage.tasks.warm_up`), then one forked work-horse per job. N
reports (half from the portal form, half as Open311 requests, with texts from
the labelled dev split) are filed one after another through
`app.public.reports.file_report`, which stores each and enqueues its triage
job; the clock runs from the report stored to its post triaged (polled in the
database every 10 ms). It prints p50, p95 and max, and how many times the model
was loaded: in the worker's parent and in the jobs (0 when the horses share the
parent's model).

``--no-warm-up`` starts the worker without the warm-up, as before issue 15:
every job then loads the model again.

Without Redis, jobs run inline: each report is triaged inside `file_report`,
after one warm-up in this process, and that is what is timed.
"""

import json
import multiprocessing
import os
import random
import statistics
import time
from pathlib import Path

import psycopg

from bench.common import ADMIN_DSN

DATA = Path(__file__).resolve().parent.parent / "data" / "triage"
DATABASE = "socialbeat_bench_single"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
POLL_SECONDS = 0.01
#: Issue 15: a citizen's report reaches its triage result within 5 s at p95.
TARGET_P95_SECONDS = 5.0


def _fresh_database() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"


def _config(database_url: str, jobs_mode: str):
    from config import Config

    return type(
        "BenchConfig",
        (Config,),
        {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": REDIS_URL, "JOBS_MODE": jobs_mode},
    )


def _reports(count: int) -> list[dict]:
    """Relevant texts of the dev split: half as portal reports, half as Open311 requests."""
    rows = [
        json.loads(line)
        for line in (DATA / "dev.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rows = [row for row in rows if row.get("relevant") and len(row["text"]) <= 4000]
    random.Random(11).shuffle(rows)
    reports = []
    for n, row in enumerate(rows[:count]):
        fields = {"text": row["text"], "place": "", "submission_id": f"bench-{n}"}
        if n % 2:
            fields |= {"service_code": row["category"], "jurisdiction_id": "hochiminhcity.gov.vn"}
        reports.append(fields)
    return reports


def _count_loads(counter) -> None:
    """Add every model load of this process (and of the children it forks) to `counter`."""
    from app.triage.model import fallback, inference

    def counted(function):
        def wrapper(*args, **kwargs):
            with counter.get_lock():
                counter.value += 1
            return function(*args, **kwargs)

        return wrapper

    load = inference.TransformerClassifier.load.__func__
    inference.TransformerClassifier.load = classmethod(counted(load))
    fallback.load_fallback = counted(fallback.load_fallback)


def _worker(database_url: str, warm: bool, loads, ready) -> None:
    """`flask worker -q triage`, with the model warmed up in the parent (unless `warm` is False)."""
    from rq import Worker

    from app import create_app
    from app.extensions import db
    from app.jobs import redis_connection
    from app.triage.tasks import warm_up

    _count_loads(loads)
    app = create_app(_config(database_url, "auto"))
    with app.app_context():
        if warm:
            warm_up()
        db.engine.dispose()
        ready.set()
        Worker(["triage"], connection=redis_connection()).work()


def run(reports: int = 30, warm: bool = True) -> None:
    import redis
    from flask_migrate import upgrade

    from app import create_app
    from app.collectors.models import Post, TriageStatus
    from app.extensions import db
    from app.public.reports import file_report
    from app.units.operations import load_hcmc

    database_url = _fresh_database()
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        mode = "worker"
    except redis.RedisError:
        mode = "inline"
    app = create_app(_config(database_url, "auto" if mode == "worker" else "inline"))
    with app.app_context():
        upgrade()
        load_hcmc()
        db.session.remove()
    context = multiprocessing.get_context("spawn")
    loads = context.Value("i", 0)
    worker = None
    began = time.perf_counter()
    if mode == "worker":
        from rq import Queue

        Queue("triage", connection=redis.Redis.from_url(REDIS_URL)).empty()
        ready = context.Event()
        worker = context.Process(target=_worker, args=(database_url, warm, loads, ready))
        worker.start()
        if not ready.wait(600):
            raise SystemExit("the worker did not start in 10 minutes")
    elif warm:
        from app.triage.tasks import warm_up

        _count_loads(loads)
        with app.app_context():
            warm_up()
    warm_up_seconds = time.perf_counter() - began
    parent_loads = loads.value
    latencies = []
    try:
        with app.app_context():
            for fields in _reports(reports):
                post_id = _file(file_report, fields, latencies, mode, db, Post, TriageStatus)
                if post_id is None:
                    raise SystemExit(f"report {fields['submission_id']} was not triaged in 120 s")
            failed = db.session.scalar(
                db.select(db.func.count(Post.id)).where(
                    Post.triage_status != TriageStatus.done.value
                )
            )
    finally:
        if worker is not None:
            worker.terminate()
            worker.join(10)
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]
    print(
        f"single-report triage ({mode}{'' if warm else ', no warm-up'}): {len(ordered)} reports, "
        f"stored -> triaged p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, "
        f"max {ordered[-1]:.2f} s" + (f"; {failed} not triaged" if failed else "")
    )
    passed = p95 <= TARGET_P95_SECONDS and not failed
    print(f"  {'PASS' if passed else 'FAIL'} (target: p95 ≤ {TARGET_P95_SECONDS:g} s, all triaged)")
    print(
        f"  model loads: {parent_loads} in the worker's parent (ready in {warm_up_seconds:.1f} s), "
        f"{loads.value - parent_loads} in the {len(ordered)} jobs "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


def _file(file_report, fields, latencies, mode, db, Post, TriageStatus) -> int | None:
    """File one report; add the seconds from stored to triaged to `latencies`."""
    began = time.perf_counter()
    post_id = file_report(fields).post.id
    stored = time.perf_counter()
    if mode == "inline":  # triaged inside file_report, after the post's commit
        latencies.append(stored - began)
        return post_id
    deadline = stored + 120
    while time.perf_counter() < deadline:
        status = db.session.scalar(db.select(Post.triage_status).where(Post.id == post_id))
        db.session.commit()
        if status in (TriageStatus.done.value, TriageStatus.failed.value):
            latencies.append(time.perf_counter() - stored)
            return post_id
        time.sleep(POLL_SECONDS)
    return None
