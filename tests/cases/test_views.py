"""The officers' queue and case page, as an officer sees them."""

import re

from app.cases import operations
from app.cases.models import Case, ResponseTemplate
from app.extensions import db


def _csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_queue_lists_only_the_officers_unit(client, create_user, login, create_case):
    mine = create_case(unit_code="27478", title="Hẻm 12 ngập nước")
    create_case(unit_code="SO-XD", title="Cầu Kênh Tẻ hư hỏng")
    login(create_user("officer", unit_code="27478"))

    page = client.get("/cases").get_data(as_text=True)

    assert "Hẻm 12 ngập nước" in page
    assert "Cầu Kênh Tẻ" not in page
    assert mine.code in page
    assert "1 vụ việc" in page


def test_queue_search_ignores_diacritics_and_scope(client, create_user, login, create_case):
    create_case(unit_code="27478", title="Xe rác để bốc mùi")
    create_case(unit_code="SO-XD", title="Xe rác chạy ẩu")
    login(create_user("officer", unit_code="27478"))

    page = client.get("/cases?q=xe rac").get_data(as_text=True)

    assert "Xe rác để bốc mùi" in page
    assert "chạy ẩu" not in page


def test_other_units_case_page_is_404(client, create_user, login, create_case):
    case = create_case(unit_code="SO-XD")
    login(create_user("officer", unit_code="27478"))

    assert client.get(f"/cases/{case.id}").status_code == 404


def test_case_page_offers_only_allowed_actions(client, create_user, login, create_case):
    case = create_case("received")
    login(create_user("officer"))

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "Bắt đầu xác minh" in page and "Từ chối" in page
    assert "Đánh dấu đã xử lý" not in page
    # A misrouted case is transferred as it arrives, without being verified first.
    assert "Chuyển đơn vị khác" in page


def test_a_resolved_case_is_not_transferred_from_its_page(client, create_user, login, create_case):
    case = create_case("resolved")
    login(create_user("officer"))

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "Chuyển đơn vị khác" not in page


def test_analyst_sees_the_case_without_actions(client, create_user, login, create_case):
    case = create_case("in_progress")
    login(create_user("analyst", unit_code="VP-UBND"))

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert case.title in page
    assert "Bước tiếp theo" not in page
    assert "Thêm ghi chú" not in page


def test_transition_from_the_case_page_lands_on_the_timeline(
    client, create_user, login, create_case
):
    case = create_case()
    login(create_user("officer"))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    response = client.post(
        f"/cases/{case.id}/transition",
        data={"to": "verifying", "version": 1, "note": "Đi kiểm tra", "csrf_token": _csrf(page)},
    )

    assert response.status_code == 303
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Đã chuyển trạng thái" in page
    assert "Tiếp nhận → Đang xác minh" in page
    assert "Đi kiểm tra" in page


def test_stale_form_shows_a_clear_message(client, create_user, login, create_case):
    case = create_case()
    login(create_user("officer"))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    client.post(
        f"/cases/{case.id}/transition",
        data={"to": "verifying", "version": 1, "csrf_token": _csrf(page)},
    )
    client.post(
        f"/cases/{case.id}/transition",
        data={"to": "rejected", "reason": "spam", "version": 1, "csrf_token": _csrf(page)},
    )

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Người khác vừa thay đổi vụ việc này" in page


def test_internal_notes_and_public_replies_are_told_apart(client, create_user, login, create_case):
    case = create_case("in_progress")
    login(create_user("officer"))
    token = _csrf(client.get(f"/cases/{case.id}").get_data(as_text=True))

    client.post(
        f"/cases/{case.id}/comment",
        data={"body": "Chỉ nội bộ", "visibility": "internal", "csrf_token": token},
    )
    client.post(
        f"/cases/{case.id}/comment",
        data={"body": "Gửi người dân", "visibility": "public", "csrf_token": token},
    )

    kinds = [(e.kind, e.is_public) for e in db.session.get(Case, case.id).events][-2:]
    assert kinds == [("comment", False), ("public_reply", True)]


def test_bulk_assign_and_transition(client, create_user, login, create_case):
    supervisor = create_user("supervisor", locale="en")
    officer = create_user("officer")
    cases = [create_case() for _ in range(3)]
    login(supervisor)
    token = _csrf(client.get("/cases").get_data(as_text=True))
    ids = [str(c.id) for c in cases]

    client.post(
        "/cases/bulk",
        data={"case_ids": ids, "action": "assign", "assignee_id": officer.id, "csrf_token": token},
    )
    client.post(
        "/cases/bulk",
        data={"case_ids": ids[:2], "action": "transition", "to": "verifying", "csrf_token": token},
    )
    response = client.post(
        "/cases/bulk",
        data={"case_ids": ids, "action": "transition", "to": "in_progress", "csrf_token": token},
        follow_redirects=True,
    )

    db.session.expire_all()
    assert [db.session.get(Case, c.id).assignee_id for c in cases] == [officer.id] * 3
    assert [db.session.get(Case, c.id).status for c in cases] == [
        "in_progress",
        "in_progress",
        "received",
    ]
    assert f"{cases[2].code}: a case in “Received” cannot move to “In progress”." in (
        response.get_data(as_text=True)
    )


