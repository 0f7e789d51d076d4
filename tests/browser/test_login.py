"""A person signs in through the real login form and lands on their unit's queue."""

import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_officer_signs_in_and_sees_the_queue(live_server, page, create_user):
    officer = create_user("officer", unit_code="27478", full_name="Võ Quốc Bảo")

    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    page.get_by_label("Email").fill(officer.email)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    page.wait_for_url(f"{live_server}/cases**")
    expect(page.get_by_role("heading", name="Hàng đợi của Phường Tân Thuận")).to_be_visible()
    assert "Võ Quốc Bảo" in page.locator(".user-badge").inner_text()


def test_wrong_password_shows_an_error(live_server, page, create_user):
    officer = create_user("officer")

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(officer.email)
    page.get_by_label("Mật khẩu").fill("not the password")
    page.get_by_role("button", name="Đăng nhập").click()

    expect(page.get_by_text("Sai email hoặc mật khẩu.")).to_be_visible()
