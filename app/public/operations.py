"""The public view of cases: lookup by tracking code, the browse list, and citizen feedback.

Everything leaving this module for a public page or the Open311 API has been
through privacy.mask_personal_data; contact details and authors never do.

Only the reporter answers a response: filing hands back a secret feedback link
(`issue_feedback_token`), and `reporter_lookup` accepts nothing else.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.exc import StaleDataError

from app.cases import operations as case_operations
from app.cases import workflow
from app.cases.models import Case, EventKind
from app.cases.sla.models import ClockState
from app.cases.workflow import Status
from app.collectors.models import Post
from app.core.codes import normalize_code
from app.core.text import fold
from app.core.validation import is_email_address
from app.extensions import db
from app.models import utcnow
from app.notifications import reporter
from app.notifications.operations import Rendered, add_notifications, register_renderer
from app.public.labels import PLAIN_STATUS
from app.public.models import CitizenFeedback, FeedbackToken
from app.public.privacy import MaskLabels, mask_personal_data

#: Statuses after which the citizen may say whether the problem is solved.
FEEDBACK_STATUSES = frozenset({Status.responded.value, Status.closed.value})
#: Events shown on the public timeline even though they are not marked public; their notes never are.
STATUS_EVENTS = frozenset({EventKind.created.value, EventKind.status_changed.value})
#: Random bytes in a feedback token (256 bits: not guessable, and unrelated to the tracking code).
TOKEN_BYTES = 32
#: Longer "tokens" are not looked up at all.
MAX_TOKEN_LENGTH = 100
#: The notification the assignee and the supervisors get when a reporter reopens a case.
REOPENED_KIND = "citizen_reopened"


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
    #: The case waits for the reporter's answer (only the reporter's link shows the form).
    can_give_feedback: bool = False
    #: The citizens' photos (app.cases.media.Photo), only once the case is public.
    photos: list = field(default_factory=list)
    #: Photos the case has that are not shown yet, because the case is not public.
    photos_withheld: int = 0

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
        **(_public_photos(case) if with_timeline else {}),
    )


def _public_photos(case: Case) -> dict:
    """The photos a public page shows (none until the case is public) and how many wait."""
    from app.cases.carries import public_photos
    from app.cases.media import is_public_case

    photos = public_photos(case)
    if is_public_case(case):
        return {"photos": photos}
    return {"photos": [], "photos_withheld": len(photos)}


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


def token_digest(token: str) -> str:
    """How a feedback token is stored: its SHA-256 in hex (the token has 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _insert():
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


def issue_feedback_token(post: Post, now: datetime | None = None) -> str:
    """A new secret token for the report's feedback link, returned once and stored hashed.

    Filing the same form again (a double submit) replaces the earlier token, so
    only the link last shown to the reporter works.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    values = {"post_id": post.id, "token_hash": token_digest(token), "created_at": now or utcnow()}
    statement = _insert()(FeedbackToken).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[FeedbackToken.post_id],
        set_={"token_hash": values["token_hash"], "created_at": values["created_at"]},
    )
    db.session.execute(statement)
    db.session.commit()
    return token


def post_for_token(token: str | None) -> Post | None:
    """The report whose feedback link carries this token; None for any other string."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    post_id = db.session.scalar(
        select(FeedbackToken.post_id).where(FeedbackToken.token_hash == token_digest(token))
    )
    return db.session.get(Post, post_id) if post_id is not None else None


@dataclass(frozen=True)
class ReporterLookup:
    """What the reporter's link opens: the public view, and the case it may answer (or None)."""

    lookup: Lookup
    case: Case | None