def test_queue_paginates_and_sorts(client, create_user, login, create_case):
    for number in range(25):
        create_case(title=f"Vụ việc số {number:02d}")
    login(create_user("officer"))

    first = client.get("/cases?sort=created_at").get_data(as_text=True)
    second = client.get("/cases?sort=created_at&page=2").get_data(as_text=True)

    assert "Vụ việc số 00" in first and "Vụ việc số 24" not in first
    assert "Vụ việc số 24" in second
    assert "Trang 1 / 2" in first


def test_new_case_form(client, create_user, login):
    login(create_user("officer", unit_code="27478"))
    token = _csrf(client.get("/cases/new").get_data(as_text=True))

    response = client.post(
        "/cases/new",
        data={
            "title": "Đèn đường hỏng hẻm 5",
            "category": "infrastructure",
            "priority": "P3",
            "ward": "27478",
            "csrf_token": token,
        },
    )

    assert response.status_code == 303
    case = db.session.scalar(db.select(Case))
    assert (case.title, case.unit.code, case.ward.code) == (
        "Đèn đường hỏng hẻm 5",
        "27478",
        "27478",
    )


def test_admin_edits_response_templates_and_officers_get_them(
    client, create_user, login, create_case, app
):
    admin_client = app.test_client()
    login(create_user("admin", unit_code="UBND-TP"), admin_client)
    token = _csrf(admin_client.get("/admin/response-templates").get_data(as_text=True))
    admin_client.post(
        "/admin/response-templates",
        data={
            "category": "flooding",
            "title": "Đã nạo vét",
            "body": "Đơn vị đã nạo vét cống thoát nước.",
            "is_active": "on",
            "csrf_token": token,
        },
    )
    template = db.session.scalar(db.select(ResponseTemplate))
    assert template.title == "Đã nạo vét"
    # Every admin change is audited, in the same transaction as the change.
    from app.users.models import AdminAudit

    audit = db.session.scalar(db.select(AdminAudit))
    assert (audit.action, audit.target_type, audit.target_id) == (
        "template.create",
        "response_template",
        template.id,
    )
    assert audit.details["title"] == "Đã nạo vét"

    case = create_case("resolved", category="flooding")
    login(create_user("officer"))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Đơn vị đã nạo vét cống thoát nước." in page

    assert client.get("/admin/response-templates").status_code == 403


def test_operations_are_the_same_through_the_ui_and_the_api(create_user, create_case):
    case = create_case("in_progress")
    officer = create_user("officer")

    operations.transition(case, "waiting", officer, version=case.version)

    assert case.status == "waiting"


def _bulk(client, token, **data):
    return client.post(
        "/cases/bulk", data={"csrf_token": token, **data}, follow_redirects=True
    ).get_data(as_text=True)


def test_bulk_assign_says_per_case_why_not(client, create_user, login, create_case):
    supervisor = create_user("supervisor", locale="en")
    officer = create_user("officer", full_name="Lê Thị Hoa")
    fresh, closed, changed = create_case(), create_case("closed"), create_case()
    login(supervisor)
    token = _csrf(client.get("/cases").get_data(as_text=True))
    seen = changed.version
    operations.transition(changed, "verifying", supervisor, version=changed.version)

    page = _bulk(
        client,
        token,
        action="assign",
        assignee_id=officer.id,
        case_ids=[fresh.id, closed.id, changed.id],
        **{
            f"version_{c.id}": v for c, v in ((fresh, 1), (closed, closed.version), (changed, seen))
        },
    )

    assert "1 case(s) updated." in page
    assert f"{closed.code}: closed cases can&#39;t be assigned." in page
    assert f"{changed.code}: changed by someone else meanwhile." in page
    assert "could not be changed in their current state" not in page
    db.session.expire_all()
    assert [db.session.get(Case, c.id).assignee_id for c in (fresh, closed, changed)] == [
        officer.id,
        None,
        None,
    ]


def test_bulk_assign_names_an_assignee_outside_the_cases_unit(
    client, create_user, login, create_case
):
    supervisor = create_user("supervisor", unit_code="UBND-TP", locale="en")
    ward_officer = create_user("officer", unit_code="27478", full_name="Trần Văn Nam")
    case = create_case(unit_code="SO-XD")
    login(supervisor)
    token = _csrf(client.get("/cases").get_data(as_text=True))

    page = _bulk(client, token, action="assign", assignee_id=ward_officer.id, case_ids=[case.id])

    assert (
        f"{case.code}: Trần Văn Nam is not a member of the case&#39;s unit (Department of" in page
    )


