"""An officer works a case from receipt to public response in the browser."""

import pytest
from playwright.sync_api import expect

from app.cases import operations
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/cases**")


def _step(page, summary, button=None, **fields):
    details = page.locator("details.action", has=page.get_by_text(summary, exact=True))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    for label, value in fields.items():
        details.get_by_label(label).fill(value)
    details.get_by_role("button", name=button or summary).click()


def test_officer_takes_a_case_to_public_response(live_server, page, create_user):
    officer = create_user("officer", unit_code="27478", full_name="Võ Quốc Bảo")
    case = operations.create_case(
        officer,
        {
            "title": "Nắp cống bị mất trước nhà số 15 Huỳnh Tấn Phát",
            "category": "infrastructure",
            "ward": "27478",
        },
    )

    _sign_in(page, live_server, officer)
    page.get_by_role("link", name=case.title).click()
    expect(page.get_by_role("heading", name=case.title)).to_be_visible()

    _step(page, "Bắt đầu xác minh", **{"Ghi chú nội bộ": "Đã gọi điện cho người phản ánh"})
    expect(page.get_by_text("Tiếp nhận → Đang xác minh")).to_be_visible()

    _step(page, "Bắt đầu xử lý")
    expect(page.get_by_text("Đang xác minh → Đang xử lý")).to_be_visible()

    _step(page, "Đánh dấu đã xử lý")
    expect(page.get_by_text("Đang xử lý → Đã xử lý")).to_be_visible()

    _step(
        page,
        "Công bố phản hồi",
        **{"Phản hồi công khai (người dân sẽ thấy)": "Phường đã lắp nắp cống mới ngày 28/11."},
    )
    timeline = page.locator("ol.timeline")
    expect(timeline.get_by_text("Đã xử lý → Đã phản hồi công khai")).to_be_visible()
    expect(timeline.get_by_text("Phường đã lắp nắp cống mới ngày 28/11.")).to_be_visible()
    expect(
        page.locator(".public-response").get_by_text("Phường đã lắp nắp cống mới ngày 28/11.")
    ).to_be_visible()
    expect(timeline.get_by_text("Đã gọi điện cho người phản ánh")).to_be_visible()
