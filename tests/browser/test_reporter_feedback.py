"""Only the reporter's link can reopen an answered case, and the officer is told."""

import pytest
from playwright.sync_api import expect

from app.cases.models import Case
from app.extensions import db
from tests.cases.conftest import _sla_defaults, create_case  # noqa: F401  (shared fixtures)
from tests.conftest import TEST_PASSWORD
from tests.public.conftest import reporter_link  # noqa: F401  (shared fixture)

pytestmark = pytest.mark.browser

REFUSE = "Chưa, vấn đề chưa được giải quyết"


def test_a_stranger_cannot_reopen_but_the_reporters_link_does_and_the_officer_is_told(
    live_server,
    browser,
    page,
    create_case,  # noqa: F811
    reporter_link,  # noqa: F811
    create_user,
):
    officer = create_user("officer", unit_code="SO-XD", email="officer@example.vn")
    case = create_case("responded")
    db.session.get(Case, case.id).assignee_id = officer.id
    db.session.commit()
    link = reporter_link(case)

    page.goto(f"{live_server}/public/browse")
    page.locator(f"a[href$='/public/cases/{case.code}']").first.click()
    page.wait_for_url(f"**/public/cases/{case.code}")
    assert page.get_by_role("button", name=REFUSE).count() == 0
    expect(page.get_by_test_id("feedback-reporter-only")).to_be_visible()

    # The reporter, on their phone, in a browser of their own.
    phone = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    phone.set_default_timeout(15000)
    try:
        reporter = phone.new_page()
        reporter.goto(f"{live_server}{link}")
        reporter.get_by_role("button", name=REFUSE).click()
        reporter.get_by_text("Cảm ơn bạn đã góp ý.").wait_for()
    finally:
        phone.close()
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "in_progress"

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(officer.email)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}/notifications?lang=en")
    expect(page.get_by_text(f"Reopened by the citizen: {case.code}")).to_be_visible()