def test_an_officer_may_only_take_cases_in_bulk(client, create_user, login, create_case):
    officer = create_user("officer", locale="en")
    colleague = create_user("officer")
    case = create_case()
    login(officer)
    token = _csrf(client.get("/cases").get_data(as_text=True))

    page = _bulk(client, token, action="assign", assignee_id=colleague.id, case_ids=[case.id])
    assert f"{case.code}: only supervisors assign cases to others" in page

    page = _bulk(client, token, action="assign", assignee_id="me", case_ids=[case.id])
    assert "1 case(s) updated." in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).assignee_id == officer.id


def test_bulk_assign_without_an_assignee_changes_nothing(client, create_user, login, create_case):
    supervisor = create_user("supervisor", locale="en")
    officer = create_user("officer")
    case = create_case()
    operations.assign(case, officer, supervisor, version=case.version)
    login(supervisor)
    token = _csrf(client.get("/cases").get_data(as_text=True))

    # The old bar sent "Nobody" by default, so one click unassigned every selected case.
    page = _bulk(client, token, action="assign", assignee_id="", case_ids=[case.id])

    assert "Choose whom to assign the cases to." in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).assignee_id == officer.id


def test_queue_offers_select_all_with_the_count(client, create_user, login, create_case):
    for _ in range(23):
        create_case(unit_code="27478", priority="P2")
    create_case(unit_code="27478", priority="P3")
    login(create_user("officer", unit_code="27478", locale="en"))

    page = client.get("/cases?priority=P2").get_data(as_text=True)

    assert "Select all 23 cases matching these filters" in page
    assert 'name="filters" value="priority=P2"' in page
    assert '<script src="/static/js/cases.js' in page


def test_select_all_applies_to_every_filtered_case_of_the_officers_unit_only(
    client, create_user, login, create_case
):
    officer = create_user("officer", unit_code="27478", locale="en")
    matching = [create_case(unit_code="27478", priority="P2") for _ in range(23)]
    other_priority = create_case(unit_code="27478", priority="P3")
    other_unit = create_case(unit_code="SO-XD", priority="P2")
    login(officer)
    token = _csrf(client.get("/cases?priority=P2").get_data(as_text=True))

    page = _bulk(
        client,
        token,
        action="assign",
        assignee_id="me",
        scope="filtered",
        filters="priority=P2&page=1",
        # Only the first page is ticked: select-all still reaches the 23 matching cases.
        case_ids=[c.id for c in matching[:20]],
    )

    assert "23 case(s) updated." in page
    db.session.expire_all()
    assert {db.session.get(Case, c.id).assignee_id for c in matching} == {officer.id}
    assert db.session.get(Case, other_priority.id).assignee_id is None
    assert db.session.get(Case, other_unit.id).assignee_id is None
    assert db.session.get(Case, matching[22].id).events[-1].kind == "assigned"


def test_select_all_cannot_reach_another_units_cases(client, create_user, login, create_case):
    officer = create_user("officer", unit_code="27478", locale="en")
    other_unit = create_case(unit_code="SO-XD")
    login(officer)
    token = _csrf(client.get("/cases").get_data(as_text=True))

    page = _bulk(
        client,
        token,
        action="transition",
        to="verifying",
        scope="filtered",
        filters="unit=SO-XD",
    )

    assert "Choose cases and an action." in page
    db.session.expire_all()
    assert db.session.get(Case, other_unit.id).status == "received"


def test_after_resolving_the_default_action_is_to_publish_the_response(
    client, create_user, login, create_case
):
    case = create_case("resolved")
    login(create_user("officer"))

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    opened = re.findall(r'<details class="action[^"]*" open>\s*<summary>([^<]+)</summary>', page)
    assert opened == ["Công bố phản hồi"]
    assert "Mở lại" in page
    primary = re.findall(r'<button type="submit" class="button primary">([^<]+)</button>', page)
    assert primary == ["Công bố phản hồi"]


def test_transfer_from_received_and_verifying(client, create_user, login, create_case):
    officer = create_user("officer")
    received, verifying = create_case("received"), create_case("verifying")
    login(officer)

    for case in (received, verifying):
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert 'id="transfer-unit-filter"' in page
        # Each unit carries its accent-free name for the filter box (cases.js).
        assert 'value="27478" data-search="27478 phuong tan thuan tan thuan ward"' in page
        response = client.post(
            f"/cases/{case.id}/transfer",
            data={
                "unit": "27478",
                "reason": "Thuộc địa bàn phường",
                "version": case.version,
                "csrf_token": _csrf(page),
            },
        )
        assert response.status_code == 303

    db.session.expire_all()
    for case in (received, verifying):
        moved = db.session.get(Case, case.id)
        assert moved.unit.code == "27478"
        assert moved.events[-1].kind == "transferred"
        assert moved.events[-1].body == "Thuộc địa bàn phường"
