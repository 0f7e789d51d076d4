"""The queue on a laptop screen: ten cases above the fold, folded filters, countdowns that tick
without a reload, and keyboard shortcuts listed on `?`."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from app.cases import operations
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _sla_defaults(app_context):
    """The shipped SLA policies (other tests truncate them): cases get their clocks."""
    from app.cases.sla.policies import load_default_sla

    load_default_sla()


@pytest.fixture
def laptop(browser):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 800})
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/cases**")


def _open(actor, title, **values):
    data = {"title": title, "category": "infrastructure", "unit": "SO-XD", **values}
    return operations.create_case(actor, data)


def _rows_in_view(page) -> int:
    height = page.viewport_size["height"]
    count = 0
    for row in page.locator("#queue-table tbody tr").all():
        box = row.bounding_box()
        if box and box["y"] >= 0 and box["y"] + box["height"] <= height:
            count += 1
    return count


def test_ten_cases_fit_on_a_laptop_screen_with_filters_folded(live_server, laptop, create_user):
    supervisor = create_user("supervisor", unit_code="SO-XD")
    for n in range(20):
        _open(supervisor, f"Ổ gà lớn giữa đường Nguyễn Văn Linh đoạn số {n}", priority="P2")

    _sign_in(laptop, live_server, supervisor)
    laptop.goto(f"{live_server}/cases")

    assert laptop.locator("#queue-table tbody tr").count() == 20
    assert _rows_in_view(laptop) >= 10
    # No filter set: the filters are folded, the search box is at hand.
    expect(laptop.locator("#status")).to_be_hidden()
    expect(laptop.locator("#q")).to_be_visible()
    laptop.locator("#filter-panel > summary").click()
    expect(laptop.locator("#status")).to_be_visible()

    # With a filter set the panel opens by itself; folded again, ten cases fit.
    laptop.goto(f"{live_server}/cases?priority=P2")
    expect(laptop.locator("#priority")).to_be_visible()
    laptop.locator("#filter-panel > summary").click()
    expect(laptop.locator("#priority")).to_be_hidden()
    assert _rows_in_view(laptop) >= 10


def test_countdowns_tick_without_a_reload(live_server, page, create_user):
    supervisor = create_user("supervisor", unit_code="SO-XD")
    # P1 counts around the clock: it moves whatever the hour the test runs at.
    case = _open(supervisor, "Tai nạn có người bị thương", priority="P1")

    page.clock.install(time=datetime.now(UTC))
    _sign_in(page, live_server, supervisor)
    countdown = page.locator("#queue-table [data-countdown] [data-sla-text]").first
    before = countdown.text_content()
    assert re.search(r"\d", before)

    page.clock.fast_forward("10:00")
    after = countdown.text_content()
    assert after != before
    assert page.url.endswith("/cases")  # no reload

    page.goto(f"{live_server}/cases/{case.id}")
    on_case = page.locator("[data-countdown] [data-sla-text]").first
    before = on_case.text_content()
    page.clock.fast_forward("02:00:00")
    after = on_case.text_content()
    assert after != before
    # Two hours later the P1's verification deadline (1 h) has passed: it says so, in red.
    late = page.locator("[data-countdown].sla-late [data-sla-text]")
    assert late.count() >= 1
    assert "Quá hạn" in late.first.text_content()


def test_shortcuts_are_listed_on_question_mark_and_move_between_cases(
    live_server, page, create_user
):
    supervisor = create_user("supervisor", unit_code="SO-XD")
    officer = create_user("officer", unit_code="SO-XD")
    first = _open(supervisor, "Cây đổ số 1", priority="P1")
    second = _open(supervisor, "Cây đổ số 2", priority="P1")

    _sign_in(page, live_server, officer)
    help_box = page.locator("#shortcut-help")
    expect(help_box).to_be_hidden()
    page.keyboard.press("?")
    expect(help_box).to_be_visible()
    expect(help_box.get_by_text("j", exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()

    # Typing in the search box is typing, not a shortcut.
    page.locator("#q").fill("")
    page.locator("#q").press("?")
    expect(help_box).to_be_hidden()
    assert page.locator("#q").input_value() == "?"
    page.locator("#q").fill("")
    page.locator("#q").blur()

    rows = page.locator("#queue-table tbody tr")
    page.keyboard.press("j")
    assert rows.nth(0).get_attribute("data-current") is not None
    page.keyboard.press("j")
    assert rows.nth(1).get_attribute("data-current") is not None
    assert rows.nth(0).get_attribute("data-current") is None
    page.keyboard.press("k")
    assert rows.nth(0).get_attribute("data-current") is not None

    page.keyboard.press("o")
    page.wait_for_url(f"{live_server}/cases/{first.id}")
    # On the case page: j opens the next case of the queue, c goes to the note box.
    page.keyboard.press("j")
    page.wait_for_url(f"{live_server}/cases/{second.id}")
    page.keyboard.press("c")
    assert page.locator("#comment-body").evaluate("el => el === document.activeElement")
    page.locator("#comment-body").blur()
    # a takes the case.
    page.keyboard.press("a")
    expect(page.get_by_text("Đã lưu phân công.")).to_be_visible()
