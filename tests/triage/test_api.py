"""The triage API: places, and POST /api/v1/triage's limits, rate, concurrency and jobs."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker

from app.collectors.models import Post, TriageStatus
from app.extensions import db
from app.triage import api_jobs
from app.triage.limits import RateLimiter
from app.triage.tasks import API_QUEUE


def test_places_resolve_api(client, officer, api_token):
    body = client.get(
        "/api/v1/places/resolve?q=ngập ở q.7 gần Lotte", headers=api_token(officer)
    ).get_json()

    assert body["former_district"] == {"name": "Quận 7", "code": "778"}
    assert {w["name"] for w in body["wards"]} == {
        "Phường Tân Thuận",
        "Phường Tân Mỹ",
        "Phường Tân Hưng",
        "Phường Phú Thuận",
    }
    assert body["confidence"] > 0.5
    assert "Q.7" in body["reason"] or "q.7" in body["reason"]


def test_places_resolve_without_a_place(client, officer, api_token):
    body = client.get(
        "/api/v1/places/resolve?q=trời hôm nay đẹp", headers=api_token(officer)
    ).get_json()

    assert body["wards"] == [] and body["former_district"] is None


def test_places_resolve_needs_q(client, officer, api_token):
    assert client.get("/api/v1/places/resolve", headers=api_token(officer)).status_code == 422


# --- POST /api/v1/triage: limits, rate, concurrency, jobs (issue 15, items 7 and 8) ----------

REPO = Path(__file__).resolve().parents[2]


def _triage(client, headers, **body):
    return client.post("/api/v1/triage", json=body, headers=headers)


def _work_api_queue(app):
    """Run the queued chunks of API jobs here, as the worker would (no fork: the test's classifier)."""
    SimpleWorker([API_QUEUE], connection=app.extensions["socialbeat_redis"]).work(burst=True)


def test_the_reported_flood_is_refused_before_the_model_runs(
    client, officer, api_token, keyword_classifier, monkeypatch
):
    """256 texts of 10,000 characters (the issue's call) get 422 naming the field, at once."""
    monkeypatch.setattr(
        keyword_classifier, "predict", lambda *a, **k: pytest.fail("the model must not run")
    )
    began = time.perf_counter()
    response = _triage(client, api_token(officer), texts=["ngập " * 2000] * 256)

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_input" and set(body) == {"code", "message", "errors"}
    assert list(body["errors"]) == ["texts"]
    assert all(isinstance(message, str) for message in body["errors"]["texts"])
    assert body["errors"]["texts"][0].startswith("item 0: ")
    assert "5000" in body["errors"]["texts"][0]
    assert time.perf_counter() - began < 5


def test_texts_per_call_and_characters_per_text_are_capped(
    client, officer, api_token, keyword_classifier
):
    headers = api_token(officer)

    too_long = _triage(client, headers, text="x" * 5001)
    longest = _triage(client, headers, text="ngập " * 1000)
    too_many = _triage(client, headers, texts=["ngập"] * 257)

    assert too_long.status_code == 422 and list(too_long.get_json()["errors"]) == ["text"]
    assert longest.status_code == 200 and longest.get_json()["category"] == "flooding"
    assert too_many.status_code == 422
    assert too_many.get_json()["errors"] == {"texts": ["Length must be between 1 and 256."]}


def test_a_body_over_the_byte_cap_gets_413(client, officer, api_token, keyword_classifier, app):
    headers = api_token(officer)
    app.config["TRIAGE_API_MAX_BODY_BYTES"] = 1000
    try:
        response = _triage(client, headers, texts=["ngập nước"] * 100)
    finally:
        del app.config["TRIAGE_API_MAX_BODY_BYTES"]

    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"


def test_each_token_has_its_own_rate_limit(
    client, officer, create_user, api_token, keyword_classifier, app
):
    headers, other = api_token(officer), api_token(create_user(role="analyst"))
    app.config["TRIAGE_API_CALLS_PER_MINUTE"] = 3
    try:
        answers = [_triage(client, headers, text="ngập nước").status_code for _ in range(4)]
        refused = _triage(client, headers, text="ngập nước")
        others = _triage(client, other, text="ngập nước")
    finally:
        del app.config["TRIAGE_API_CALLS_PER_MINUTE"]

    assert answers == [200, 200, 200, 429]
    assert refused.status_code == 429 and refused.get_json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert others.status_code == 200


def test_the_rate_limit_counts_in_memory_while_redis_is_down():
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)

    answers = [limiter.hit("token", 2, 60, down) for _ in range(3)]
    now[0] += 60
    later = limiter.hit("token", 2, 60, down)

    assert answers[:2] == [None, None] and answers[2] == 20  # 1020 is where the window ends
    assert later is None


