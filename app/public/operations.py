"""The public view of cases: lookup by tracking code, the browse list, and citizen feedback.

Everything leaving this module for a public page or the Open311 API has been
through privacy.mask_personal_data; contact details and authors never do.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app.cases import operations as case_operations
from app.cases import workflow
from app.cases.codes import normalize_code
from app.cases.models import Case, EventKind
from app.cases.sla_models import ClockState
from app.cases.workflow import Status
from app.collectors.models import Post
from app.core.text import fold
from app.extensions import db
from app.models import utcnow
from app.public.models import CitizenFeedback
from app.public.privacy import MaskLabels, mask_personal_data

#: Statuses after which the citizen may say whether the problem is solved.
FEEDBACK_STATUSES = frozenset({Status.responded.value, Status.closed.value})
#: Events shown on the public timeline even though they are not marked public; their notes never are.
STATUS_EVENTS = frozenset({EventKind.created.value, EventKind.status_changed.value})


class FeedbackError(ValueError):
    """Feedback that cannot be taken (wrong status, already given, bad score)."""


def mask(text: str | None) -> str:
    """Mask personal data with labels in the request's language."""
    labels = MaskLabels(
        phone=_("[phone hidden]"),
        email=_("[email hidden]"),
        id_number=_("[ID number hidden]"),
        handle=_("[account hidden]"),
    )
    return mask_personal_data(text, labels)


@dataclass(frozen=True)
class PublicEvent:
    kind: str
    at: datetime
    status: str | None = None
    body: str = ""
    #: For citizen feedback: whether the citizen said solved (shown in the reader's language).
    solved: bool | None = None


@dataclass
class PublicCase:
    """What anyone holding the tracking code may see of a case, personal data masked."""

    code: str
    title: str
    description: str
    status: str
    category: str
    unit: object
    ward: object
    former_district: object
    created_at: datetime
    updated_at: datetime
    public_response: str = ""
    public_response_at: datetime | None = None
    promised_response_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    timeline: list[PublicEvent] = field(default_factory=list)
    can_give_feedback: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in {s.value for s in workflow.OPEN_STATUSES}


@dataclass(frozen=True)
class Lookup:
    """The answer to a tracking code: a case, or a report still being classified (case None)."""

    code: str
    case: PublicCase | None = None


def promised_response_at(case: Case) -> datetime | None:
    """The due time of the current cycle's `respond` SLA clock, if there is one."""
    for clock in case.sla_clocks:
        is_current = clock.metric == "respond" and clock.cycle == case.cycle
        if is_current and clock.state != ClockState.cancelled.value:
            return clock.due_at
    return None


def public_timeline(case: Case) -> list[PublicEvent]:
    """Public events (masked) and status changes (without their internal notes)."""
    events = []
    for event in case.events:
        if event.kind == EventKind.citizen_feedback.value:
            solved = bool((event.data or {}).get("solved"))
            events.append(PublicEvent(event.kind, event.created_at, solved=solved))
        elif event.is_public:
            events.append(PublicEvent(event.kind, event.created_at, None, mask(event.body)))
        elif event.kind in STATUS_EVENTS:
            events.append(PublicEvent(event.kind, event.created_at, event.to_value))
    return events


def feedback_given(case: Case) -> bool:
    """Whether a citizen already answered the response of the case's current cycle."""
    statement = select(CitizenFeedback.id).where(
        CitizenFeedback.case_id == case.id, CitizenFeedback.cycle == case.cycle
    )
    return db.session.scalar(statement.limit(1)) is not None


def to_public(case: Case, *, with_timeline: bool = True) -> PublicCase:
    """The masked public view of a case."""
    return PublicCase(
        code=case.code,
        title=mask(case.title),
        description=mask(case.description),
        status=case.status,
        category=case.category,
        unit=case.unit,
        ward=case.ward,
        former_district=case.former_district,
        created_at=case.created_at,
        updated_at=case.updated_at,
        public_response=mask(case.public_response),
        public_response_at=case.public_response_at,
        promised_response_at=promised_response_at(case),
        latitude=case.latitude,
        longitude=case.longitude,
        timeline=public_timeline(case) if with_timeline else [],
        can_give_feedback=case.status in FEEDBACK_STATUSES and not feedback_given(case),
    )


