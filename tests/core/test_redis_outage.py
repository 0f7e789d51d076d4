"""Redis stops while posts and citizen reports come in, then starts again on the same port.

A real redis-server of the test's own, the app against it, and a real
`flask --app wsgi worker` process. While Redis is down nothing is lost (the
posts are in PostgreSQL), the public form answers and /healthz says "degraded";
once Redis is back the worker takes jobs again by itself and /healthz says "ok".
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from rq import Queue, Worker
from rq.job import Job

from app import create_app
from app.collectors.models import Post
from app.collectors.sources.webhook import sign_webhook_body
from app.extensions import db
from app.triage.tasks import sweep_pending_posts
from tests.conftest import make_config
from tests.public.conftest import csrf_token

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

REPO = Path(__file__).resolve().parents[2]
SECRET = "outage-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except redis.RedisError:
            pass
        time.sleep(0.1)
    return False


class RedisServer:
    """A throw-away redis-server on `port`, without persistence."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir = port, workdir
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        assert _wait_for(client.ping, 10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class WorkerProcess:
    """`flask --app wsgi worker` (with its scheduler) in a process group of its own."""

    def __init__(self, database_url: str, redis_url: str, workdir: Path):
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"JOBS_MODE", "TEST_REDIS_URL", "FLASK_APP"}
        }
        env.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,  # set, so JOBS_MODE defaults to "redis"
            SECRET_KEY="outage-test",
            SOCIALBEAT_INSTANCE_DIR=str(workdir / "instance"),
            PYTHONUNBUFFERED="1",
        )
        self.log = workdir / "worker.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "-q", "default"],
            cwd=REPO,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(15)
        # The work-horse, rq's scheduler and the cron child share the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(5)


def _webhook(client, n: int):
    body = json.dumps(
        {
            "id": f"outage-{n}",
            "text": f"Ngập nước đường Nguyễn Hữu Cảnh, tin {n}",
            "posted_at": "2026-12-07T08:00:00+07:00",
        },
        ensure_ascii=False,
    ).encode()
    return client.post(
        "/hooks/generic/hotline",
        data=body,
        headers={"X-Signature": sign_webhook_body(SECRET, body)},
    )


def _report(client, n: int):
    data = {
        "text": f"Cây đổ chắn đường Điện Biên Phủ, phản ánh {n}",
        "place": "Bình Thạnh",
        "submission_id": f"outage-report-{n}",
        "csrf_token": csrf_token(client),
    }
    return client.post("/public/report", data=data, content_type="multipart/form-data")


def _posts(web) -> dict[str, str]:
    with web.app_context():
        posts = db.session.scalars(db.select(Post)).all()
        found = {post.external_id: post.triage_status for post in posts}
        db.session.remove()
    return found


def test_redis_outage_loses_nothing_and_the_worker_comes_back(app, database_url, tmp_path):
    server = RedisServer(_free_port(), tmp_path)
    server.start()
    worker = None
    try:
        web = create_app(
            make_config(
                database_url,
                REDIS_URL=server.url,
                WEBHOOK_SECRET=SECRET,
                PUBLIC_UPLOAD_DIR=str(tmp_path / "uploads"),
            )
        )
        client = web.test_client()
        assert client.get("/healthz").get_json()["status"] == "ok"

        worker = WorkerProcess(database_url, server.url, tmp_path)
        connection = redis.Redis.from_url(server.url)
        assert _wait_for(lambda: Worker.count(connection=connection) >= 1, 60), worker.tail()

        # A job is running when Redis stops.
        running = Queue("default", connection=connection).enqueue("time.sleep", 3)
        assert _wait_for(lambda: running.get_status(refresh=True) == "started", 20), worker.tail()
        server.stop()

        # Posts and citizen reports keep coming in.
        hooks = [_webhook(client, n) for n in range(3)]
        reports = [_report(client, n) for n in range(3)]
        health = client.get("/healthz")

        assert [(r.status_code, r.get_json()["new"]) for r in hooks] == [(202, 1)] * 3
        assert [r.status_code for r in reports] == [200, 200, 200]
        assert (health.status_code, health.get_json()) == (
            200,
            {"status": "degraded", "database": "ok", "redis": "unavailable"},
        )
        stored = _posts(web)
        assert len(stored) == 6, stored
        # Not queued (Redis is down): pending, for the sweeper.
        assert set(stored.values()) == {"pending"}

        time.sleep(3)  # the running job ends while Redis is still down
        server.start()

        health = client.get("/healthz")
        assert (health.status_code, health.get_json()["status"]) == (200, "ok")
        # A job enqueued after the restart: the sweeper hands the outage's posts to triage.
        sweep = Queue("default", connection=connection).enqueue(sweep_pending_posts)
        finished = _wait_for(lambda: sweep.get_status(refresh=True) == "finished", 30)
        assert finished, f"the worker did not come back:\n{worker.tail()}"
        assert Job.fetch(sweep.id, connection=connection).return_value() == 6
        assert set(_posts(web).values()) == {"queued"}
        assert Queue("triage", connection=connection).count >= 1
        # New posts go straight to the queue again.
        assert _webhook(client, 99).status_code == 202
        assert _posts(web)["outage-99"] == "queued"
        assert worker.process.poll() is None, worker.tail()
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
