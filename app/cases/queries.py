"""Listing cases: filters, text search that ignores diacritics, sorting. Read-only."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import load_only, selectinload

from app.cases.models import Case
from app.cases.permissions import restrict_to_visible
from app.core.text import fold
from app.models import utcnow
from app.units.models import Unit
from app.users.models import User

#: sort key -> columns. A leading "-" reverses. The id breaks ties so pages are stable.
SORTS = {
    "next_due": (Case.next_due_at,),
    "created_at": (Case.created_at,),
    "updated_at": (Case.updated_at,),
    "last_seen_at": (Case.last_seen_at,),
    "priority": (Case.priority,),
    "status": (Case.status,),
    "mentions": (Case.mention_count,),
    "title": (Case.title,),
}
#: Cases whose clocks run out first come first; cases without an open clock come last.
DEFAULT_SORT = "next_due"
#: Deadline filters: "late" keeps the cases with an open deadline already passed.
SLA_FILTERS = ("late",)
#: Sorts on columns that may be empty; empty sorts last either way.
NULLABLE_SORTS = frozenset({"next_due"})


@dataclass
class CaseFilters:
    status: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    #: Unit and ward are given by their official codes.
    unit: str | None = None
    ward: str | None = None
    #: A user id, "me" or "none".
    assignee: str | None = None
    q: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    #: "late": cases with an open deadline already passed.
    sla: str | None = None
    sort: str = DEFAULT_SORT


def _unit_id(code: str):
    """A subquery for the unit with that official code (no match lists nothing)."""
    return select(Unit.id).where(Unit.code == code).scalar_subquery()


def build_query(user: User, filters: CaseFilters) -> Select:
    """A select() of the cases `user` may see, filtered and sorted."""
    statement = restrict_to_visible(select(Case), user)
    if filters.status:
        statement = statement.where(Case.status.in_(filters.status))
    if filters.category:
        statement = statement.where(Case.category.in_(filters.category))
    if filters.priority:
        statement = statement.where(Case.priority.in_(filters.priority))
    if filters.unit:
        statement = statement.where(Case.unit_id == _unit_id(filters.unit))
    if filters.ward:
        statement = statement.where(Case.ward_id == _unit_id(filters.ward))
    if filters.assignee == "me":
        statement = statement.where(Case.assignee_id == user.id)
    elif filters.assignee == "none":
        statement = statement.where(Case.assignee_id.is_(None))
    elif filters.assignee:
        statement = statement.where(Case.assignee_id == int(filters.assignee))
    for word in fold(filters.q).split():
        statement = statement.where(Case.search_text.contains(word, autoescape=True))
    if filters.created_from:
        statement = statement.where(Case.created_at >= filters.created_from)
    if filters.created_to:
        statement = statement.where(Case.created_at < filters.created_to)
    if filters.sla == "late":
        statement = statement.where(_late_clock_exists())
    return apply_sort(statement, filters.sort)


def _late_clock_exists():
    """An open clock already breached, or running past its due time (as the countdown says)."""
    from app.cases.sla.models import SlaClock

    return (
        select(SlaClock.id)
        .where(
            SlaClock.case_id == Case.id,
            SlaClock.stopped_at.is_(None),
            or_(
                SlaClock.state == "breached",
                and_(SlaClock.paused_at.is_(None), SlaClock.due_at < utcnow()),
            ),
        )
        .exists()
    )


def apply_sort(statement: Select, sort: str) -> Select:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    order = [column.desc() if descending else column.asc() for column in SORTS[key]]
    if key in NULLABLE_SORTS:
        order = [column.nulls_last() for column in order]
    order.append(Case.id.desc() if descending else Case.id.asc())
    return statement.order_by(*order)


def with_list_relations(statement: Select) -> Select:
    """Load what a queue row shows in a few queries instead of one per row."""
    return statement.options(
        selectinload(Case.unit),
        selectinload(Case.ward),
        selectinload(Case.assignee),
        selectinload(Case.former_district),
        selectinload(Case.sla_clocks),
    )


def list_page(user: User, args: dict):
    """One page of the user's cases for loaded list arguments (see schemas.CaseListArgsSchema).

    Returns (filters, pagination); the API and the web queue both list through here.
    """
    from app.extensions import db

    filters = filters_from(args)
    statement = with_list_relations(build_query(user, filters))
    page = db.paginate(statement, page=args["page"], per_page=args["per_page"], error_out=False)
    return filters, page


#: What a row of the web queue shows; the rest of each case stays in the database.
QUEUE_COLUMNS = (
    Case.code,
    Case.title,
    Case.status,
    Case.priority,
    Case.category,
    Case.unit_id,
    Case.ward_id,
    Case.assignee_id,
    Case.mention_count,
    Case.created_at,
    Case.next_due_at,
    Case.version,
)


def queue_page(user: User, args: dict):
    """list_page for the web queue: only the columns and relations its rows show.

    The SLA clocks are not loaded here: see open_clocks.
    """
    from app.extensions import db

    filters = filters_from(args)
    statement = build_query(user, filters).options(
        load_only(*QUEUE_COLUMNS),
        selectinload(Case.ward).load_only(Unit.name_vi),
        selectinload(Case.assignee).load_only(User.full_name, User.email),
    )
    page = db.paginate(statement, page=args["page"], per_page=args["per_page"], error_out=False)
    return filters, page


def open_clocks(case_ids: list[int]) -> dict[int, list]:
    """The running and paused SLA clocks of these cases, by case id, in one query.

    Read-only rows with what clocks.view reads (no ORM objects): a page shows, not changes.
    """
    from app.cases.sla.models import SlaClock
    from app.extensions import db

    by_case: dict[int, list] = {}
    if case_ids:
        statement = (
            select(*(getattr(SlaClock, name) for name in CLOCK_VIEW_COLUMNS))
            .where(SlaClock.case_id.in_(case_ids), SlaClock.stopped_at.is_(None))
            .order_by(SlaClock.case_id, SlaClock.cycle, SlaClock.id)
        )
        for clock in db.session.execute(statement):
            by_case.setdefault(clock.case_id, []).append(clock)
    return by_case


#: The clock columns clocks.view and countdown read.
CLOCK_VIEW_COLUMNS = (
    "case_id",
    "id",
    "metric",
    "cycle",
    "state",
    "counting",
    "calendar_id",
    "started_at",
    "due_at",
    "warn_at",
    "paused_at",
    "stopped_at",
    "target_seconds",
    "elapsed_seconds",
    "paused_seconds",
    "at_risk_percent",
)


def filters_from(args: dict) -> CaseFilters:
    """The filters of loaded list arguments (the page and its size left out)."""
    return CaseFilters(
        **{k: v for k, v in args.items() if k not in ("page", "per_page", "sort")},
        sort=args["sort"] or DEFAULT_SORT,
    )
