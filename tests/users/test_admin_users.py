"""The admin screens for users and units: create, role/unit, deactivate, one-time reset links."""

import re

from app.extensions import db
from app.units.models import Unit
from app.users import admin
from app.users.models import AdminAudit, User
from tests.conftest import TEST_PASSWORD


def _csrf(client, path) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _post(client, path, data, page="/admin/users"):
    return client.post(path, data={**data, "csrf_token": _csrf(client, page)})


def _sign_in(client, email, password=TEST_PASSWORD):
    data = {"email": email, "password": password, "csrf_token": _csrf(client, "/login")}
    return client.post("/login", data=data)


def _audit(action):
    return db.session.scalars(db.select(AdminAudit).where(AdminAudit.action == action)).all()


def _admin_client(app, create_user, login):
    boss = create_user("admin", unit_code="UBND-TP", full_name="Chị Quản Trị")
    client = app.test_client()
    login(boss, client)
    return client, boss


def test_officers_supervisors_and_analysts_get_403(role_client):
    for path in ("/admin/users", "/admin/units", f"/admin/users/{role_client.user.id}"):
        status = role_client.get(path).status_code
        assert status == (200 if role_client.user.role == "admin" else 403), path


def test_list_is_searchable_and_paginated(app, create_user, login):
    client, _ = _admin_client(app, create_user, login)
    create_user("officer", full_name="Nguyễn Văn Hải", email="hai@test.socialbeat.vn")
    create_user("officer", full_name="Trần Thị Lan", email="lan@test.socialbeat.vn")
    page = client.get("/admin/users?q=HAI@").get_data(as_text=True)
    assert "Nguyễn Văn Hải" in page and "Trần Thị Lan" not in page
    page = client.get("/admin/users?q=thị lan").get_data(as_text=True)
    assert "Trần Thị Lan" in page and "Nguyễn Văn Hải" not in page
    # A wildcard typed in the box is a character, not "anything".
    assert "Trần Thị Lan" not in client.get("/admin/users?q=%25").get_data(as_text=True)
    for number in range(30):
        create_user("officer", full_name=f"Cán bộ {number:02d}")
    first = client.get("/admin/users").get_data(as_text=True)
    assert 'rel="next"' in first
    assert client.get("/admin/users?page=2").status_code == 200


