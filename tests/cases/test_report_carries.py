"""What a report carries (issue 17, item 1): photos, consented contact, original posts, the map."""

import io
import re
from datetime import UTC, datetime

import pytest
from PIL import Image

from app.collectors.models import Post
from app.extensions import db
from app.public.photos import store_photo

PHONE = "0912345678"
NAME = "Lê Thị Hoa"
EMAIL = "hoa@example.vn"
FILED_AT = datetime(2026, 12, 1, 3, 5, tzinfo=UTC)  # 10:05 in Ho Chi Minh City
BEN_THANH = "26743"


def _jpeg() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 40, 40)).save(output, format="JPEG")
    return output.getvalue()


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


@pytest.fixture
def reported_case(create_case, uploads):
    """A case in Bến Thành with a citizen report: a photo, contact with consent, coordinates."""

    def make(status="in_progress", unit_code="SO-XD", with_pin=True):
        case = create_case(status, unit_code=unit_code, ward=BEN_THANH)
        name = store_photo(_jpeg(), uploads)
        hints = {"lat": 10.7725, "lon": 106.6980} if with_pin else {}
        post = Post(
            source="citizen",
            external_id=f"report-{case.id}",
            channel="direct",
            text="Ổ gà lớn trước chợ, 2 người ngã xe",
            posted_at=FILED_AT,
            media_urls=[f"/public/media/{name}"],
            contact={"name": NAME, "phone": PHONE, "email": EMAIL},
            place_hints=hints,
            tracking_code=f"HCM-TEST-{case.id:05d}",
            case_id=case.id,
        )
        db.session.add(post)
        db.session.commit()
        return case, name

    return make


def _client_for(app, login, user):
    client = app.test_client()
    login(user, client)
    return client


def test_the_officer_sees_the_photo_and_the_consented_contact(
    app, login, create_user, reported_case
):
    case, name = reported_case()
    officer = create_user("officer", unit_code="SO-XD")
    page = _client_for(app, login, officer).get(f"/cases/{case.id}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'src="/public/media/thumbs/{name}"' in html
    assert f'href="/public/media/{name}"' in html
    for detail in (NAME, PHONE, EMAIL):
        assert detail in html
    consent = re.search(r'data-testid="consent">([^<]*)<', html).group(1)
    assert "Agreed to be contacted" in consent and "10:05" in consent


def test_the_officer_may_open_the_photo_and_its_thumbnail(app, login, create_user, reported_case):
    case, name = reported_case()
    client = _client_for(app, login, create_user("officer", unit_code="SO-XD"))
    full = client.get(f"/public/media/{name}")
    thumb = client.get(f"/public/media/thumbs/{name}")
    assert full.status_code == thumb.status_code == 200
    assert full.mimetype == thumb.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) <= 320
    with Image.open(io.BytesIO(full.data)) as image:
        assert image.size == (800, 600)


def test_an_officer_of_another_unit_and_the_public_are_refused_the_photo(
    app, login, create_user, reported_case
):
    case, name = reported_case("in_progress")
    other = _client_for(app, login, create_user("officer", unit_code="SO-YT"))
    public = app.test_client()
    for client in (other, public):
        for path in (f"/public/media/{name}", f"/public/media/thumbs/{name}"):
            assert client.get(path).status_code == 404, path
    assert other.get(f"/cases/{case.id}").status_code == 404


def test_once_the_city_has_responded_everyone_may_see_the_photo(app, reported_case):
    case, name = reported_case("responded")
    assert app.test_client().get(f"/public/media/{name}").status_code == 200


def test_a_refused_case_never_shows_its_photo_to_the_public(app, reported_case):
    case, name = reported_case("rejected")
    assert app.test_client().get(f"/public/media/{name}").status_code == 404


def test_an_unknown_or_odd_photo_name_is_not_found(app, login, create_user, uploads):
    admin = _client_for(app, login, create_user("admin", unit_code="UBND-TP"))
    for name in ("0" * 32 + ".jpg", "..%2Fsecret.jpg", "x.png"):
        assert admin.get(f"/public/media/{name}").status_code == 404


def test_the_public_page_shows_photo_and_map_but_never_the_contact(app, reported_case):
    case, name = reported_case("responded")
    client = app.test_client()
    for lang in ("vi", "en"):
        html = client.get(f"/public/cases/{case.code}?lang={lang}").get_data(as_text=True)
        assert f'href="/public/media/{name}"' in html
        assert 'data-testid="place-map"' in html and "Phường Bến Thành" in html
        for secret in (NAME, PHONE, EMAIL, "tel:", "mailto:"):
            assert secret not in html


def test_the_public_page_holds_the_photo_back_until_the_response(app, reported_case):
    case, name = reported_case("in_progress")
    html = app.test_client().get(f"/public/cases/{case.code}?lang=en").get_data(as_text=True)
    assert name not in html
    assert "1 photo was sent with the report" in html
    assert NAME not in html and PHONE not in html


