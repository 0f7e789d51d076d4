"""End-to-end triage throughput: stored post -> model -> place -> clustering -> case.

    python -m bench triage [--posts N]

Uses its own PostgreSQL database (recreated each run), stores N realistic posts
from the labelled dataset (dev + test splits, so not the training texts), then
runs the real triage job over them in one process, as one RQ worker would, with
the trained transformer in the loop. Loading the model happens once per worker
and is reported apart.

It prints posts/s, how many posts went to review and how many cases were
opened, the model version, the classifier's inference path (int8/bfloat16
plan, CPU instructions, threads), how many posts the lexical model alone
dismissed so that the transformer was skipped (``--no-cascade`` runs it on
every post), and where the time went: in the classifier's
`predict`, and in everything else (text rules, gazetteer, clustering, cases,
SLA clocks, timeline and the database), per post. On a shared machine the
load average printed with it says how far to trust the figure.
"""

import json
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from bench.common import ADMIN_DSN

DATA = Path(__file__).resolve().parent.parent / "data" / "triage"
DATABASE = "socialbeat_bench_triage"


def _fresh_database() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"


def _texts() -> list[str]:
    texts = []
    for name in ("dev", "test"):
        for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            texts.append(json.loads(line)["text"])
    return texts


def run(total: int = 3000, batch: int = 64, cascade: bool = True) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.collectors.base import PostData
    from app.collectors.operations import store_posts
    from app.extensions import db
    from app.triage import pipeline, tasks
    from app.triage.model.inference import load_classifier
    from app.units.operations import load_hcmc
    from config import Config

    config = type(
        "BenchConfig",
        (Config,),
        {"SQLALCHEMY_DATABASE_URI": _fresh_database(), "JOBS_MODE": "inline"},
    )
    app = create_app(config)
    rng = random.Random(7)
    texts = _texts()
    start = datetime(2026, 11, 25, tzinfo=UTC)
    with app.app_context():
        upgrade()
        load_hcmc()
        posts = [
            PostData(
                source=rng.choice(["facebook", "zalo", "x", "youtube"]),
                external_id=str(n),
                text=texts[n % len(texts)] + ("" if n < len(texts) else f" #{n // len(texts)}"),
                posted_at=start + timedelta(minutes=n),
                likes=rng.randint(0, 300),
            )
            for n in range(total)
        ]
        post_ids = store_posts(posts).new_ids
        began = time.perf_counter()
        classifier = load_classifier()
        classifier.cascade = cascade
        classifier.predict(["khởi động mô hình"])
        print(
            f"triage benchmark: model {classifier.version} ({classifier.kind}) loaded in "
            f"{time.perf_counter() - began:.1f} s"
        )
        print(f"  classifier: {getattr(classifier, 'inference_path', 'TF-IDF fallback')}")
        tasks.LINK_BATCH = batch
        model_seconds = _time(classifier, "predict")
        settled = _count_settled(classifier)
        analyse_seconds = _time(pipeline, "analyse")
        load = os.getloadavg()[0]
        began = time.perf_counter()
        counts = {"done": 0, "skipped": 0, "failed": 0}
        for offset in range(0, len(post_ids), tasks.JOB_SIZE):  # one job each, as enqueued
            for key, value in tasks.triage_posts(
                post_ids[offset : offset + tasks.JOB_SIZE]
            ).items():
                counts[key] += value
        elapsed = time.perf_counter() - began
        cases = db.session.execute(db.text("SELECT count(*) FROM cases")).scalar()
        linked = db.session.execute(
            db.text("SELECT count(*) FROM posts WHERE case_id IS NOT NULL")
        ).scalar()
        review = db.session.execute(
            db.text("SELECT count(*) FROM posts WHERE needs_review")
        ).scalar()
        events = db.session.execute(db.text("SELECT count(*) FROM case_events")).scalar()
    model = model_seconds[0]
    rules = analyse_seconds[0] - model
    cases_db = elapsed - analyse_seconds[0]
    print(
        f"  {counts['done']} posts triaged ({counts['failed']} failed), {review} sent to review; "
        f"{linked} linked to {cases} cases opened ({events} timeline events)"
    )
    if hasattr(classifier, "settled_by_lexical"):
        print(
            f"  transformer skipped for {settled[0]} posts the lexical model alone dismisses"
            + ("" if cascade else " (--no-cascade: it ran on every post)")
        )
    print(
        f"  time per post: classifier {1000 * model / total:.2f} ms; text rules and gazetteer "
        f"{1000 * rules / total:.2f} ms; locking, clustering, cases, SLA clocks, timeline and "
        f"database {1000 * cases_db / total:.2f} ms (load average {load:.1f} -> "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        f"triage end to end (stored post -> case; jobs of {tasks.JOB_SIZE}, model calls of "
        f"{tasks.MODEL_BATCH}, linked in batches of {batch}; model {classifier.version}): "
        f"{total / elapsed:.0f} posts/s ({elapsed:.1f} s for {total})"
    )


def _count_settled(classifier) -> list[int]:
    """Count the posts `classifier.settled_by_lexical` lets skip the transformer."""
    count = [0]
    settled_by_lexical = getattr(classifier, "settled_by_lexical", None)
    if settled_by_lexical is None:
        return count

    def counted(p_lexical):
        settled = settled_by_lexical(p_lexical)
        count[0] += int(settled.sum())
        return settled

    classifier.settled_by_lexical = counted
    return count


def _time(owner, name: str) -> list[float]:
    """Make `owner.name()` add the seconds it takes to the returned one-item list."""
    seconds = [0.0]
    function = getattr(owner, name)

    def timed(*args, **kwargs):
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[0] += time.perf_counter() - began

    setattr(owner, name, timed)
    return seconds
