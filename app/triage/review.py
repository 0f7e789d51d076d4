"""The human review queue: posts triage was unsure of wait here for an analyst.

A decision is kept as a labelled example (TriageLabel) for the next training
run, and a relevant post then goes on to its case like any confident one.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.collectors.models import Post
from app.core.vocabulary import CATEGORIES
from app.extensions import db
from app.models import utcnow
from app.triage.intake import link_to_case
from app.triage.models import TriageLabel
from app.triage.pipeline import analyse
from app.triage.routing import route
from app.units.models import LOCAL_KINDS, FormerDistrict, Unit
from app.users.models import User


class ReviewError(ValueError):
    """A decision that cannot be saved: `str()` in English, `user_message` in the reader's language."""

    def __init__(self, message: str, user_message=None):
        super().__init__(message)
        self.user_message = message if user_message is None else user_message


#: Place levels at which triage names one ward itself (a landmark whose ward is known too).
WARD_LEVELS = ("ward", "landmark")


@dataclass(frozen=True)
class WardChoice:
    """What the review card's ward picker offers for one post.

    `selected` is a ward triage found itself, never a guess: with only a former district
    (or a street) recognised, its wards come first in `nearby` and none is chosen.
    """

    selected: str | None = None
    #: The former district(s) named, as written in the units data ("Quận Bình Thạnh").
    districts: tuple[str, ...] = ()
    #: The wards of that district (or street, or province), offered before the others.
    nearby: list[Unit] = field(default_factory=list)
    others: list[Unit] = field(default_factory=list)


def found_ward(place: dict | None) -> str | None:
    """The code of the ward triage found itself, or None (a district, a street, nothing)."""
    if not place or place.get("level") not in WARD_LEVELS:
        return None
    wards = place.get("wards") or []
    return wards[0].get("code") if len(wards) == 1 else None


def ward_choices(posts: Iterable[Post], wards: list[Unit]) -> dict[int, WardChoice]:
    """The ward picker of each post's card: `wards` are every local unit, in display order."""
    posts = list(posts)
    district_codes = {
        district["code"]
        for post in posts
        if not found_ward(post.place) and (district := (post.place or {}).get("former_district"))
    }
    districts = {
        d.code: d
        for d in db.session.scalars(
            select(FormerDistrict)
            .where(FormerDistrict.code.in_(district_codes))
            .options(selectinload(FormerDistrict.wards))
        )
    }
    choices = {}
    for post in posts:
        place = post.place or {}
        selected = found_ward(place)
        if selected is not None or not place:
            choices[post.id] = WardChoice(selected=selected, others=wards)
            continue
        district = districts.get((place.get("former_district") or {}).get("code"))
        if district is not None:
            codes = {ward.code for ward in district.wards}
            names: tuple[str, ...] = (district.name,)
        else:  # a street or a landmark in several districts, a former province
            codes = {ward.get("code") for ward in place.get("wards") or []}
            names = ()
        choices[post.id] = WardChoice(
            districts=names,
            nearby=[w for w in wards if w.code in codes],
            others=[w for w in wards if w.code not in codes],
        )
    return choices


def review_queue():
    """A select() of the posts waiting for a person, oldest first."""
    return select(Post).where(Post.needs_review.is_(True)).order_by(Post.collected_at, Post.id)


def decide(
    post: Post, reviewer: User, *, relevant: bool, category: str | None, ward_code: str | None
) -> TriageLabel:
    """Record an analyst's decision on a post and act on it; commits."""
    if not post.needs_review:
        raise ReviewError(
            "this post is not waiting for review", _l("This post is no longer waiting for review.")
        )
    if relevant and category not in CATEGORIES:
        raise ReviewError(
            "choose the category of a relevant post",
            _l("Choose the category of a post about the city."),
        )
    ward = None
    if ward_code:
        ward = db.session.scalar(
            select(Unit).where(
                Unit.code == ward_code, Unit.kind.in_([k.value for k in LOCAL_KINDS])
            )
        )
        if ward is None:
            raise ReviewError(
                f"no ward with code {ward_code}",
                _l("No ward has the code %(code)s.", code=ward_code),
            )
    elif relevant and route(category, None, _district_id(post.place)).unit is None:
        # The rules decide whether a case may go without a ward; today the triage desk
        # takes what no rule does, so this only stops a reviewer when an admin removed it.
        raise ReviewError(
            "no routing rule takes this case without a ward: choose its ward",
            _l("No routing rule takes a case of this category without a ward: choose its ward."),
        )
    label = TriageLabel(
        post_id=post.id,
        text=post.text,
        relevant=relevant,
        category=category if relevant else None,
        ward_code=ward.code if ward else None,
        model_category=post.category,
        model_confidence=post.confidence,
        labelled_by_id=reviewer.id,
    )
    db.session.add(label)
    post.needs_review = False
    post.is_relevant = relevant
    post.category = category if relevant else None
    post.reasons = [*(post.reasons or []), f"reviewed by {reviewer.email}"]
    if ward:
        post.place = {
            "wards": [{"code": ward.code, "name": ward.name_vi}],
            "former_district": None,
            "confidence": 1.0,
            "level": "ward",
            "reason": f"chosen by {reviewer.email}",
        }
    elif found_ward(post.place):
        # The reviewer left the ward triage found unchosen: keep only its former district.
        post.place = _district_only(post.place, reviewer)
    if relevant:
        analysis = analyse([post.text])[0]
        analysis.category = category
        analysis.place = post.place
        link_to_case(post, analysis, utcnow(), category=category)
    db.session.commit()
    return label


def _district_id(place: dict | None) -> int | None:
    code = ((place or {}).get("former_district") or {}).get("code")
    if not code:
        return None
    return db.session.scalar(select(FormerDistrict.id).where(FormerDistrict.code == code))


def _district_only(place: dict, reviewer: User) -> dict | None:
    named = place.get("former_district")
    district = named and db.session.scalar(
        select(FormerDistrict).where(FormerDistrict.code == named.get("code"))
    )
    if not district:
        return None
    return {
        "wards": [{"code": w.code, "name": w.name_vi} for w in district.wards],
        "former_district": {"name": district.name, "code": district.code},
        "confidence": place.get("confidence", 1.0),
        "level": "district",
        "reason": f"ward left unchosen by {reviewer.email}",
    }


def export_labels() -> Iterator[str]:
    """The analysts' labels as JSON lines in the training data's format."""
    for label in db.session.scalars(select(TriageLabel).order_by(TriageLabel.id)):
        yield json.dumps(
            {
                "id": f"review-{label.id}",
                "text": label.text,
                "relevant": label.relevant,
                "category": label.category,
                "sentiment": None,
                "priority": None,
                "style": "review",
            },
            ensure_ascii=False,
        )
