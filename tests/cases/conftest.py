import pytest

from app.cases import operations


@pytest.fixture
def create_case(app_context, create_user):
    """Factory: a case opened by an officer of `unit_code`, optionally moved along to `status`."""
    path = {
        "received": [],
        "verifying": ["verifying"],
        "in_progress": ["verifying", "in_progress"],
        "waiting": ["verifying", "in_progress", "waiting"],
        "resolved": ["verifying", "in_progress", "resolved"],
        "responded": ["verifying", "in_progress", "resolved", "responded"],
        "closed": ["verifying", "in_progress", "resolved", "responded", "closed"],
        "rejected": ["rejected"],
    }

    def factory(status="received", unit_code="SO-XD", actor=None, **values):
        actor = actor or create_user("admin", unit_code="UBND-TP")
        data = {
            "title": "Ngập sâu đường Nguyễn Hữu Cảnh sau mưa",
            "category": "flooding",
            "unit": unit_code,
        }
        data.update(values)
        case = operations.create_case(actor, data)
        for step in path[status]:
            operations.transition(
                case,
                step,
                actor,
                version=case.version,
                reject_reason="spam" if step == "rejected" else None,
                public_response="Đã nạo vét cống." if step == "responded" else None,
            )
        return case

    return factory


@pytest.fixture(autouse=True)
def _sla_defaults(request):
    """Cases get the shipped SLA policies, as after `db upgrade` (tests truncate them)."""
    if "app_context" in request.fixturenames:
        request.getfixturevalue("app_context")
        from app.cases.sla.policies import load_default_sla

        load_default_sla()
    yield


@pytest.fixture
def inline_jobs(app, monkeypatch):
    """Run enqueued jobs at once, in the test, as the app does without Redis."""
    monkeypatch.setitem(app.extensions, "socialbeat_redis", None)


class Outbox(list):
    """The emails sent in a test; set `fail_with` to an exception to make sending fail."""

    fail_with: Exception | None = None


@pytest.fixture
def outbox(app, monkeypatch):
    """SMTP configured; every email sent lands in the returned Outbox instead of a server."""
    from app.notifications import mail

    box = Outbox()

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            self.host, self.port = host, port

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            pass

        def login(self, username, password):
            pass

        def send_message(self, message):
            if box.fail_with is not None:
                raise box.fail_with
            box.append(message)

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.test.socialbeat.vn")
    monkeypatch.setitem(app.config, "APP_BASE_URL", "https://socialbeat.test")
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    return box
