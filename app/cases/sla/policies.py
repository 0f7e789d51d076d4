"""SLA policies: which targets apply to a case, the shipped defaults, and the admin's edits.

The first active policy in the admin's order whose non-empty matchers (category,
priority, unit, source) all equal the case's wins.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from app.cases.models import CATEGORIES, PRIORITIES
from app.cases.sla.maths import CountingMode
from app.cases.sla.models import METRICS, SlaCalendar, SlaPolicy
from app.cases.sla.store import ensure_default_calendar
from app.core.validation import MAX_INT, parse_int
from app.extensions import db
from app.units.models import Unit

WORKING, CALENDAR = CountingMode.WORKING.value, CountingMode.CALENDAR.value
#: One working day of the default calendar, in minutes (07:30–11:30 and 13:00–17:00).
WORKING_DAY = 8 * 60


@dataclass(frozen=True)
class DefaultPolicy:
    name: str
    priority: str
    #: metric -> (minutes, counting)
    targets: dict


#: Shipped defaults, one per priority. P1 runs around the clock; the others count
#: office hours. P3 resolves within 5 working days, as the city hotline promises.
DEFAULT_POLICIES = (
    DefaultPolicy(
        "P1 – nguy hiểm tức thời",
        "P1",
        {"verify": (60, CALENDAR), "resolve": (24 * 60, CALENDAR), "respond": (48 * 60, CALENDAR)},
    ),
    DefaultPolicy(
        "P2 – ảnh hưởng rộng",
        "P2",
        {
            "verify": (4 * 60, WORKING),
            "resolve": (3 * WORKING_DAY, WORKING),
            "respond": (4 * WORKING_DAY, WORKING),
        },
    ),
    DefaultPolicy(
        "P3 – bình thường",
        "P3",
        {
            "verify": (WORKING_DAY, WORKING),
            "resolve": (5 * WORKING_DAY, WORKING),
            "respond": (7 * WORKING_DAY, WORKING),
        },
    ),
    DefaultPolicy(
        "P4 – thấp",
        "P4",
        {
            "verify": (2 * WORKING_DAY, WORKING),
            "resolve": (10 * WORKING_DAY, WORKING),
            "respond": (12 * WORKING_DAY, WORKING),
        },
    ),
)


class PolicyError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def ordered_policies(active_only: bool = False) -> list[SlaPolicy]:
    statement = select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)
    if active_only:
        statement = statement.where(SlaPolicy.is_active.is_(True))
    return list(db.session.scalars(statement))


def policy_matches(policy: SlaPolicy, *, category, priority, unit_id, source) -> bool:
    return (
        (policy.category is None or policy.category == category)
        and (policy.priority is None or policy.priority == priority)
        and (policy.unit_id is None or policy.unit_id == unit_id)
        and (policy.source is None or policy.source == source)
    )


def match_policy(case, policies: list[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy that matches the case, or None."""
    unit_id = case.unit_id if case.unit_id is not None else case.unit.id
    for policy in ordered_policies(active_only=True) if policies is None else policies:
        if policy_matches(
            policy,
            category=case.category,
            priority=case.priority,
            unit_id=unit_id,
            source=case.source,
        ):
            return policy
    return None


def load_default_sla() -> str:
    """Create the default calendar and the per-priority policies that are missing. Idempotent."""
    ensure_default_calendar()
    existing = set(db.session.scalars(select(SlaPolicy.name)))
    position = (db.session.scalar(select(func.max(SlaPolicy.position))) or 0) + 10
    created = 0
    for default in DEFAULT_POLICIES:
        if default.name in existing:
            continue
        policy = SlaPolicy(name=default.name, priority=default.priority, position=position)
        for metric, (minutes, counting) in default.targets.items():
            setattr(policy, f"{metric}_minutes", minutes)
            setattr(policy, f"{metric}_counting", counting)
        db.session.add(policy)
        position += 10
        created += 1
    db.session.commit()
    return f"SLA: default calendar ready, {created} default policies created"


def save_policy(policy: SlaPolicy | None, form: dict) -> SlaPolicy:
    """Create or change a policy from validated-looking form values, and commit. The caller
    recomputes the running clocks (`tasks.schedule_recompute(rematch=True)`)."""
    name = (form.get("name") or "").strip()
    if not name:
        raise PolicyError("a policy needs a name", "name")
    if len(name) > 120:
        raise PolicyError("at most 120 characters", "name")
    if len((form.get("source") or "").strip()) > 32:
        raise PolicyError("at most 32 characters", "source")
    category = form.get("category") or None
    priority = form.get("priority") or None
    if category is not None and category not in CATEGORIES:
        raise PolicyError("unknown category", "category")
    if priority is not None and priority not in PRIORITIES:
        raise PolicyError("unknown priority", "priority")
    unit_id = _optional_int(form.get("unit_id"), "unit_id")
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise PolicyError("unknown unit", "unit_id")
    calendar_id = _optional_int(form.get("calendar_id"), "calendar_id")
    if calendar_id is not None and db.session.get(SlaCalendar, calendar_id) is None:
        raise PolicyError("unknown calendar", "calendar_id")
    at_risk = _optional_int(form.get("at_risk_percent"), "at_risk_percent")
    if at_risk is None or not 0 <= at_risk <= 100:
        raise PolicyError("between 0 and 100", "at_risk_percent")
    targets = {}
    for metric in METRICS:
        minutes = _optional_int(form.get(f"{metric}_minutes"), f"{metric}_minutes")
        if minutes is not None and minutes <= 0:
            raise PolicyError("a target is a positive number of minutes", f"{metric}_minutes")
        counting = form.get(f"{metric}_counting") or WORKING
        if counting not in (WORKING, CALENDAR):
            raise PolicyError("working or calendar", f"{metric}_counting")
        targets[metric] = (minutes, counting)
    if policy is None:
        last = db.session.scalar(select(func.max(SlaPolicy.position))) or 0
        policy = SlaPolicy(position=last + 10)
        db.session.add(policy)
    policy.name, policy.category, policy.priority = name, category, priority
    policy.unit_id, policy.calendar_id, policy.at_risk_percent = unit_id, calendar_id, at_risk
    policy.source = (form.get("source") or "").strip() or None
    policy.is_active = bool(form.get("is_active"))
    for metric, (minutes, counting) in targets.items():
        setattr(policy, f"{metric}_minutes", minutes)
        setattr(policy, f"{metric}_counting", counting)
    _changed()
    return policy


def move_policy(policy: SlaPolicy, direction: int) -> bool:
    """Move a policy one place up (-1) or down (+1) in the order; False when it is
    already first or last (nothing changed)."""
    policies = ordered_policies()
    index = policies.index(policy)
    other = index + direction
    if not 0 <= other < len(policies):
        return False
    policies[index], policies[other] = policies[other], policies[index]
    for position, each in enumerate(policies, start=1):
        each.position = position * 10
    _changed()
    return True


def delete_policy(policy: SlaPolicy) -> None:
    db.session.delete(policy)
    _changed()


def _changed() -> None:
    """Commit. Order and matchers decide for all cases, so every running clock must be
    matched again: the caller schedules that (`tasks.schedule_recompute(rematch=True)`)."""
    db.session.commit()


def _optional_int(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return parse_int(value, minimum=-MAX_INT)
    except ValueError as error:
        raise PolicyError("a whole number", field) from error
