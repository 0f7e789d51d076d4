"""A worker killed in the middle of a triage job loses no post, and nothing is triaged twice."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import time_machine
from rq import Queue, SimpleWorker

from app.collectors.base import PostData
from app.collectors.models import Post
from app.collectors.operations import store_posts
from app.extensions import db
from app.triage.tasks import enqueue_triage, sweep_pending_posts
from tests.conftest import TEST_REDIS_URL
from tests.fakes import KeywordClassifier

# A worker whose triage is slow, so the test can kill it half-way.
SLOW_WORKER = textwrap.dedent("""
    import sys, time
    from redis import Redis
    from rq import SimpleWorker
    from app import create_app
    import app.triage.intake as intake
    import app.triage.model.inference as inference
    import app.triage.tasks as tasks
    from tests.conftest import make_config
    from tests.fakes import KeywordClassifier

    inference.load_classifier = lambda path=None: KeywordClassifier()
    tasks.MODEL_BATCH = 2
    real = intake.apply
    def slow(*args):
        time.sleep(0.4)
        real(*args)
    intake.apply = slow
    app = create_app(make_config(sys.argv[1]))
    with app.app_context():
        SimpleWorker(["triage"], connection=Redis.from_url(sys.argv[2])).work(burst=True)
""")


def _statuses():
    db.session.expire_all()
    return {
        p.external_id: (p.triage_status, p.triage_attempts)
        for p in db.session.scalars(db.select(Post))
    }


def test_killed_worker_then_sweeper_triages_every_post_once(
    app, app_context, database_url, monkeypatch
):
    monkeypatch.setattr(
        "app.triage.model.inference.load_classifier", lambda path=None: KeywordClassifier()
    )
    posts = [
        PostData(
            source="zalo",
            external_id=str(n),
            text=f"Hẻm {n} Huỳnh Tấn Phát ngập nước",
            posted_at=datetime(2026, 11, 27, tzinfo=UTC),
        )
        for n in range(8)
    ]
    enqueue_triage(store_posts(posts).new_ids)

    worker = subprocess.Popen(
        [sys.executable, "-c", SLOW_WORKER, database_url, TEST_REDIS_URL],
        cwd=os.getcwd(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(status == "done" for status, _ in _statuses().values()) >= 2:
            break
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    halfway = _statuses()
    assert 2 <= sum(status == "done" for status, _ in halfway.values()) < 8
    assert not Queue(
        "triage", connection=app.extensions["socialbeat_redis"]
    ).jobs  # the job died with it

    # Nothing happens before the queued posts count as lost…
    assert sweep_pending_posts() == 0
    # …and a quarter of an hour later the sweeper hands them to triage again.
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16)):
        assert sweep_pending_posts() == 8 - sum(status == "done" for status, _ in halfway.values())
    SimpleWorker(["triage"], connection=app.extensions["socialbeat_redis"]).work(burst=True)

    assert set(_statuses().values()) == {("done", 1)}
