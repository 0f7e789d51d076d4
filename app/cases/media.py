"""Which citizen photos a reader may open, and their thumbnails: for the public portal (which
serves them), the case page and the triage review card.

A photo is stored once, under a random name, by the report that carried it
(`app.public.photos.store_photo`); the report's `media_urls` holds its address
(/public/media/<name>). Whoever may see the report's case sees the photo:

- staff who may see the case (its unit's officers, supervisors above, analysts, admins);
  a report not yet linked to a case only analysts and admins (the triage reviewers);
- everyone else only when the case is public: the city has published its response
  and the case is neither refused nor merged away (the cases /public/browse lists).
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy import String, cast, select

from app.cases.models import Case
from app.cases.workflow import Status
from app.collectors.models import Post
from app.collectors.sources.citizen import SOURCE as CITIZEN_SOURCE
from app.extensions import db

#: What store_photo names a photo: 32 hex digits and .jpg.
NAME = re.compile(r"[0-9a-f]{32}\.jpg")
#: A stored photo's address on this site (relative, possibly under a script root).
LOCAL_URL = re.compile(r"^/(?:[^/?#]+/)*public/media/(?P<name>[0-9a-f]{32}\.jpg)$")
#: The longest side of a thumbnail, in pixels.
THUMB_SIDE = 320


@dataclass(frozen=True)
class Photo:
    """A citizen photo on a page: its name (for the routes) and the report that carried it."""

    name: str
    post_id: int


def photo_name(url: str | None) -> str | None:
    """The stored photo a report's media address points to; None for any other address."""
    found = LOCAL_URL.match((url or "").strip())
    return found.group("name") if found else None


def photos_of(posts) -> list[Photo]:
    """The photos citizens attached to these posts, in order, each once."""
    seen, photos = set(), []
    for post in posts:
        for url in post.media_urls or []:
            name = photo_name(url)
            if name and name not in seen:
                seen.add(name)
                photos.append(Photo(name, post.id))
    return photos


def is_public_case(case: Case) -> bool:
    """Whether anyone may see the case's photos: the same cases the public lists show."""
    return (
        case.public_response is not None
        and case.status != Status.rejected.value
        and case.duplicate_of_id is None
    )


def owner_post(name: str) -> Post | None:
    """The citizen report that carried the photo (the first, should a later one repeat its address).

    Only the public form stores photos, and it files citizen reports; the random name is
    looked for in their media addresses (a scan of the citizen reports, not of all posts).
    """
    if not NAME.fullmatch(name):
        return None
    candidates = db.session.scalars(
        select(Post)
        .where(
            Post.source == CITIZEN_SOURCE,
            cast(Post.media_urls, String).contains(name, autoescape=True),
        )
        .order_by(Post.id)
    )
    return next(
        (post for post in candidates if name in {photo_name(u) for u in post.media_urls}), None
    )


def may_see_photo(user, name: str) -> bool:
    """Whether `user` (a signed-in user, or None for the public) may open the photo."""
    from app.cases import permissions

    post = owner_post(name)
    if post is None:
        return False
    case = db.session.get(Case, post.case_id) if post.case_id is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        if case is None:
            return permissions.visible_unit_ids(user) is None
        if permissions.can_see(user, case):
            return True
    return case is not None and is_public_case(case)


def thumbnail_path(name: str, upload_dir: str | Path) -> Path | None:
    """A small JPEG of the stored photo (made once, then kept beside it); None if there is no photo."""
    source = Path(upload_dir) / name
    if not NAME.fullmatch(name) or not source.is_file():
        return None
    target = Path(upload_dir) / "thumbs" / name
    if not target.is_file():
        with Image.open(source) as image:
            image.thumbnail((THUMB_SIDE, THUMB_SIDE))
            output = io.BytesIO()
            image.convert("RGB").save(output, format="JPEG", quality=80)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(output.getvalue())
        partial.replace(target)
    return target
