"""Fixtures: a throw-away PostgreSQL database, the app, clients, users per role, factories."""

import itertools
import os
import threading
import uuid

import psycopg
import pytest
import redis
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.units.models import Unit
from app.units.operations import load_hcmc
from app.users.models import User

ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
#: Each pytest-xdist worker ("gw0", "gw1", ...; `make test` runs one per core, up to 4) flushes
#: its own Redis database (14 is the benchmarks'); each makes its own PostgreSQL database too.
_WORKER_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_REDIS_DB = (15, 13, 12, 11, 10, 9, 8, 7)[_WORKER_INDEX % 8]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{_REDIS_DB}")
#: Loaded once per session and kept between tests: the HCMC units are reference data.
REFERENCE_TABLES = {"alembic_version", "units", "former_districts", "unit_former_districts"}
TEST_PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def database_url():
    """Create a throw-away database for this run and drop it afterwards."""
    name = f"socialbeat_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_config(database_url: str, **overrides):
    from config import TestConfig

    attributes = {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": TEST_REDIS_URL, **overrides}
    return type("RunConfig", (TestConfig,), attributes)


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    application = create_app(make_config(database_url))
    application.test_client_class = FreshRequestClient
    with application.app_context():
        upgrade()
        load_hcmc()
        db.session.remove()
    return application


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Each test starts from the reference data only, with an empty Redis database."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        if tables:
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            db.session.commit()
        # Test units live beside the reference units; remove them too.
        db.session.execute(text("DELETE FROM units WHERE code LIKE 'T-%'"))
        db.session.commit()
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield
        db.session.remove()


class FreshRequestClient(FlaskClient):
    """A test client whose requests each start with an empty `g`.

    The tests keep an app context pushed for their factories, and Flask reuses
    it for requests; a real request gets a fresh context, so emulate that.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, app_context):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def unit_by_code(app_context):
    def get(code: str) -> Unit:
        return db.session.scalar(db.select(Unit).where(Unit.code == code))

    return get


@pytest.fixture
def create_unit(app_context, unit_by_code):
    """Factory: a unit of its own (codes start with T-), under `parent_code` if given."""

    def factory(kind="ward", name="Phường Thử Nghiệm", parent_code="UBND-TP", **values) -> Unit:
        number = next(_counter)
        unit = Unit(
            code=f"T-{number}",
            kind=kind,
            name_vi=f"{name} {number}",
            name_en=f"Test unit {number}",
            parent=unit_by_code(parent_code) if parent_code else None,
            **values,
        )
        unit.refresh_search_text()
        db.session.add(unit)
        db.session.commit()
        return unit

    return factory


@pytest.fixture
def create_user(app_context, unit_by_code):
    """Factory: a user with a role in a unit (by code, default Sở Xây dựng)."""

    def factory(role="officer", unit_code="SO-XD", email=None, password=TEST_PASSWORD, **values):
        number = next(_counter)
        user = User(
            email=email or f"{role}{number}@test.socialbeat.vn",
            role=role,
            unit=unit_by_code(unit_code),
            full_name=values.pop("full_name", f"{role.title()} {number}"),
            **values,
        )
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login(client):
    """Sign a user in on the test client without going through the form."""

    def do_login(user, test_client=None):
        target = test_client or client
        with target.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return target

    return do_login


@pytest.fixture(params=["officer", "supervisor", "analyst", "admin"])
def role_client(request, app, create_user, login):
    """A client signed in as each role in turn; `.user` is the signed-in user."""
    user = create_user(request.param)
    test_client = app.test_client()
    login(user, test_client)
    test_client.user = user
    return test_client


@pytest.fixture
def officer(create_user):
    return create_user("officer")


@pytest.fixture
def api_token(app_context):
    from app.users.operations import issue_token

    def factory(user) -> dict:
        _, token = issue_token(user, name="test")
        return {"Authorization": f"Bearer {token}"}

    return factory


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP on a free local port, for the browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def keyword_classifier(monkeypatch):
    """Serve the small keyword classifier (tests/fakes.py) wherever triage loads its model."""
    from tests.fakes import KeywordClassifier

    classifier = KeywordClassifier()
    monkeypatch.setattr("app.triage.model.inference.load_classifier", lambda path=None: classifier)
    return classifier