def test_create_user_then_set_a_password_with_a_one_time_link(
    app, create_user, login, unit_by_code
):
    client, boss = _admin_client(app, create_user, login)
    unit = unit_by_code("SO-XD")
    response = _post(
        client,
        "/admin/users",
        {
            "email": " Moi@Test.SocialBeat.vn ",
            "full_name": "Lê Văn Mới",
            "role": "supervisor",
            "unit": str(unit.id),
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    link = re.search(r'value="(http[^"]+/reset/[^"]+)"', page).group(1)
    user = db.session.scalar(db.select(User).where(User.email == "moi@test.socialbeat.vn"))
    assert user.full_name == "Lê Văn Mới" and user.role == "supervisor" and user.unit_id == unit.id
    (row,) = _audit("user.create")
    assert (
        row.actor_id == boss.id and row.target_id == user.id and row.details["role"] == "supervisor"
    )
    assert _audit("user.reset_link")

    path = link.split("localhost", 1)[1]
    stranger = app.test_client()
    assert stranger.get(path).status_code == 200
    token_page = path
    response = stranger.post(
        token_page,
        data={
            "password": "new-password-1",
            "confirm": "new-password-1",
            "csrf_token": _csrf(stranger, token_page),
        },
    )
    assert response.status_code == 303
    assert _sign_in(app.test_client(), user.email, "new-password-1").status_code == 302
    # The link works once: the second use is refused and the password stays.
    again = app.test_client()
    assert again.get(path).status_code == 410
    assert "đã hết hạn hoặc đã được dùng" in again.get(path).get_data(as_text=True)
    assert _audit("user.password_reset")


def test_reset_links_expire_and_are_tamper_proof(app, app_context, create_user):
    boss, user = create_user("admin"), create_user("officer")
    token = admin.issue_reset_token(boss, user, app.config["SECRET_KEY"])
    assert admin.user_for_reset(token, app.config["SECRET_KEY"]) == user
    assert admin.user_for_reset(token, app.config["SECRET_KEY"], max_age=-1) is None
    assert admin.user_for_reset(token + "x", app.config["SECRET_KEY"]) is None
    assert admin.user_for_reset(token, "another-secret") is None


def test_deactivation_ends_sessions_and_revokes_tokens(app, create_user, login, api_token):
    client, boss = _admin_client(app, create_user, login)
    officer = create_user("officer")
    theirs = app.test_client()
    assert _sign_in(theirs, officer.email).status_code == 302
    assert theirs.get("/cases").status_code == 200
    headers = api_token(officer)
    assert theirs.get("/api/v1/cases", headers=headers).status_code == 200

    response = _post(client, f"/admin/users/{officer.id}/active", {"active": "0"})
    assert response.status_code == 303

    assert theirs.get("/cases").status_code == 302  # sent back to sign in
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 401
    assert _sign_in(app.test_client(), officer.email).status_code == 401
    (row,) = _audit("user.deactivate")
    assert row.actor_id == boss.id and row.details == {"tokens_revoked": 1}
    page = client.get(f"/admin/users/{officer.id}").get_data(as_text=True)
    assert "user.deactivate" in page

    _post(client, f"/admin/users/{officer.id}/active", {"active": "1"})
    assert _sign_in(app.test_client(), officer.email).status_code == 302
    assert _audit("user.reactivate")
    # The revoked token stays revoked.
    assert app.test_client().get("/api/v1/cases", headers=headers).status_code == 401


def test_change_role_and_unit_is_audited(app, create_user, login, unit_by_code):
    client, boss = _admin_client(app, create_user, login)
    officer = create_user("officer", unit_code="SO-XD")
    target = unit_by_code("UBND-TP")
    response = _post(
        client,
        f"/admin/users/{officer.id}",
        {"role": "supervisor", "unit": str(target.id), "full_name": officer.full_name},
    )
    assert response.status_code == 303
    db.session.refresh(officer)
    assert officer.role == "supervisor" and officer.unit_id == target.id
    (row,) = _audit("user.update")
    assert row.details == {"role": ["officer", "supervisor"], "unit": ["SO-XD", "UBND-TP"]}


def test_refusals_are_shown_and_nothing_changes(app, create_user, login):
    client, boss = _admin_client(app, create_user, login)
    existing = create_user("officer")
    response = _post(
        client,
        "/admin/users",
        {
            "email": existing.email,
            "full_name": "X",
            "role": "officer",
            "unit": str(existing.unit_id),
        },
    )
    assert response.status_code == 303
    assert "Đã có người dùng với email này" in client.get("/admin/users").get_data(as_text=True)
    _post(client, f"/admin/users/{boss.id}/active", {"active": "0"})
    db.session.refresh(boss)
    assert boss.is_active_account
    assert not _audit("user.deactivate") and not _audit("user.create")


def test_forms_need_the_csrf_token(app, create_user, login):
    client, _ = _admin_client(app, create_user, login)
    officer = create_user("officer")
    assert client.post(f"/admin/users/{officer.id}/active", data={"active": "0"}).status_code == 400
    db.session.refresh(officer)
    assert officer.is_active_account


def test_units_tree_and_approval_switch(app, create_user, login, create_unit):
    client, boss = _admin_client(app, create_user, login)
    ward = create_unit(parent_code="UBND-TP", name="Phường Cây")
    page = client.get("/admin/units").get_data(as_text=True)
    assert ward.name_vi in page
    # The ward is listed after (under) its parent.
    parent = db.session.get(Unit, ward.parent_id)
    assert page.index(parent.name_vi) < page.index(ward.name_vi)
    tree = dict((unit.id, depth) for unit, depth in admin.unit_tree())
    assert tree[ward.id] == tree[parent.id] + 1

    response = _post(client, f"/admin/units/{ward.id}/approval", {"required": "1"}, "/admin/units")
    assert response.status_code == 303
    db.session.refresh(ward)
    assert ward.requires_response_approval
    (row,) = _audit("unit.approval")
    assert row.target_id == ward.id and row.details["requires_response_approval"] == [False, True]


def test_changes_made_on_the_command_line_are_audited_too(app, create_user, login, runner):
    client, _ = _admin_client(app, create_user, login)
    officer = create_user("officer", full_name="Anh Nguyễn Văn Bảy")

    for args in (
        [
            "users",
            "create",
            "moi@hcm.gov.vn",
            "--role",
            "officer",
            "--unit",
            "SO-XD",
            "--password",
            "mat-khau-dai-du",
        ],
        ["users", "deactivate", officer.email],
        ["users", "activate", officer.email],
        ["users", "set-password", officer.email, "--password", "mot-mat-khau-moi"],
        ["users", "end-sessions", officer.email],
        ["users", "revoke-token", officer.email],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output

    db.session.expire_all()
    for action in (
        "user.create",
        "user.deactivate",
        "user.reactivate",
        "user.password_set",
        "user.end_sessions",
        "user.tokens_revoke",
    ):
        (row,) = _audit(action)
        assert row.actor_id is None and row.details["via"] == "cli", action
    page = client.get(f"/admin/users/{officer.id}?lang=vi").get_data(as_text=True)
    assert "dòng lệnh trên máy chủ" in page and "user.deactivate" in page
    assert "chủ tài khoản" not in page
