"""Filing a citizen report from the portal form or Open311: checks, photo, then the intake pipeline."""

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.cases.models import CATEGORIES, Case
from app.collectors.base import InvalidItem
from app.collectors.intake import SubmissionConflict, submit_citizen_report
from app.collectors.models import Post
from app.extensions import db
from app.units.models import LOCAL_KINDS, Unit

MAX_DESCRIPTION = 4000
#: A description needs a few words: at least this many characters, runs of spaces counted once.
MIN_DESCRIPTION = 15
#: The form field that people never see and bots fill in.
HONEYPOT_FIELD = "website"


class ReportError(ValueError):
    """A report that cannot be filed; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


class ReportConflict(ReportError):
    """The form's `submission_id` was already used to file a different report (HTTP 409)."""


@dataclass(frozen=True)
class Filed:
    post: Post
    #: The gazetteer's reading of the place, to show the citizen what was understood.
    place: dict | None
    #: The secret of the reporter's feedback link: shown once, stored only hashed.
    feedback_token: str = ""
    #: The case the report opened or joined (None when it waits for triage).
    case: Case | None = None

    @property
    def code(self) -> str:
        """The code the citizen follows: their case's (the open case a repeat joined), else the report's."""
        return self.case.code if self.case is not None else self.post.tracking_code

    @property
    def joined(self) -> bool:
        """Whether the report joined a case that others reported first."""
        return self.case is not None and self.case.code != self.post.tracking_code


def is_spam_trap(form: Mapping) -> bool:
    """Whether the hidden honeypot field was filled in (only bots do)."""
    return bool(str(form.get(HONEYPOT_FIELD) or "").strip())


def ward_by_code(code: str | None) -> Unit | None:
    """A ward, commune or special zone by its official code."""
    if not code:
        return None
    return db.session.scalar(
        select(Unit).where(Unit.code == code, Unit.kind.in_([k.value for k in LOCAL_KINDS]))
    )


def place_text(typed: str | None, ward_code: str | None) -> str:
    """The place as the pipeline reads it: the chosen ward's name, then what was typed."""
    ward = ward_by_code(ward_code)
    parts = [ward.name_vi] if ward else []
    if (typed or "").strip():
        parts.append(typed.strip())
    return ", ".join(parts)


def check_description(text: str, min_length: int = MIN_DESCRIPTION) -> str:
    """The description, stripped; ReportError when it is empty, too short or too long."""
    text = text.strip()
    if not text:
        raise ReportError(_("Please describe the problem."), "text")
    if len(" ".join(text.split())) < min_length:
        raise ReportError(
            _(
                "Please describe the problem in a few words (at least %(min)d characters).",
                min=min_length,
            ),
            "text",
        )
    if len(text) > MAX_DESCRIPTION:
        raise ReportError(
            _("The description is longer than %(max)d characters.", max=MAX_DESCRIPTION), "text"
        )
    return text


def file_report(
    fields: Mapping, media_urls: list[str] | None = None, *, min_length: int = MIN_DESCRIPTION
) -> Filed:
    """Validate and submit a report; returns the stored post with its tracking code
    and the secret token of its feedback link.

    `ReportError` when it cannot be filed; `ReportConflict` when its
    submission_id was already used for a different report.

    `fields`: text, category (or Open311's service_code), place, ward (code), lat,
    lon, submission_id, contact_name, contact_phone, contact_email, contact_consent.
    `min_length`: the shortest description taken (Open311, where a description is
    optional, passes 1).

    With a category the report is a case at once (app.triage.direct): opened, or
    joined to the open case it repeats, in the transaction that stores it. Without
    one (an older client), triage classifies it first, as any post.
    """
    from app.public.operations import find_case, issue_feedback_token
    from app.triage.pipeline import place_of

    text = check_description(str(fields.get("text") or ""), min_length)
    category = str(fields.get("category") or fields.get("service_code") or "").strip()
    if category and category not in CATEGORIES:
        raise ReportError(_("Please choose what the problem is about."), "category")
    ward = ward_by_code(fields.get("ward")) if fields.get("ward") else None
    if fields.get("ward") and ward is None:
        raise ReportError(_("Unknown ward."), "ward")
    place = place_text(fields.get("place"), fields.get("ward"))
    report = {
        "text": text,
        "place": place,
        "lat": fields.get("lat"),
        "lon": fields.get("lon"),
        "media_urls": list(media_urls or []),
        "submission_id": fields.get("submission_id"),
        "contact_consent": fields.get("contact_consent"),
        "contact_name": fields.get("contact_name"),
        "contact_phone": fields.get("contact_phone"),
        "contact_email": fields.get("contact_email"),
    }
    for extra in ("service_code", "jurisdiction_id"):
        if fields.get(extra):
            report[extra] = fields[extra]
    opened = OpenCase(category, ward, str(fields.get("place") or "").strip()) if category else None
    try:
        post = submit_citizen_report(report, on_stored=opened)
    except SubmissionConflict as error:
        raise ReportConflict(
            _(
                "This form was already sent with a different report, so this text was not "
                "filed. To file it as a new report, send it again with the fresh form below."
            )
        ) from error
    except InvalidItem as error:
        raise ReportError(
            _("The report could not be filed: %(reason)s", reason=str(error))
        ) from error
    token = issue_feedback_token(post)
    return Filed(
        post=post,
        place=place_of(place) if place else None,
        feedback_token=token,
        case=find_case(post.tracking_code) if post.case_id is not None else None,
    )


@dataclass(frozen=True)
class OpenCase:
    """Opens the case of a newly stored report, in the transaction that stores it.

    Should opening fail, the report is stored all the same, without its case: the
    triage job then classifies it and opens or joins a case, as for any post.
    """

    category: str
    ward: Unit | None
    typed_place: str

    def __call__(self, post: Post) -> None:
        from app.triage.direct import open_or_join

        try:
            with db.session.begin_nested():
                open_or_join(post, self.category, ward=self.ward, place_text=self.typed_place)
        except Exception:  # the report must not be lost: triage will make its case
            current_app.logger.exception("report %s: case not opened at once", post.tracking_code)
