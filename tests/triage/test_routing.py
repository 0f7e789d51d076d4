"""Routing rules are data: defaults ship, the first match wins, the triage desk catches the rest."""

from app.extensions import db
from app.triage.models import RoutingRule
from app.triage.routing import ensure_default_rules, route


def test_defaults_route_local_problems_to_the_ward_and_city_ones_to_departments(
    app_context, unit_by_code
):
    ensure_default_rules()
    ward = unit_by_code("27478")

    assert route("urban_order", ward).unit == ward
    assert route("environment", ward).unit == ward
    assert route("security", ward).unit == ward
    assert route("security", None).unit.code == "CA-TP"
    assert route("flooding", ward).unit.code == "SO-XD"
    assert route("traffic", None).unit.code == "SO-XD"
    assert route("health", ward).unit.code == "SO-YT"
    assert route("education", None).unit.code == "SO-GDDT"
    assert route("administrative", None).unit.code == "TRIAGE-DESK"
    decision = route("urban_order", None)
    assert decision.unit.code == "TRIAGE-DESK"
    assert "Tổ tiếp nhận" in decision.reason


def test_loading_defaults_twice_creates_them_once(app_context):
    assert ensure_default_rules() > 0
    assert ensure_default_rules() == 0


def test_an_admins_rule_before_the_defaults_wins(app_context, unit_by_code):
    ensure_default_rules()
    db.session.add(
        RoutingRule(
            position=1,
            category="flooding",
            ward=unit_by_code("27478"),
            target="unit",
            target_unit=unit_by_code("TT-CNGN"),
            description="Tân Thuận: trung tâm chống ngập",
        )
    )
    db.session.commit()

    decision = route("flooding", unit_by_code("27478"))

    assert decision.unit.code == "TT-CNGN"
    assert decision.reason == "rule #1: Tân Thuận: trung tâm chống ngập"
    assert route("flooding", unit_by_code("26743")).unit.code == "SO-XD"


def test_inactive_rules_are_skipped(app_context, unit_by_code):
    ensure_default_rules()
    for rule in db.session.scalars(db.select(RoutingRule).where(RoutingRule.category == "health")):
        rule.is_active = False
    db.session.commit()

    assert route("health", None).unit.code == "TRIAGE-DESK"
