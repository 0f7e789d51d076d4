from app import create_app
from tests.conftest import make_config


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_the_database_is_down():
    app = create_app(
        make_config(
            "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", REDIS_URL="redis://127.0.0.1:1/0"
        )
    )

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error",
        "database": "unavailable",
        "redis": "unavailable",
    }


def test_without_redis_jobs_run_inline_and_the_log_says_so(database_url, caplog):
    from app.jobs import enqueue, job

    calls = []

    @job()
    def record(value):
        calls.append(value)
        return value

    app = create_app(make_config(database_url, REDIS_URL="redis://127.0.0.1:1/0"))
    with app.app_context():
        assert enqueue(record, 42) == 42

    assert calls == [42]
    assert "jobs run inline" in caplog.text


def test_with_redis_jobs_go_to_their_queue(app_context):
    from app.jobs import enqueue, get_queue, job

    @job(queue="emails")
    def send(value):
        return value

    queued = enqueue(send, "hello")

    assert queued.origin == "emails"
    assert get_queue("emails").count == 1
