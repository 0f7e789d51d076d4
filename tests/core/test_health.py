import pytest

from app import create_app
from app.jobs import QueueUnavailable, new_redis
from tests.conftest import make_config

#: Nothing listens there: a Redis that is down.
DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_the_database_is_down():
    app = create_app(
        make_config(
            "postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
            REDIS_URL=DEAD_REDIS,
            JOBS_MODE="redis",
        )
    )

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error",
        "database": "unavailable",
        "redis": "unavailable",
    }


def test_healthz_is_degraded_when_redis_is_required_and_down(database_url):
    app = create_app(make_config(database_url, REDIS_URL=DEAD_REDIS, JOBS_MODE="redis"))

    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "unavailable",
    }


def test_healthz_is_degraded_when_redis_goes_away_after_start_up(app, client, monkeypatch):
    # The app found Redis at start-up, so its jobs go to the queues; then Redis stops.
    monkeypatch.setitem(app.extensions, "socialbeat_redis", new_redis(DEAD_REDIS))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "unavailable",
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"JOBS_MODE": "inline"},
        # The laptop default: no Redis at start-up, so jobs run inline in the web app.
        {"JOBS_MODE": "auto", "REDIS_URL": DEAD_REDIS},
    ],
    ids=["inline", "auto-without-redis"],
)
def test_healthz_is_ok_when_redis_is_not_used(database_url, overrides):
    app = create_app(make_config(database_url, **overrides))

    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not used"}


def test_without_redis_jobs_run_inline_and_the_log_says_so(database_url, caplog):
    from app.jobs import enqueue, job

    calls = []

    @job()
    def record(value):
        calls.append(value)
        return value

    app = create_app(make_config(database_url, REDIS_URL=DEAD_REDIS))
    with app.app_context():
        assert enqueue(record, 42) == 42

    assert calls == [42]
    assert "jobs run inline" in caplog.text


def test_when_redis_is_required_jobs_wait_for_it_instead_of_running_inline(database_url):
    from app.jobs import enqueue, job, redis_connection

    calls = []

    @job()
    def record(value):
        calls.append(value)

    app = create_app(make_config(database_url, REDIS_URL=DEAD_REDIS, JOBS_MODE="redis"))
    with app.app_context():
        # The connection is kept, so the queue works again as soon as Redis answers.
        assert redis_connection() is not None
        with pytest.raises(QueueUnavailable):
            enqueue(record, 42)

    assert calls == []


def test_with_redis_jobs_go_to_their_queue(app_context):
    from app.jobs import enqueue, get_queue, job

    @job(queue="emails")
    def send(value):
        return value

    queued = enqueue(send, "hello")

    assert queued.origin == "emails"
    assert get_queue("emails").count == 1


def test_redis_passwords_stay_out_of_the_log():
    from app.jobs import redacted_url

    assert redacted_url("redis://:s3cret@cache:6380/2") == "redis://:***@cache:6380/2"
    assert redacted_url("redis://user:s3cret@cache/0") == "redis://user:***@cache/0"
    assert redacted_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