def reporter_lookup(code: str, token: str | None) -> ReporterLookup | None:
    """The case behind `code`, if `token` is the feedback token of a report that leads to it.

    The code may be the report's own tracking code or the code of the case the
    report joined. None when the token is unknown or belongs to another report.
    """
    post = post_for_token(token)
    canonical = normalize_code(code)
    if post is None or canonical is None:
        return None
    found = find_case(post.tracking_code)
    joined = found.code if isinstance(found, Case) else None
    if canonical not in (post.tracking_code, joined):
        return None
    if joined is None:
        return ReporterLookup(Lookup(code=canonical), None)
    return ReporterLookup(Lookup(code=canonical, case=to_public(found)), found)


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
    """Store the reporter's answer; "not solved" reopens a responded or closed case.

    The caller has checked the reporter's link (`reporter_lookup`). The reopening
    is a status change by no user (the citizen), with a public `citizen_feedback`
    event so the timeline says why, and notifications to the assignee and the
    unit's supervisors, all in one transaction. One answer per cycle.
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
        answered_cycle = case.cycle
        case_operations.reopen_for_citizen(case, now)
        feedback.reopened_case = True
        notify_reopened(case, answered_cycle, now)
    db.session.add(feedback)
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise FeedbackError(_("The case changed meanwhile; please try again.")) from error
    return feedback


def reopen_recipients(case: Case) -> set[int]:
    """The users told of a reopening: the assignee and the supervisors of the case's unit
    (climbing to the parent unit when it has none)."""
    from app.cases.sla.escalation import _Recipients

    users = set(_Recipients().supervisors_of(case.unit_id)) if case.unit_id else set()
    if case.assignee_id is not None:
        users.add(case.assignee_id)
    return users


def notify_reopened(case: Case, answered_cycle: int, now: datetime) -> int:
    """In-app notifications (emailed by the dispatcher) that the reporter reopened the case;
    in the caller's transaction. Returns how many."""
    key = f"reopened:{case.id}:{answered_cycle}"
    rows = [
        {
            "user_id": user_id,
            "kind": REOPENED_KIND,
            "case_id": case.id,
            "data": {"cycle": answered_cycle},
            "dedupe_key": key,
            "deliver_at": now,
            "created_at": now,
        }
        for user_id in sorted(reopen_recipients(case))
    ]
    return add_notifications(rows)


def _render_reopened(notification) -> Rendered:
    case = notification.case
    if case is None:
        return Rendered(title=_("A citizen reopened a case"), text="")
    return Rendered(
        title=_("Reopened by the citizen: %(code)s", code=case.code),
        text=_(
            "The person who reported “%(title)s” says the problem is not solved; "
            "the case is in progress again.",
            title=case.title,
        ),
        path=f"/cases/{case.id}",
    )


register_renderer(REOPENED_KIND, _render_reopened)


def reporter_emails_link(token: str, *, stop: bool) -> str | None:
    """The code of the case a reporter's stop link is about (None for a link this site did
    not sign, or a case that is gone); with `stop`, no more emails about it to that address."""
    found = reporter.read_stop_token(token)
    case = db.session.get(Case, found[0]) if found else None
    if case is None:
        return None
    if stop:
        reporter.stop_emails(case.id, found[1])
    return case.code


def compose_reporter_email(message) -> tuple[str, str]:
    """What an email to a reporter (notifications.reporter) says, in the active language:
    the status in plain words, the public response (masked) if any, the tracking link."""
    case, data = message.case, message.data or {}
    base = current_app.config.get("APP_BASE_URL", "").rstrip("/")
    link = f"{base}/public/cases/{case.code}"
    status = PLAIN_STATUS.get(data.get("status"), "")
    if message.kind == reporter.RESPONSE:
        subject = _("[Social Beat] The city answered your report %(code)s", code=case.code)
        lines = [_("The city published its answer to your report %(code)s:", code=case.code)]
        lines += ["", mask(data.get("text") or ""), ""]
    else:
        subject = _("[Social Beat] News on your report %(code)s", code=case.code)
        lines = [_("Your report %(code)s has a new status:", code=case.code), "", str(status), ""]
    lines += [
        _("Follow it here:"),
        link,
        "",
        _("You receive this because you gave your email address with your report."),
        _("To receive no more emails about this report, open:"),
        f"{base}/public/emails/stop/{reporter.stop_token(case.id, message.to_address)}",
    ]
    return subject, "\n".join(lines)


reporter.register_composer(compose_reporter_email)


def email_feedback_link(to: str | None, code: str, link: str) -> bool:
    """Queue an email with the tracking code and the feedback link to the reporter's address,
    in the request's language; False when there is no usable address or no mail server."""
    from app.jobs import QueueUnavailable, enqueue
    from app.notifications.tasks import send_plain_email

    to = (to or "").strip()
    if not is_email_address(to) or not current_app.config.get("MAIL_SERVER"):
        return False
    subject = _("[Social Beat] Your report %(code)s", code=code)
    body = "\n".join(
        [
            _("Thank you, your report was received. Your tracking code: %(code)s", code=code),
            "",
            _("When the city has answered, tell us whether the problem is solved with this link:"),
            link,
            "",
            _("Keep this link to yourself: whoever has it can answer for you."),
        ]
    )
    try:
        enqueue(send_plain_email, to, subject, body)
    except QueueUnavailable as error:
        current_app.logger.warning("feedback link email not queued: %s", error)
        return False
    return True


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
