"""Configuration: everything comes from the environment.

`Config` is the embedded default (SQLite under instance/, Redis if reachable);
`TestConfig` points at the throw-away PostgreSQL database that `make test`
creates. Set `DATABASE_URL`, `REDIS_URL` and `SECRET_KEY` in production.
"""

import os
import secrets
from pathlib import Path

from app.core.time import ZONE_NAME

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SOCIALBEAT_INSTANCE_DIR", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Read SECRET_KEY, or keep a random one under instance/ so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'socialbeat.db'}"


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    #: "auto": use Redis when it answers at start-up, else run jobs inline; "inline": never
    #: use Redis; "redis": Redis is required, jobs wait while it is down (/healthz: degraded).
    #: Default: "redis" when REDIS_URL is set, else "auto".
    JOBS_MODE = os.environ.get("JOBS_MODE") or ("redis" if os.environ.get("REDIS_URL") else "auto")

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = ZONE_NAME
    LANGUAGES = ("vi", "en")
    DISPLAY_TIMEZONE = ZONE_NAME

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None

    #: Failed sign-ins allowed before each further try has to wait.
    LOGIN_FREE_ATTEMPTS = int(os.environ.get("LOGIN_FREE_ATTEMPTS", "5"))
    #: First wait in seconds after the free attempts; it doubles on each further failure.
    LOGIN_BASE_DELAY_SECONDS = int(os.environ.get("LOGIN_BASE_DELAY_SECONDS", "30"))
    LOGIN_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_MAX_DELAY_SECONDS", "900"))

    API_PER_PAGE_MAX = 100
    #: Shared secret of the generic webhook (X-Signature: sha256=HMAC of the body).
    WEBHOOK_SECRET = os.environ.get("WEBHOOK_SECRET", "")
    ZALO_APP_ID = os.environ.get("ZALO_APP_ID", "")
    ZALO_OA_SECRET_KEY = os.environ.get("ZALO_OA_SECRET_KEY", "")
    #: Key of the author-handle pseudonyms; defaults to SECRET_KEY.
    PSEUDONYM_KEY = os.environ.get("PSEUDONYM_KEY", "")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "socialbeat@localhost")
    #: The app's public address, for links in notification emails (e.g. https://socialbeat.example.vn).
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "")
    #: Where citizens' photos are kept (EXIF removed); served to signed-in staff only.
    PUBLIC_UPLOAD_DIR = os.environ.get("PUBLIC_UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    #: Reports and feedback answers one client address may send per hour on the public portal.
    PUBLIC_REPORTS_PER_HOUR = int(os.environ.get("PUBLIC_REPORTS_PER_HOUR", "5"))
    PUBLIC_FEEDBACK_PER_HOUR = int(os.environ.get("PUBLIC_FEEDBACK_PER_HOUR", "20"))
    #: The Open311 jurisdiction_id this server answers for, and the contact in its discovery.
    OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "hochiminhcity.gov.vn")
    OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "socialbeat@localhost")
    #: Spike alerts: a 24 h volume above its 7-day mean + SPIKE_K × σ, and at least
    #: SPIKE_MIN_VOLUME posts, alerts the analysts (app/stats/trends/spikes.py).
    SPIKE_K = float(os.environ.get("SPIKE_K", "2"))
    SPIKE_MIN_VOLUME = int(os.environ.get("SPIKE_MIN_VOLUME", "5"))


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = (
        _database_url()
        if os.environ.get("DATABASE_URL")
        else ("postgresql+psycopg://postgres@127.0.0.1:5432/socialbeat_test")
    )
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    JOBS_MODE = "auto"
    SECRET_KEY = "test-secret-key"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    LOGIN_BASE_DELAY_SECONDS = 30
