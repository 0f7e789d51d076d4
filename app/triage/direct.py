"""Direct reports (the portal's form, Open311): a case at once, with the citizen's category and place.

A report made to the city through its own channels is a case from the start. In the
transaction that stores the report, `open_or_join` opens its case: the category the
citizen chose, the ward they chose (else the place the gazetteer reads with confidence
in what they typed), the unit picked by the routing rules, the SLA clocks started, all
on the case's timeline. Before opening, the report is checked against the open cases of
its category with the lexical clustering triage uses (no model: cheap enough for the
request): a report that repeats an open case joins it as one more mention, and the
citizen follows that case. A report that only repeats a finished case opens a new one.

The triage job still reads the report afterwards; because the report has a case already,
its reading goes onto that case as suggestions (`intake.Batch.suggest`): a priority or
category it disagrees with, with its confidence, and likely duplicates among the other
open cases. A case opened this way has `source` "citizen", no creator, and its first
post is the report (a direct-channel post), which is how statistics tell it from a case
opened from collected posts; its triage event also carries `origin` "citizen_report".
"""

from datetime import datetime

from app.cases.models import Case
from app.collectors.models import Post
from app.core.vocabulary import CATEGORIES
from app.extensions import db
from app.models import utcnow
from app.triage.intake import Batch
from app.triage.pipeline import Analysis, place_of
from app.triage.signals import assess
from app.units.models import Unit

#: Marks a case opened from a citizen's report (the `origin` of its triage event).
ORIGIN = "citizen_report"
#: What stands for a model version in the reading of a direct report (nothing was guessed).
READING_VERSION = "citizen-report"


def ward_place(ward: Unit) -> dict:
    """A ward the citizen chose, in the shape of the gazetteer's answer, with full confidence."""
    districts = list(ward.former_districts)
    district = districts[0] if len(districts) == 1 else None
    return {
        "wards": [{"code": ward.code, "name": ward.name_vi}],
        "former_district": {"name": district.name, "code": district.code} if district else None,
        "confidence": 1.0,
        "level": "ward",
        "reason": f"ward chosen by the citizen: {ward.name_vi}",
    }


def reading(text: str, category: str, ward: Unit | None = None, place_text: str = "") -> Analysis:
    """The report as the citizen filed it, in the shape triage's decisions take.

    The category and the ward are the citizen's; the priority and flags come from the
    same word rules triage applies (`signals.assess`), which need no model.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    signals = assess(text, category)
    if ward is not None:
        place = ward_place(ward)
    else:
        place = place_of(f"{text}\n{place_text}" if place_text else text)
    reasons = [f"filed by a citizen as {category}", *signals.reasons]
    if place:
        reasons.append(place["reason"])
    return Analysis(
        relevant=True,
        relevance_confidence=1.0,
        category=category,
        confidence=1.0,
        priority=signals.priority,
        sentiment=None,
        place=place,
        flags=signals.flags,
        reasons=reasons,
        model_version=READING_VERSION,
        needs_review=False,
    )


def open_or_join(
    post: Post,
    category: str,
    *,
    ward: Unit | None = None,
    place_text: str = "",
    now: datetime | None = None,
) -> Case:
    """Open the case of a stored report, or join the open case it repeats; returns the case.

    In the caller's transaction (the one storing the report), under the category's
    clustering lock, so two reports of one new problem make one case.
    """
    now = now or utcnow()
    analysis = reading(post.text, category, ward, place_text)
    batch = Batch(now)
    batch.origin = ORIGIN
    batch.link(post, analysis, join_finished=False)
    batch.finish()
    return db.session.get(Case, post.case_id)