def test_the_case_page_draws_the_ward_among_its_neighbours_with_the_pin(
    app, login, create_user, reported_case
):
    case, _name = reported_case()
    html = (
        _client_for(app, login, create_user("officer", unit_code="SO-XD"))
        .get(f"/cases/{case.id}?lang=en")
        .get_data(as_text=True)
    )
    svg = re.search(r'<svg[^>]*data-testid="place-map".*?</svg>', html, re.S).group(0)
    assert 'class="ward focus"' in svg and "Phường Bến Thành" in svg
    assert svg.count('class="ward"') >= 3  # the neighbouring wards
    assert 'data-testid="place-pin"' in svg
    assert "style=" not in svg and "<script" not in svg


def test_without_coordinates_the_map_has_no_pin(app, login, create_user, reported_case):
    case, _name = reported_case(with_pin=False)
    html = (
        _client_for(app, login, create_user("officer", unit_code="SO-XD"))
        .get(f"/cases/{case.id}")
        .get_data(as_text=True)
    )
    assert 'data-testid="place-map"' in html and 'data-testid="place-pin"' not in html


def _social_post(case, number, url, **values):
    return Post(
        source="facebook",
        external_id=f"fb-{case.id}-{number}",
        channel="social",
        text=f"Bài đăng số {number} về ổ gà",
        url=url,
        posted_at=datetime(2026, 11, 20, 1, number % 60, tzinfo=UTC),
        case_id=case.id,
        **values,
    )


def test_the_case_page_lists_the_original_posts_with_links_source_and_reach(
    app, login, create_user, create_case
):
    case = create_case("in_progress")
    db.session.add_all(
        [
            _social_post(
                case,
                1,
                "https://facebook.com/posts/1",
                likes=1200,
                shares=34,
                comments=5,
                views=9000,
            ),
            _social_post(case, 2, "javascript:alert(1)"),
        ]
    )
    db.session.commit()
    client = _client_for(app, login, create_user("officer", unit_code="SO-XD"))
    html = client.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert 'href="https://facebook.com/posts/1"' in html
    assert "1,200 likes" in html and "34 shares" in html and "9,000 views" in html
    assert "facebook" in html and "Social media" in html
    assert 'href="javascript:' not in html
    assert "Address (not opened as a link): javascript:alert(1)" in html


def test_many_posts_are_paginated_with_their_count(app, login, create_user, create_case):
    case = create_case("in_progress")
    db.session.add_all(
        [_social_post(case, n, f"https://facebook.com/posts/{n}") for n in range(1, 14)]
    )
    db.session.commit()
    client = _client_for(app, login, create_user("officer", unit_code="SO-XD"))
    first = client.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "(13)" in first and "Page 1 of 2" in first
    assert first.count('class="original-post"') == 10
    second = client.get(f"/cases/{case.id}?lang=en&posts_page=2").get_data(as_text=True)
    assert second.count('class="original-post"') == 3
    assert client.get(f"/cases/{case.id}?posts_page=-1").status_code in (200, 400)


def test_the_review_card_shows_the_photo_and_the_contact(app, login, create_user, uploads):
    name = store_photo(_jpeg(), uploads)
    post = Post(
        source="citizen",
        external_id="review-1",
        channel="direct",
        text="Cây đổ chắn ngang đường, chưa ai dọn",
        posted_at=FILED_AT,
        media_urls=[f"/public/media/{name}"],
        contact={"name": NAME, "phone": PHONE},
        needs_review=True,
        triage_status="done",
    )
    db.session.add(post)
    db.session.commit()
    analyst = _client_for(app, login, create_user("analyst", unit_code="UBND-TP"))
    html = analyst.get("/triage/review?lang=en").get_data(as_text=True)
    assert "Cây đổ chắn ngang" in html
    assert f'src="/public/media/thumbs/{name}"' in html
    assert NAME in html and PHONE in html
    # A report not yet on a case: the triage reviewers may open its photo, an officer may not.
    assert analyst.get(f"/public/media/{name}").status_code == 200
    officer = _client_for(app, login, create_user("officer", unit_code="SO-XD"))
    assert officer.get(f"/public/media/{name}").status_code == 404


def test_the_review_card_shows_a_comments_source_link_and_reach(app, login, create_user):
    comment = Post(
        source="facebook",
        external_id="fb-comment-1",
        parent_external_id="fb-post-1",
        channel="social",
        text="Cống ở hẻm 12 nghẹt cả tuần, mưa là ngập tới gối",
        url="https://facebook.com/posts/1?comment_id=7",
        posted_at=FILED_AT,
        likes=1500,
        shares=12,
        needs_review=True,
        triage_status="done",
    )
    db.session.add(comment)
    db.session.commit()
    analyst = _client_for(app, login, create_user("analyst", unit_code="UBND-TP"))

    html = analyst.get("/triage/review?lang=en").get_data(as_text=True)

    card = re.search(r"<article.*?</article>", html, re.S).group(0)
    assert "Facebook · Social media · comment ·" in card
    assert 'href="https://facebook.com/posts/1?comment_id=7"' in card
    reach = re.search(r'data-testid="reach">(.*?)</p>', card, re.S).group(1)
    assert "1,500 likes" in reach and "12 shares" in reach
