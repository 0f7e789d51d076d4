"""Cases by ward, for the map: how many open (or newly received) cases each ward has.

Plain queries, no Flask: the map page (views.py) draws the result with charts.ward_map.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from app.cases.models import Case
from app.cases.workflow import OPEN_STATUSES
from app.extensions import db
from app.stats.handling.queries import Scope, unit_scope
from app.units.models import LOCAL_KINDS, Unit

#: `open`: cases being worked now, whenever received; `new`: cases received in the range.
WHICH = ("open", "new")


@dataclass(frozen=True)
class WardCount:
    code: str
    name: str
    latitude: float | None
    longitude: float | None
    count: int

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "count": self.count,
        }


def cases_by_ward(user, scope: Scope, which: str = "open", locale: str = "vi") -> list[WardCount]:
    """Cases per ward the user may see, most first; cases without a known ward are left out."""
    statement = (
        select(Case.ward_id, func.count(Case.id))
        .where(Case.ward_id.is_not(None))
        .group_by(Case.ward_id)
    )
    if which == "open":
        statement = statement.where(Case.status.in_([s.value for s in OPEN_STATUSES]))
    else:
        statement = statement.where(Case.created_at >= scope.start, Case.created_at < scope.end)
    if scope.category:
        statement = statement.where(Case.category == scope.category)
    units = unit_scope(user, scope.unit)
    if units is not None:
        statement = statement.where(Case.unit_id.in_(sorted(units)))
    counts = dict(db.session.execute(statement).all())
    if not counts:
        return []
    wards = db.session.scalars(select(Unit).where(Unit.id.in_(list(counts)))).all()
    rows = [
        WardCount(
            ward.code, ward.display_name(locale), ward.latitude, ward.longitude, counts[ward.id]
        )
        for ward in wards
    ]
    return sorted(rows, key=lambda row: (-row.count, row.name))


def ward_positions() -> list[tuple[float, float]]:
    """Every current ward's (latitude, longitude): the city's outline on the map."""
    return [
        (lat, lon)
        for lat, lon in db.session.execute(
            select(Unit.latitude, Unit.longitude).where(
                Unit.kind.in_([kind.value for kind in LOCAL_KINDS]), Unit.latitude.is_not(None)
            )
        )
    ]
