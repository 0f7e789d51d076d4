"""The routing-rules admin page: a table with order, enable, delete, and a "try it" box."""

import re

from app.extensions import db
from app.triage import rule_admin
from app.triage.models import RoutingRule
from app.triage.routing import ensure_default_rules
from app.users.models import AdminAudit


def _csrf(client) -> str:
    page = client.get("/admin/routing").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _admin(app, create_user, login):
    client = app.test_client()
    login(create_user("admin", unit_code="UBND-TP"), client)
    return client


def _rules():
    return db.session.scalars(db.select(RoutingRule).order_by(RoutingRule.position)).all()


def _actions():
    return [row.action for row in db.session.scalars(db.select(AdminAudit).order_by(AdminAudit.id))]


def test_try_it_names_the_rule_a_text_would_take(app, create_user, login, keyword_classifier):
    client = _admin(app, create_user, login)
    page = client.get("/admin/routing", query_string={"text": "Kẹt xe kéo dài trên đường"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Giao thông: Sở Xây dựng" in text  # the traffic rule's description
    assert "rule-hit" in text

    # A ward found in the text sends a ward-level problem to that ward.
    text = client.get(
        "/admin/routing", query_string={"text": "Rác thải bốc mùi ở phường Bến Thành"}
    ).get_data(as_text=True)
    assert "Rác thải, ô nhiễm tại một phường/xã" in text
    assert "Bến Thành" in text.split('class="try-result"')[1].split("</div>")[0]


def test_try_it_uses_the_given_category_and_ward(app, app_context, create_user, keyword_classifier):
    ensure_default_rules()
    db.session.commit()
    result = rule_admin.try_text("Có người lạ", category="security")
    assert result.decision.unit.code == "CA-TP" and not result.category_guessed
    assert result.rule.description.startswith("An ninh trật tự chưa rõ địa bàn")
    # With the health rule off, the catch-all rule sends it to the city triage desk.
    result = rule_admin.try_text("", category="health")
    assert result.decision.unit.code == "SO-YT"
    health = next(rule for rule in _rules() if rule.category == "health")
    rule_admin.set_enabled(create_user("admin"), health, False)
    result = rule_admin.try_text("", category="health")
    assert result.rule.category is None and result.decision.unit.code == "TRIAGE-DESK"


def test_move_disable_and_delete_are_audited(app, create_user, login):
    client = _admin(app, create_user, login)
    client.get("/admin/routing")  # creates the default rules
    first, second = _rules()[:2]
    token = _csrf(client)

    response = client.post(
        f"/admin/routing/{second.id}/move", data={"direction": "up", "csrf_token": token}
    )
    assert response.status_code == 303
    assert [rule.id for rule in _rules()[:2]] == [second.id, first.id]

    client.post(f"/admin/routing/{first.id}/enabled", data={"enabled": "0", "csrf_token": token})
    db.session.refresh(first)
    assert not first.is_active

    client.post(f"/admin/routing/{first.id}/delete", data={"csrf_token": token})
    assert db.session.get(RoutingRule, first.id) is None
    assert "Trật tự đô thị có phường/xã cụ thể" not in client.get("/admin/routing").get_data(
        as_text=True
    )
    assert _actions() == ["routing.move", "routing.disable", "routing.delete"]


def test_rule_page_and_actions_are_admin_only(app, create_user, login):
    client = app.test_client()
    login(create_user("officer"), client)
    assert client.get("/admin/routing").status_code == 403
    assert client.post("/admin/routing/1/delete").status_code in (400, 403)


def test_saving_a_rule_is_audited_with_what_changed(app, create_user, login):
    client = _admin(app, create_user, login)
    client.get("/admin/routing")
    rule = next(rule for rule in _rules() if rule.category == "health")
    data = {
        "id": rule.id,
        "position": rule.position,
        "category": "health",
        "target": "unit",
        "unit": "SO-YT",
        "description": "Y tế, đổi lý do",
        "is_active": "on",
        "csrf_token": _csrf(client),
    }
    assert client.post("/admin/routing", data=data).status_code == 303
    row = db.session.scalars(db.select(AdminAudit)).one()
    assert row.action == "routing.update"
    assert row.details == {"description": ["Y tế: Sở Y tế", "Y tế, đổi lý do"]}
