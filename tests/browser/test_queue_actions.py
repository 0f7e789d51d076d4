"""Queue and case actions in the browser: select-all with bulk assignment, the default action
after resolving, and transferring a new case with the searchable unit picker."""

import pytest
from playwright.sync_api import expect

from app.cases import operations
from app.cases.models import Case
from app.extensions import db
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/cases**")


def _open(actor, title, **values):
    data = {"title": title, "category": "infrastructure", "unit": "SO-XD", **values}
    return operations.create_case(actor, data)


def test_select_all_assigns_every_filtered_case(live_server, page, create_user):
    supervisor = create_user("supervisor", unit_code="SO-XD")
    officer = create_user("officer", unit_code="SO-XD", full_name="Phạm Minh Châu")
    matching = [_open(supervisor, f"Ổ gà đường số {n}", priority="P2") for n in range(23)]
    other = _open(supervisor, "Đèn đường hỏng", priority="P3")

    _sign_in(page, live_server, supervisor)
    page.goto(f"{live_server}/cases?priority=P2")
    rows = page.locator('input[name="case_ids"]')
    assert rows.count() == 20  # one page of the 23

    page.locator("#select-all-filtered").check()
    # Every case on the page is ticked with it, and the page box shows it.
    assert all(rows.nth(i).is_checked() for i in range(rows.count()))
    assert page.locator("#select-page").is_checked()
    page.get_by_label("Giao cho").select_option(label="Phạm Minh Châu")
    page.locator('button[name="action"][value="assign"]').click()

    expect(page.get_by_text("Đã cập nhật 23 vụ việc.")).to_be_visible()
    db.session.expire_all()
    assert {db.session.get(Case, c.id).assignee_id for c in matching} == {officer.id}
    assert db.session.get(Case, other.id).assignee_id is None


def test_unticking_a_case_leaves_select_all(live_server, page, create_user):
    supervisor = create_user("supervisor", unit_code="SO-XD")
    for n in range(3):
        _open(supervisor, f"Cây đổ số {n}")

    _sign_in(page, live_server, supervisor)
    page.locator("#select-all-filtered").check()
    page.locator('input[name="case_ids"]').first.uncheck()

    assert not page.locator("#select-all-filtered").is_checked()
    assert not page.locator("#select-page").is_checked()


def test_after_resolving_the_open_action_publishes_the_response(live_server, page, create_user):
    officer = create_user("officer", unit_code="SO-XD")
    case = _open(officer, "Nắp cống bị mất trước nhà số 15")
    for step in ("verifying", "in_progress", "resolved"):
        operations.transition(case, step, officer, version=case.version)

    _sign_in(page, live_server, officer)
    page.goto(f"{live_server}/cases/{case.id}")

    publish = page.locator("details.action[open]")
    assert publish.count() == 1
    assert publish.locator("summary").inner_text() == "Công bố phản hồi"
    expect(page.get_by_label("Phản hồi công khai (người dân sẽ thấy)")).to_be_visible()
    expect(
        page.locator("button.button.primary").filter(has_text="Công bố phản hồi")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Mở lại")).to_be_hidden()


def test_a_new_case_is_transferred_with_an_accent_free_unit_search(live_server, page, create_user):
    officer = create_user("officer", unit_code="SO-XD")
    case = _open(officer, "Ngập hẻm 5 Võ Văn Ngân")

    _sign_in(page, live_server, officer)
    page.goto(f"{live_server}/cases/{case.id}")
    page.locator("#transfer-unit-filter").fill("thu duc")

    picker = page.locator("#transfer-unit")
    assert picker.evaluate("s => s.selectedOptions[0].textContent") == "Phường Thủ Đức"
    visible = picker.evaluate("s => [...s.options].filter(o => !o.hidden).length")
    assert 1 <= visible < 10
    page.locator("#transfer-reason").fill("Thuộc địa bàn phường Thủ Đức")
    page.locator("form[action$='/transfer'] button[type=submit]").click()

    expect(page.get_by_text("Đã chuyển vụ việc cho Phường Thủ Đức.")).to_be_visible()
    db.session.expire_all()
    moved = db.session.get(Case, case.id)
    assert (moved.unit.name_vi, moved.status) == ("Phường Thủ Đức", "received")
