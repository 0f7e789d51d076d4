"""Who sees and who changes which cases.

- officer: their own unit's cases;
- supervisor: their unit and every unit under it, and may reassign;
- analyst: reads everything, changes nothing;
- admin: everything.
"""

from sqlalchemy import Select

from app.cases.models import Case
from app.units.operations import descendant_unit_ids
from app.users.models import Role, User


def visible_unit_ids(user: User) -> set[int] | None:
    """The units whose cases the user sees, or None for all units."""
    if user.role in (Role.analyst, Role.admin):
        return None
    if user.role == Role.supervisor:
        return descendant_unit_ids(user.unit_id)
    return {user.unit_id}


def restrict_to_visible(statement: Select, user: User, unit_ids: set[int] | None = None) -> Select:
    """Limit a select() of cases to what the user may see."""
    scope = visible_unit_ids(user) if unit_ids is None else unit_ids
    if scope is None:
        return statement
    if len(scope) == 1:
        return statement.where(Case.unit_id == next(iter(scope)))
    return statement.where(Case.unit_id.in_(scope))


def can_see(user: User, case: Case) -> bool:
    scope = visible_unit_ids(user)
    return scope is None or case.unit_id in scope


def can_change(user: User, case: Case) -> bool:
    """Work the case: move it, comment, transfer, merge."""
    return user.role != Role.analyst and can_see(user, case)


def can_create_in(user: User, unit_id: int) -> bool:
    if user.role == Role.analyst:
        return False
    scope = visible_unit_ids(user)
    return scope is None or unit_id in scope


def can_assign(user: User, case: Case, assignee: User | None) -> bool:
    """Supervisors and admins assign anyone in scope; an officer takes or drops a case themself."""
    if not can_change(user, case):
        return False
    if user.role in (Role.supervisor, Role.admin):
        return True
    return (
        assignee is None
        and case.assignee_id == user.id
        or (assignee is not None and assignee.id == user.id)
    )


def can_approve_responses(user: User, case: Case) -> bool:
    return user.role in (Role.supervisor, Role.admin) and can_see(user, case)
