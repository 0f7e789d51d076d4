"""A citizen files a report on the public portal, follows it by code, and confirms it is solved
with the feedback link shown when filing."""

import pytest

from app.cases.models import Case
from app.collectors.models import Post
from app.extensions import db
from app.triage.tasks import triage_posts
from tests.fakes import KeywordClassifier

pytestmark = pytest.mark.browser


def _respond_through_the_api(app, case_id: int, headers: dict) -> None:
    client = app.test_client()
    for step in ("verifying", "in_progress", "resolved", "responded"):
        version = client.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()["version"]
        body = {"to": step, "version": version}
        if step == "responded":
            body["public_response"] = "Đã nạo vét cống thoát nước, đường hết ngập."
        response = client.post(f"/api/v1/cases/{case_id}/transitions", json=body, headers=headers)
        assert response.status_code == 200, response.get_json()


def test_citizen_reports_follows_and_confirms_solved(
    app, live_server, page, create_user, api_token, monkeypatch
):
    classifier = KeywordClassifier()
    monkeypatch.setattr("app.triage.model.inference.load_classifier", lambda path=None: classifier)

    page.goto(f"{live_server}/public/report")
    page.get_by_label("Vấn đề là gì?").fill(
        "Ngập nước sâu sau mưa trên đường Nguyễn Hữu Cảnh, gọi 0901234567"
    )
    page.locator("#category").select_option("flooding")
    page.get_by_label("Địa điểm (đường, địa danh, quận cũ)").fill("Bình Thạnh")
    page.get_by_role("button", name="Gửi phản ánh").click()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert code.startswith("HCM-")
    feedback_link = page.get_by_test_id("feedback-link").get_attribute("href")
    assert feedback_link.startswith(f"{live_server}/public/cases/{code}/feedback/")

    # A case at once, received; triage afterwards only adds suggestions.
    case = db.session.scalar(db.select(Case).where(Case.code == code))
    assert (case.status, case.category) == ("received", "flooding")
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    triage_posts([post.id])
    db.session.expire_all()

    page.goto(f"{live_server}/public/")
    page.get_by_label("Mã tra cứu").fill(code.lower())
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_url(f"**/public/cases/{code}")
    assert "Ngập nước sâu" in page.content()
    assert "0901234567" not in page.content()

    admin = create_user("admin", unit_code="UBND-TP")
    _respond_through_the_api(app, case.id, api_token(admin))

    page.reload()
    assert page.get_by_test_id("public-response").inner_text() == (
        "Đã nạo vét cống thoát nước, đường hết ngập."
    )
    # Anyone with the code sees the answer; only the reporter's link can say whether it worked.
    assert page.get_by_role("button", name="Có, đã được giải quyết").count() == 0
    page.goto(feedback_link)
    page.get_by_label("5 – rất hài lòng").check()
    page.get_by_role("button", name="Có, đã được giải quyết").click()
    page.get_by_text("Cảm ơn bạn đã góp ý.").wait_for()
    assert "Người dân xác nhận vấn đề đã được giải quyết." in page.content()
