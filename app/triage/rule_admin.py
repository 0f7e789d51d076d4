"""Admin operations on routing rules (move, enable, delete, save) and the rule tester.

The tester reads a text the way triage does (the model for the category unless one is
given, the gazetteer for the ward unless one is given) and asks the real Router which
rule would take it; nothing is stored.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.triage.models import RoutingRule
from app.triage.pipeline import place_of
from app.triage.places.scope import PLACE_THRESHOLD
from app.triage.routing import Router, RoutingDecision
from app.units.models import FormerDistrict, Unit
from app.users.admin import audit


def ordered_rules() -> list[RoutingRule]:
    return db.session.scalars(
        select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    ).all()


def _snapshot(rule: RoutingRule) -> dict:
    return {
        "position": rule.position,
        "category": rule.category,
        "target": rule.target,
        "unit": rule.target_unit.code if rule.target_unit else None,
        "requires_ward": rule.requires_ward,
        "active": rule.is_active,
        "description": rule.description,
    }


def record_save(actor, rule: RoutingRule, before: dict | None) -> None:
    """Audit a rule just saved (flushed); `before` is its snapshot before the edit, if any."""
    after = _snapshot(rule)
    if before is None:
        audit(actor, "routing.create", "routing_rule", rule.id, **after)
        return
    changes = {key: [before[key], value] for key, value in after.items() if before[key] != value}
    if changes:
        audit(actor, "routing.update", "routing_rule", rule.id, **changes)


def snapshot(rule: RoutingRule) -> dict | None:
    return _snapshot(rule) if rule.id else None


def move(actor, rule: RoutingRule, direction: str) -> bool:
    """Swap the rule with its neighbour above ("up") or below ("down"); renumber by tens."""
    rules = ordered_rules()
    index = rules.index(rule)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(rules):
        return False
    rules[index], rules[other] = rules[other], rules[index]
    for number, each in enumerate(rules, start=1):
        each.position = number * 10
    audit(
        actor, "routing.move", "routing_rule", rule.id, direction=direction, position=rule.position
    )
    db.session.commit()
    return True


def set_enabled(actor, rule: RoutingRule, enabled: bool) -> bool:
    if rule.is_active == enabled:
        return False
    rule.is_active = enabled
    audit(actor, "routing.enable" if enabled else "routing.disable", "routing_rule", rule.id)
    db.session.commit()
    return True


def delete(actor, rule: RoutingRule) -> None:
    audit(actor, "routing.delete", "routing_rule", rule.id, **_snapshot(rule))
    db.session.delete(rule)
    db.session.commit()


@dataclass
class TryResult:
    category: str | None
    category_guessed: bool
    ward: Unit | None
    ward_guessed: bool
    decision: RoutingDecision | None
    rule: RoutingRule | None


def _guess_category(text: str) -> str | None:
    """The model's category for `text`; None when it finds none, or no model is loaded yet
    (the page then asks for a category)."""
    from app.triage.model.store import ModelUnavailable
    from app.triage.pipeline import analyse

    try:
        (analysis,) = analyse([text])
    except ModelUnavailable:
        return None
    return analysis.category


def try_text(text: str, category: str | None = None, ward: Unit | None = None) -> TryResult:
    """Which rule a new case from `text` would take; the given category or ward win over guesses."""
    category_guessed = ward_guessed = False
    district_id = None
    if not category:
        category, category_guessed = _guess_category(text), True
    place = place_of(text) if text.strip() else None
    if place and place["confidence"] >= PLACE_THRESHOLD:
        if ward is None and len(place["wards"]) == 1:
            code = place["wards"][0]["code"]
            ward = db.session.scalar(select(Unit).where(Unit.code == code))
            ward_guessed = ward is not None
        if place.get("former_district"):
            district_id = db.session.scalar(
                select(FormerDistrict.id).where(
                    FormerDistrict.code == place["former_district"]["code"]
                )
            )
    if category is None:  # the model finds nothing for the city in it
        return TryResult(None, category_guessed, ward, ward_guessed, None, None)
    decision = Router.load().route(category, ward, district_id)
    rule = db.session.get(RoutingRule, decision.rule_id) if decision.rule_id else None
    return TryResult(category, category_guessed, ward, ward_guessed, decision, rule)
