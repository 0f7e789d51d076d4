"""What the report builders share: the row limit, the input error, and references to cases,
units and press articles as a snapshot keeps them (codes, ids, both names of a unit, ISO 8601
UTC times — never translated text).
"""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.cases.models import Case
from app.collectors.models import Post
from app.extensions import db
from app.units.models import Unit

#: Rows kept in the long lists (breaches, overdue, articles…); the totals are always exact.
MAX_ROWS = 200


class ReportInputError(ValueError):
    """What was asked for cannot make a report: {field: [message]}."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: [message]}


def article_title(post: Post) -> str:
    """The headline of a press article: the feed's title, else the first line of the text."""
    raw = post.raw or {}
    title = raw.get("title") if isinstance(raw, dict) else None
    if not title:
        title = (post.text or "").strip().split("\n", 1)[0]
    title = " ".join(str(title).split())
    return title[:297] + "…" if len(title) > 300 else title


def source_name(post: Post) -> str:
    raw = post.raw or {}
    feed = raw.get("feed") if isinstance(raw, dict) else None
    return str(feed or post.source)


def article_ref(post: Post) -> dict:
    return {
        "id": post.id,
        "title": article_title(post),
        "source": source_name(post),
        "url": post.url,
        "posted_at": iso(post.posted_at),
        "category": post.category,
    }


def cases_by_id(ids: set[int]) -> dict[int, Case]:
    if not ids:
        return {}
    cases = db.session.scalars(
        select(Case)
        .where(Case.id.in_(ids))
        .options(selectinload(Case.unit), selectinload(Case.ward))
    )
    return {case.id: case for case in cases}


def units_by_id(ids: set[int]) -> dict[int, Unit]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}


def load_wards(cases: list[Case]) -> None:
    # One query for the wards of a list of cases, instead of one each.
    units_by_id({c.ward_id for c in cases if c.ward_id})


def unit_ref(unit: Unit | None) -> dict | None:
    if unit is None:
        return None
    return {"code": unit.code, "name_vi": unit.name_vi, "name_en": unit.name_en}


def case_ref(case: Case) -> dict:
    return {
        "id": case.id,
        "code": case.code,
        "title": case.title,
        "status": case.status,
        "category": case.category,
        "priority": case.priority,
        "unit": unit_ref(case.unit),
        "ward": unit_ref(case.ward),
    }


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