def find_case(code: str) -> Case | None | bool:
    """The case a tracking code leads to; True for a report not linked to a case yet; None if unknown.

    Case codes and report codes share one format; a merged duplicate leads to the case kept.
    """
    canonical = normalize_code(code)
    if canonical is None:
        return None
    case = db.session.scalar(select(Case).where(Case.code == canonical))
    if case is None:
        post = db.session.scalar(select(Post).where(Post.tracking_code == canonical))
        if post is None:
            return None
        if post.case_id is None:
            return True
        case = db.session.get(Case, post.case_id)
    seen = set()
    while case.duplicate_of_id is not None and case.id not in seen:
        seen.add(case.id)
        case = db.session.get(Case, case.duplicate_of_id)
    return case


def lookup(code: str) -> Lookup | None:
    """Look a tracking code up; None when nothing answers to it."""
    found = find_case(code)
    if found is None:
        return None
    canonical = normalize_code(code)
    if found is True:
        return Lookup(code=canonical)
    return Lookup(code=canonical, case=to_public(found))


def listed_cases():
    """select(Case) of the cases the public lists show: with a public response, not refused."""
    return select(Case).where(
        Case.public_response.is_not(None),
        Case.status != Status.rejected.value,
        Case.duplicate_of_id.is_(None),
    )


@dataclass(frozen=True)
class BrowseFilters:
    q: str = ""
    ward: str = ""
    district: str = ""
    category: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None


def browse_query(filters: BrowseFilters):
    """The browse page's query, newest response first."""
    from app.units.models import FormerDistrict, Unit

    statement = listed_cases()
    if filters.q:
        for word in fold(filters.q).split():
            statement = statement.where(Case.search_text.contains(word, autoescape=True))
    if filters.ward:
        statement = statement.join(Unit, Case.ward_id == Unit.id).where(Unit.code == filters.ward)
    if filters.district:
        statement = statement.join(
            FormerDistrict, Case.former_district_id == FormerDistrict.id
        ).where(FormerDistrict.code == filters.district)
    if filters.category:
        statement = statement.where(Case.category == filters.category)
    if filters.date_from:
        statement = statement.where(Case.created_at >= filters.date_from)
    if filters.date_to:
        statement = statement.where(Case.created_at < filters.date_to)
    return statement.order_by(Case.public_response_at.desc(), Case.id.desc())


def give_feedback(case: Case, *, is_solved: bool, score: int | None, now=None) -> CitizenFeedback:
    """Store the citizen's answer; "not solved" reopens a responded or closed case.

    The reopening is a status change by no user (the citizen), with a public
    `citizen_feedback` event so the timeline says why. One answer per cycle.
    """
    now = now or utcnow()
    if case.status not in FEEDBACK_STATUSES:
        raise FeedbackError(_("Feedback is possible once the city has responded."))
    if feedback_given(case):
        raise FeedbackError(_("Feedback on this response was already given."))
    if score is not None and not 1 <= score <= 5:
        raise FeedbackError(_("The satisfaction score goes from 1 to 5."))
    feedback = CitizenFeedback(
        case_id=case.id, cycle=case.cycle, is_solved=is_solved, score=score, created_at=now
    )
    body = (
        _("The citizen confirmed the problem is solved.")
        if is_solved
        else _("The citizen said the problem is not solved; the case is reopened.")
    )
    case_operations.record_event(
        case,
        EventKind.citizen_feedback,
        None,
        body=body,
        is_public=True,
        data={"solved": is_solved, "score": score, "cycle": case.cycle},
        at=now,
    )
    if not is_solved:
        case_operations.reopen_for_citizen(case, now)
        feedback.reopened_case = True
    db.session.add(feedback)
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise FeedbackError(_("The case changed meanwhile; please try again.")) from error
    return feedback


def satisfaction_by_unit(since: datetime) -> dict[int, tuple[int, float | None, int]]:
    """unit id -> (answers, average score, answers saying solved) since a time."""
    rows = db.session.execute(
        select(
            Case.unit_id,
            func.count(CitizenFeedback.id),
            func.avg(CitizenFeedback.score),
            func.sum(func.cast(CitizenFeedback.is_solved, db.Integer)),
        )
        .join(Case, CitizenFeedback.case_id == Case.id)
        .where(CitizenFeedback.created_at >= since)
        .group_by(Case.unit_id)
    ).all()
    return {
        unit_id: (count, round(float(avg), 1) if avg is not None else None, int(solved or 0))
        for unit_id, count, avg, solved in rows
    }
