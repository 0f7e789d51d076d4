"""What the posts and reports behind a case carry, for the case page and the review card.

Plain queries and dataclasses, no Flask: the photos citizens attached, the contact
details they gave with consent (for staff only), the original posts and comments
with their links and reach, and where the case is (ward and pin) for the map.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.cases.media import Photo, photos_of
from app.cases.models import Case
from app.collectors.models import Post
from app.collectors.sources.citizen import SOURCE as CITIZEN_SOURCE
from app.core.links import web_link
from app.extensions import db

#: Original posts shown per page of the case page.
POSTS_PER_PAGE = 10
#: Photos shown on the case page (the newest reports first); the rest are counted.
MAX_PHOTOS = 24


@dataclass(frozen=True)
class Contact:
    """How to reach a citizen who asked to be contacted: staff only, never public."""

    post_id: int
    tracking_code: str | None
    name: str | None
    phone: str | None
    email: str | None
    #: When the citizen ticked consent: the moment the report was filed with it.
    consented_at: datetime


def contact_of(post: Post) -> Contact | None:
    """The consented contact details of a report, if it has any."""
    given = post.contact or {}
    if not any(given.get(key) for key in ("name", "phone", "email")):
        return None
    return Contact(
        post_id=post.id,
        tracking_code=post.tracking_code,
        name=given.get("name"),
        phone=given.get("phone"),
        email=given.get("email"),
        consented_at=post.posted_at or post.collected_at,
    )


@dataclass(frozen=True)
class Reach:
    likes: int | None
    shares: int | None
    comments: int | None
    views: int | None

    @property
    def known(self) -> bool:
        return any(v is not None for v in (self.likes, self.shares, self.comments, self.views))


@dataclass(frozen=True)
class OriginalPost:
    """A post, comment, article or report that is a mention of the case."""

    id: int
    source: str
    channel: str
    text: str
    posted_at: datetime
    #: The address to open, only when it is http(s).
    link: str | None
    #: The address as text, when it is something else (never a link).
    unsafe_url: str | None
    reach: Reach
    author_name: str | None
    is_comment: bool
    tracking_code: str | None
    #: Media addresses the source gave that are web links (not the citizens' stored photos).
    media_links: tuple[str, ...]


def original_post(post: Post) -> OriginalPost:
    """A post as the case page and the review card show it: source, channel, link, reach."""
    link = web_link(post.url)
    return OriginalPost(
        id=post.id,
        source=post.source,
        channel=post.channel,
        text=post.text,
        posted_at=post.posted_at,
        link=link,
        unsafe_url=None if link or not post.url else post.url,
        reach=Reach(post.likes, post.shares, post.comments, post.views),
        author_name=post.author_name,
        is_comment=post.parent_id is not None or bool(post.parent_external_id),
        tracking_code=post.tracking_code,
        media_links=tuple(url for url in map(web_link, post.media_urls or []) if url),
    )


@dataclass(frozen=True)
class PostsPage:
    items: list[OriginalPost]
    total: int
    page: int
    pages: int


def posts_page(case: Case, page: int = 1, per_page: int = POSTS_PER_PAGE) -> PostsPage:
    """The case's posts, newest first, one page of them with the total."""
    where = Post.case_id == case.id
    total = db.session.scalar(select(func.count(Post.id)).where(where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        select(Post)
        .where(where)
        .order_by(Post.posted_at.desc(), Post.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return PostsPage([original_post(post) for post in rows], total, page, pages)


@dataclass(frozen=True)
class Carries:
    """Everything the case page shows of what the reports carried."""

    photos: list[Photo]
    photo_total: int
    contacts: list[Contact]
    posts: PostsPage
    #: (latitude, longitude) for the pin: the case's, else the first report's that has them.
    pin: tuple[float, float] | None


def _citizen_reports(case: Case) -> list[Post]:
    return db.session.scalars(
        select(Post)
        .where(Post.case_id == case.id, Post.source == CITIZEN_SOURCE)
        .order_by(Post.posted_at.desc(), Post.id.desc())
    ).all()


def pin_of(case: Case, reports: list[Post]) -> tuple[float, float] | None:
    """Where to put the pin: the case's coordinates, else a report's."""
    if case.latitude is not None and case.longitude is not None:
        return case.latitude, case.longitude
    for post in reports:
        hints = post.place_hints or {}
        if isinstance(hints.get("lat"), int | float) and isinstance(hints.get("lon"), int | float):
            return float(hints["lat"]), float(hints["lon"])
    return None


def for_case(case: Case, posts_page_number: int = 1) -> Carries:
    """What the case page shows beside the case itself."""
    reports = _citizen_reports(case)
    photos = photos_of(reports)
    contacts = [contact for contact in map(contact_of, reports) if contact is not None]
    return Carries(
        photos=photos[:MAX_PHOTOS],
        photo_total=len(photos),
        contacts=contacts,
        posts=posts_page(case, posts_page_number),
        pin=pin_of(case, reports),
    )


def public_photos(case: Case) -> list[Photo]:
    """The photos the public page may show (the caller checks the case is public)."""
    return photos_of(_citizen_reports(case))[:MAX_PHOTOS]
