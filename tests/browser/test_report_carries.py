"""A report filed on a phone with a photo and contact: the officer sees both, and the map."""

import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from app.cases.models import Case
from app.collectors.models import Post
from app.extensions import db
from tests.cases.conftest import _sla_defaults  # noqa: F401  (shared fixture)
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

BEN_THANH = "26743"
NAME = "Phạm Minh Tuấn"
PHONE = "0987654321"
EMAIL = "tuan@example.vn"
#: Set to a folder to keep screenshots of the case page in both languages.
SCREENSHOTS = os.environ.get("CARRY_SCREENSHOTS")


def _pothole_photo(path: Path) -> Path:
    image = Image.new("RGB", (1200, 900), (120, 120, 118))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1200, 260), fill=(150, 190, 225))
    draw.ellipse((380, 480, 860, 720), fill=(45, 40, 38))
    draw.line((0, 860, 1200, 560), fill=(235, 235, 235), width=14)
    image.save(path, format="JPEG")
    return path


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def test_a_report_filed_on_a_phone_shows_its_photo_contact_and_map_to_the_officer(
    live_server, browser, page, uploads, tmp_path, create_user
):
    photo = _pothole_photo(tmp_path / "o-ga.jpg")
    phone = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    phone.set_default_timeout(15000)
    try:
        citizen = phone.new_page()
        citizen.goto(f"{live_server}/public/report")
        citizen.locator("#text").fill(
            "Ổ gà rất sâu trước cổng chợ Bến Thành, sáng nay 2 người ngã xe"
        )
        citizen.locator("#category").select_option("infrastructure")
        citizen.locator("#ward").select_option(BEN_THANH)
        citizen.locator("#place").fill("Cổng chính chợ Bến Thành, đường Lê Lợi")
        citizen.locator("#photo").set_input_files(str(photo))
        citizen.locator("#contact_name").fill(NAME)
        citizen.locator("#contact_phone").fill(PHONE)
        citizen.locator("#contact_email").fill(EMAIL)
        citizen.locator("#contact_consent").check()
        citizen.locator("form button[type=submit]").last.click()
        code = citizen.get_by_test_id("tracking-code").inner_text().strip()
        # A case at once: received, with the date the city promises to answer by.
        assert citizen.get_by_test_id("filed-status").inner_text() == "Tiếp nhận"
        expect(citizen.get_by_test_id("filed-promised")).to_be_visible()
        expect(citizen.get_by_test_id("feedback-link")).to_be_visible()
        if SCREENSHOTS:
            _shot(citizen, "filed-phone-vi.png")
        # The public page of the case: the map, never the contact.
        citizen.goto(f"{live_server}/public/cases/{code}")
        expect(citizen.get_by_test_id("place-map")).to_be_visible()
        public_text = citizen.locator("body").inner_text()
        for detail in (NAME, PHONE, EMAIL):
            assert detail not in public_text
        if SCREENSHOTS:
            _shot(citizen, "public-page-phone-vi.png")
    finally:
        phone.close()

    # No model has run: the report opened its case with the citizen's category and ward.
    case = db.session.scalar(db.select(Case).where(Case.code == code))
    assert case is not None, "the report did not become a case at once"
    assert (case.status, case.category, case.ward.code) == ("received", "infrastructure", BEN_THANH)
    post = db.session.scalar(db.select(Post).where(Post.case_id == case.id))
    assert post.contact == {"name": NAME, "phone": PHONE, "email": EMAIL}
    officer = create_user("officer", unit_code=case.unit.code, email="carry-officer@example.vn")

    page.set_viewport_size({"width": 1366, "height": 1000})
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(officer.email)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}/cases/{case.id}")

    thumb = page.locator("img.photo-thumb").first
    thumb.scroll_into_view_if_needed()
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    contact = page.get_by_test_id("contact")
    for detail in (NAME, PHONE, EMAIL):
        assert detail in contact.inner_text()
    expect(page.get_by_test_id("consent")).to_be_visible()
    place_map = page.get_by_test_id("place-map")
    expect(place_map).to_be_visible()
    assert "Phường Bến Thành" in place_map.inner_html()
    # The thumbnail opens the full photo, which the officer may load.
    full = page.locator(".photo-gallery a").first.get_attribute("href")
    answer = page.request.get(f"{live_server}{full}")
    assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"

    if SCREENSHOTS:
        for lang in ("vi", "en"):
            page.goto(f"{live_server}/cases/{case.id}?lang={lang}")
            _shot(page, f"case-page-{lang}.png")


def _shot(page, name: str) -> None:
    """A full-page screenshot into CARRY_SCREENSHOTS, once the lazy photos have loaded."""
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function("[...document.images].every(i => i.complete)")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(folder / name), full_page=True)
