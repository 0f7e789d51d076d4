"""Routing: the ordered, admin-edited rules that pick the unit responsible for a case."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.triage.models import RoutingRule
from app.units.models import Unit
from app.units.operations import TRIAGE_DESK_CODE

#: (category or None, requires a ward, target "ward" or a unit code, description). Order matters.
DEFAULT_RULES = [
    ("urban_order", True, "ward", "Trật tự đô thị có phường/xã cụ thể: UBND phường/xã xử lý"),
    ("environment", True, "ward", "Rác thải, ô nhiễm tại một phường/xã: UBND phường/xã xử lý"),
    ("security", True, "ward", "An ninh trật tự tại một phường/xã: UBND và công an phường/xã"),
    ("security", False, "CA-TP", "An ninh trật tự chưa rõ địa bàn: Công an Thành phố"),
    ("flooding", False, "SO-XD", "Ngập nước, thoát nước: Sở Xây dựng"),
    ("traffic", False, "SO-XD", "Giao thông: Sở Xây dựng"),
    ("infrastructure", False, "SO-XD", "Hạ tầng đô thị: Sở Xây dựng"),
    ("health", False, "SO-YT", "Y tế: Sở Y tế"),
    ("education", False, "SO-GDDT", "Giáo dục: Sở Giáo dục và Đào tạo"),
    ("environment", False, "SO-NNMT", "Môi trường chưa rõ địa bàn: Sở Nông nghiệp và Môi trường"),
    ("administrative", True, "ward", "Thủ tục hành chính tại phường/xã: UBND phường/xã"),
    ("other", True, "ward", "Vấn đề khác tại phường/xã: UBND phường/xã"),
    (
        None,
        False,
        TRIAGE_DESK_CODE,
        "Chưa rõ địa bàn hoặc đơn vị: Tổ tiếp nhận Thành phố phân loại",
    ),
]


@dataclass(frozen=True)
class RoutingDecision:
    unit: Unit
    rule_id: int | None
    reason: str


def ensure_default_rules() -> int:
    """Create the default rules when there are none yet; returns how many were created.

    Flushes but does not commit: it runs inside the caller's transaction (triage's savepoints).
    """
    if db.session.scalar(select(RoutingRule.id).limit(1)) is not None:
        return 0
    units = {
        u.code: u
        for u in db.session.scalars(select(Unit).where(Unit.kind.not_in(["ward", "commune"])))
    }
    for position, (category, requires_ward, target, description) in enumerate(
        DEFAULT_RULES, start=1
    ):
        db.session.add(
            RoutingRule(
                position=position * 10,
                category=category,
                requires_ward=requires_ward,
                target="ward" if target == "ward" else "unit",
                target_unit=None if target == "ward" else units[target],
                description=description,
            )
        )
    db.session.flush()
    return len(DEFAULT_RULES)


class Router:
    """The active rules, read once and applied to many cases (one triage batch)."""

    def __init__(self, rules: list[RoutingRule]):
        self.rules = rules
        self._desk: Unit | None = None

    @classmethod
    def load(cls) -> "Router":
        ensure_default_rules()
        rules = db.session.scalars(
            select(RoutingRule)
            .where(RoutingRule.is_active.is_(True))
            .options(selectinload(RoutingRule.target_unit))
            .order_by(RoutingRule.position, RoutingRule.id)
        )
        return cls(list(rules))

    def route(
        self, category: str, ward: Unit | None, former_district_id: int | None = None
    ) -> RoutingDecision:
        """The first active rule matching the category and place decides; the triage desk catches the rest."""
        for rule in self.rules:
            if rule.category not in (None, category):
                continue
            if rule.requires_ward and ward is None:
                continue
            if rule.ward_id is not None and (ward is None or ward.id != rule.ward_id):
                continue
            if (
                rule.former_district_id is not None
                and rule.former_district_id != former_district_id
            ):
                continue
            unit = ward if rule.target == "ward" else rule.target_unit
            if unit is None:
                continue
            return RoutingDecision(unit, rule.id, f"rule #{rule.position}: {rule.description}")
        if self._desk is None:
            self._desk = db.session.scalar(select(Unit).where(Unit.code == TRIAGE_DESK_CODE))
        return RoutingDecision(self._desk, None, "no rule matched: city triage desk")


def route(
    category: str, ward: Unit | None, former_district_id: int | None = None
) -> RoutingDecision:
    """The first active rule matching the category and place decides; the triage desk catches the rest."""
    return Router.load().route(category, ward, former_district_id)
