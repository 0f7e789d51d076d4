import re

import pytest

from tests.cases.conftest import _sla_defaults, create_case  # noqa: F401  (shared fixtures)
from tests.fakes import KeywordClassifier

#: A Vietnamese mobile number typed into reports in these tests; it must never be shown.
PHONE = "0901234567"
#: How the same number may be spelled or partly echoed; none of these may leak.
PHONE_SHAPES = ("0901234567", "090 123 4567", "1234567", "901234567")


@pytest.fixture
def keyword_classifier(monkeypatch):
    """Triage runs with the small keyword classifier instead of the trained model."""
    classifier = KeywordClassifier()
    monkeypatch.setattr("app.triage.model.inference.load_classifier", lambda path=None: classifier)
    return classifier


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """Photos go to a folder of the test's own."""
    monkeypatch.setitem(app.config, "PUBLIC_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


@pytest.fixture
def file_report(client, uploads):
    """Factory: post the public report form (category flooding unless given), return the response."""

    def submit(text="Ngập nước sâu ở đường Nguyễn Hữu Cảnh", **fields):
        data = {
            "text": text,
            "place": "Bình Thạnh",
            "category": "flooding",
            "csrf_token": csrf_token(client),
            **fields,
        }
        return client.post("/public/report", data=data, content_type="multipart/form-data")

    return submit


@pytest.fixture
def reporter_link(app_context):
    """Factory: a citizen report joined to `case`, with its secret feedback link (a path)."""
    from app.collectors.models import Post
    from app.core.codes import new_code
    from app.extensions import db
    from app.models import utcnow
    from app.public.operations import issue_feedback_token

    def make(case, code: str | None = None) -> str:
        post = Post(
            source="citizen",
            external_id=f"reporter-{case.id}-{utcnow().timestamp()}",
            channel="direct",
            text=case.title,
            posted_at=utcnow(),
            tracking_code=code or new_code(),
            case_id=case.id,
        )
        db.session.add(post)
        db.session.commit()
        return f"/public/cases/{post.tracking_code}/feedback/{issue_feedback_token(post)}"

    return make


def assert_no_phone(body: str) -> None:
    """None of the shapes of PHONE appears in a public answer."""
    for shape in PHONE_SHAPES:
        assert shape not in body, f"{shape!r} leaked"


def csrf_token(client, path: str = "/public/") -> str:
    """The CSRF token of the client's session, read from a public page."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
