"""Acting on many cases at once from the queue: assign them or move them along.

Each case goes through the same operation as on its own page (operations.assign,
operations.transition), so the same rules and permissions apply and each change is
written with its timeline event in its own transaction. A case that refuses does not
stop the others; the outcome says, per case, why not (a code the caller translates).

"Select all" re-runs the queue's query (queries.build_query, with the user's access
rules) on the server, so it reaches every case matching the filters and never a case
outside the user's units. No Flask here.
"""

from dataclasses import dataclass, field

from app.cases import operations, queries
from app.cases.models import Case
from app.cases.operations import CaseError
from app.extensions import db
from app.users.models import User

#: The most cases one bulk action may touch; narrower filters for more.
MAX_CASES = 1000
ACTIONS = ("assign", "transition")


@dataclass(frozen=True)
class Refusal:
    """One case left as it was: `reason` is a CaseError code (or "not_found")."""

    case_id: int
    #: None when the case is not visible to the user: its code is not revealed.
    case_code: str | None
    reason: str
    #: What the message needs: the case's status, the target status, its unit (a Unit),
    #: the assignee's name.
    details: dict = field(default_factory=dict)


@dataclass
class Outcome:
    changed: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


class TooManyCases(ValueError):
    def __init__(self, count: int):
        super().__init__(f"{count} cases match; at most {MAX_CASES} at once")
        self.count = count


def matching_ids(user: User, filters: queries.CaseFilters) -> list[int]:
    """Ids of every case the queue lists for `user` under `filters`, in queue order."""
    statement = queries.build_query(user, filters).with_only_columns(Case.id)
    ids = list(db.session.scalars(statement.limit(MAX_CASES + 1)))
    if len(ids) > MAX_CASES:
        raise TooManyCases(len(ids))
    return ids


def apply(
    actor: User,
    case_ids: list[int],
    action: str,
    *,
    assignee: User | None = None,
    to: str | None = None,
    note: str | None = None,
    versions: dict[int, int] | None = None,
) -> Outcome:
    """Run `action` on each case; `versions` (case id -> version the user saw) catches
    cases changed by someone else since the page was loaded."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action: {action}")
    if len(case_ids) > MAX_CASES:
        raise TooManyCases(len(case_ids))
    versions = versions or {}
    outcome = Outcome()
    for case_id in dict.fromkeys(case_ids):
        try:
            case = operations.get_case_for(actor, case_id)
        except CaseError:
            outcome.refused.append(Refusal(case_id, None, "not_found"))
            continue
        code, status = case.code, case.status
        try:
            version = versions.get(case_id, case.version)
            if action == "assign":
                operations.assign(case, assignee, actor, version=version, note=note)
            else:
                operations.transition(case, to or "", actor, note, version=version)
        except CaseError as error:
            db.session.rollback()
            details = {"status": status, "to": to, "unit": case.unit}
            if assignee is not None:
                details["assignee"] = assignee.full_name or assignee.email
            outcome.refused.append(Refusal(case_id, code, error.code, details))
        else:
            outcome.changed.append(code)
    return outcome
