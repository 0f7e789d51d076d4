"""Loading and searching units. Plain functions; callers own nothing, these commit."""

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import or_, select

from app.core.text import fold
from app.extensions import db
from app.units import hcmc
from app.units.models import LOCAL_KINDS, FormerDistrict, Unit

CITY_UNITS_FILE = Path(__file__).with_name("city_units.json")
CITY_ROOT_CODE = "UBND-TP"
TRIAGE_DESK_CODE = "TRIAGE-DESK"


def _upsert_unit(existing: dict[str, Unit], code: str, **values) -> tuple[Unit, bool]:
    unit = existing.get(code)
    created = unit is None
    if created:
        unit = Unit(code=code)
        db.session.add(unit)
        existing[code] = unit
    for key, value in values.items():
        if getattr(unit, key) != value:
            setattr(unit, key, value)
    unit.refresh_search_text()
    return unit, created


def load_hcmc(progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Load the city departments, police and HCMC's current local units with their former districts.

    Idempotent: running it again updates names in place and creates nothing new.
    Returns counts of what was created and how many units exist per group.
    """
    units = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    created = 0

    city = json.loads(CITY_UNITS_FILE.read_text(encoding="utf-8"))
    for entry in city:
        _, is_new = _upsert_unit(
            units,
            entry["code"],
            kind=entry["kind"],
            name_vi=entry["name_vi"],
            name_en=entry["name_en"],
            sort_order=0,
        )
        created += is_new
    db.session.flush()
    for entry in city:
        parent = units.get(entry["parent"]) if entry["parent"] else None
        units[entry["code"]].parent_id = parent.id if parent else None
    progress(f"city units: {len(city)}")

    districts = {d.code: d for d in db.session.scalars(select(FormerDistrict))}
    for data in hcmc.former_districts():
        district = districts.get(data.code)
        if district is None:
            district = FormerDistrict(code=data.code)
            db.session.add(district)
            districts[data.code] = district
        district.name = data.name
        district.province = data.province
    db.session.flush()
    progress(f"former districts: {len(districts)}")

    root = units[CITY_ROOT_CODE]
    local = hcmc.load_hcmc_units()
    for data in local:
        unit, is_new = _upsert_unit(
            units,
            data.code,
            kind=data.type,
            name_vi=data.name,
            name_en=data.name_en,
            parent_id=root.id,
            latitude=data.lat,
            longitude=data.lon,
            area_km2=data.area_km2,
            sort_order=1,
        )
        created += is_new
        wanted = sorted(district.code for district in data.former_districts)
        if sorted(d.code for d in unit.former_districts) != wanted:
            unit.former_districts = [districts[code] for code in wanted]
    progress(f"wards, communes and special zone: {len(local)}")
    db.session.commit()
    local_count = db.session.scalar(
        select(db.func.count(Unit.id)).where(Unit.kind.in_([k.value for k in LOCAL_KINDS]))
    )
    return {"created": created, "local_units": local_count, "former_districts": len(districts)}


def search_units(kind: str | None = None, query: str | None = None):
    """A select() of units filtered by kind and by a diacritics-insensitive text query."""
    statement = select(Unit).order_by(Unit.sort_order, Unit.name_vi, Unit.id)
    if kind:
        statement = statement.where(Unit.kind == kind)
    if query:
        for word in fold(query).split():
            statement = statement.where(Unit.search_text.contains(word, autoescape=True))
    return statement


def wards_of_former_district(name_or_code: str) -> list[Unit]:
    """The current wards that a former district became, by its code or name (accents optional)."""
    folded = fold(name_or_code)
    districts = db.session.scalars(
        select(FormerDistrict).where(
            or_(FormerDistrict.code == name_or_code, FormerDistrict.name == name_or_code)
        )
    ).all()
    if not districts:
        districts = [
            d for d in db.session.scalars(select(FormerDistrict)) if fold(d.name) == folded
        ]
    return sorted({w for d in districts for w in d.wards}, key=lambda w: w.name_vi)


def descendant_unit_ids(unit_id: int) -> set[int]:
    """The unit and every unit under it, for supervisors who see their subtree."""
    pairs = db.session.execute(select(Unit.id, Unit.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for child_id, parent_id in pairs:
        children.setdefault(parent_id, []).append(child_id)
    seen, stack = {unit_id}, [unit_id]
    while stack:
        for child_id in children.get(stack.pop(), []):
            if child_id not in seen:
                seen.add(child_id)
                stack.append(child_id)
    return seen