def test_a_third_concurrent_call_is_refused_at_once_not_queued(
    app, client, officer, api_token, keyword_classifier, monkeypatch
):
    headers = api_token(officer)
    inside, release = threading.Semaphore(0), threading.Event()
    predict = keyword_classifier.predict

    def slow(texts, batch_size=32):
        inside.release()
        release.wait(10)
        return predict(texts, batch_size)

    monkeypatch.setattr(keyword_classifier, "predict", slow)
    answers = []

    def call():
        with app.test_client() as own:
            answers.append(_triage(own, headers, text="ngập nước").status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    assert inside.acquire(timeout=10) and inside.acquire(timeout=10)  # both are in the model
    began = time.perf_counter()
    busy = _triage(client, headers, text="ngập nước")
    waited = time.perf_counter() - began
    release.set()
    for thread in threads:
        thread.join(10)
    after = _triage(client, headers, text="ngập nước")

    assert busy.status_code == 503 and busy.get_json()["code"] == "busy"
    assert int(busy.headers["Retry-After"]) > 0
    assert waited < 2
    assert answers == [200, 200] and after.status_code == 200


def test_a_large_call_runs_as_a_job_only_its_owner_may_read(
    app, client, officer, create_user, api_token, keyword_classifier
):
    headers, other = api_token(officer), api_token(create_user(role="analyst"))
    texts = ["ngập nước ở Q7", "đi chơi thôi", "rác ở chợ Bến Thành"] * 12  # 36: two chunks

    started = _triage(client, headers, texts=texts)

    assert started.status_code == 202
    body = started.get_json()
    assert body["status"] == "pending" and body["total"] == 36
    assert started.headers["Location"] == body["status_url"]
    assert body["status_url"] == f"/api/v1/triage/jobs/{body['job_id']}"
    pending = client.get(body["status_url"], headers=headers).get_json()
    assert (pending["status"], pending["processed"]) == ("pending", 0)
    assert client.get(body["status_url"], headers=other).status_code == 404

    _work_api_queue(app)

    done = client.get(body["status_url"], headers=headers)
    assert done.status_code == 200
    result = done.get_json()
    assert (result["status"], result["processed"]) == ("done", 36)
    assert [item["category"] for item in result["items"]] == ["flooding", None, "environment"] * 12
    assert client.get(body["status_url"], headers=other).status_code == 404
    assert client.get("/api/v1/triage/jobs/" + "0" * 32, headers=headers).status_code == 404
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_job_results_expire(app, client, officer, api_token, keyword_classifier, monkeypatch):
    headers = api_token(officer)
    monkeypatch.setattr(api_jobs, "TTL", 1)
    status_url = _triage(client, headers, texts=["ngập nước"] * 17).get_json()["status_url"]
    _work_api_queue(app)
    assert client.get(status_url, headers=headers).get_json()["status"] == "done"

    time.sleep(1.5)

    assert client.get(status_url, headers=headers).status_code == 404


def test_a_job_whose_model_fails_says_so(
    app, client, officer, api_token, keyword_classifier, monkeypatch
):
    headers = api_token(officer)
    status_url = _triage(client, headers, texts=["ngập nước"] * 17).get_json()["status_url"]
    monkeypatch.setattr(keyword_classifier, "predict", lambda *a, **k: 1 / 0)
    _work_api_queue(app)

    body = client.get(status_url, headers=headers).get_json()

    assert (body["status"], body["error"]) == ("failed", "ZeroDivisionError")


def test_without_a_worker_a_large_call_is_answered_at_once(
    app, client, officer, api_token, keyword_classifier, monkeypatch
):
    headers = api_token(officer)
    monkeypatch.setitem(app.extensions, "socialbeat_redis", None)

    response = _triage(client, headers, texts=["ngập nước"] * 40)

    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 40


def test_a_call_before_any_model_is_loaded_is_told_to_come_back(
    client, officer, api_token, monkeypatch
):
    from app.triage import api as triage_api
    from app.triage.model.store import ModelUnavailable

    def no_model(*args, **kwargs):
        raise ModelUnavailable("no model and no training data")

    monkeypatch.setattr(triage_api, "analyse", no_model)

    response = _triage(client, api_token(officer), text="ngập nước")

    assert response.status_code == 503
    assert response.get_json()["code"] == "model_unavailable"
    assert response.headers["Retry-After"] == "60"


def test_the_openapi_document_declares_the_limits_and_the_job(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    post = paths["/triage"]["post"]
    assert {"200", "202", "413", "422", "429", "503"} <= set(post["responses"])
    schema = post["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert schema["texts"]["maxItems"] == 256 and schema["text"]["maxLength"] == 5000
    assert "Retry-After" in post["responses"]["429"]["headers"]
    assert "404" in paths["/triage/jobs/{job_id}"]["get"]["responses"]


# --- the worker keeps the model loaded across jobs (issue 15, item 8) ----------------------

WORKER = """
import os
from rq import Worker
from app import create_app
from app.triage.model import inference
from tests.conftest import make_config

load = inference.TransformerClassifier.load.__func__

def counted(cls, path, *args, **kwargs):
    with open(os.environ["LOADS_FILE"], "a") as out:
        out.write(f"{os.getpid()}\\n")
    return load(cls, path, *args, **kwargs)

inference.TransformerClassifier.load = classmethod(counted)
app = create_app(make_config(os.environ["WORKER_DATABASE_URL"]))
with app.app_context():
    from app.jobs import redis_connection
    from app.triage.tasks import warm_up

    warm_up()  # what `flask worker` does before it starts working
    Worker(["triage"], connection=redis_connection()).work(burst=True)
"""


@pytest.fixture(scope="module")
def tiny_instance(tmp_path_factory):
    """An instance directory whose models/triage/current is the tiny model of test_model.py."""
    from app.triage.model.loop import TrainSettings
    from app.triage.model.train import run_training
    from tests.triage.test_model import TINY_SETTINGS, tiny_base, tiny_rows

    data = tmp_path_factory.mktemp("data")
    for split, copies in (("train", 4), ("dev", 1), ("test", 1)):
        with (data / f"{split}.jsonl").open("w", encoding="utf-8") as handle:
            for row in tiny_rows(copies):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    instance = tmp_path_factory.mktemp("instance")
    run_training(
        data, instance / "models" / "triage", TrainSettings(seed=3, **TINY_SETTINGS),
        device="cpu", progress=lambda line: None, base=tiny_base(data),
    )  # fmt: skip
    return instance


def test_a_worker_loads_the_model_once_for_consecutive_single_reports(
    app, app_context, database_url, tiny_instance, tmp_path
):
    from app.public.reports import file_report

    posts = [
        file_report({"text": text, "place": "Quận 7", "submission_id": f"s-{n}"}).post.id
        for n, text in enumerate(["ngập nước cống ở Q7", "kẹt xe tai nạn ở Q1"])
    ]
    loads = tmp_path / "loads"
    environment = {
        **os.environ,
        "SOCIALBEAT_INSTANCE_DIR": str(tiny_instance),
        "WORKER_DATABASE_URL": database_url,
        "LOADS_FILE": str(loads),
    }
    # A fresh process, as `flask worker` is: RQ forks a work-horse per job.
    worker = subprocess.run(
        [sys.executable, "-c", WORKER], cwd=REPO, env=environment, capture_output=True,
        text=True, timeout=180,
    )  # fmt: skip

    assert worker.returncode == 0, worker.stderr[-3000:]
    db.session.expire_all()
    assert [db.session.get(Post, post_id).triage_status for post_id in posts] == [
        TriageStatus.done.value
    ] * 2
    assert len(loads.read_text().split()) == 1  # in the worker, before the two jobs
