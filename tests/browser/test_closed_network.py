"""The city's network is closed: every page, staff and public, loads all it needs (styles,
scripts, charts, fonts) from the app itself, never from a CDN. The triage reasons read in the
user's language on the pages that show them."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.cases.models import Case
from app.collectors.base import PostData
from app.collectors.operations import store_posts
from app.extensions import db
from app.triage.tasks import triage_posts
from tests.browser.test_case_workflow import _sign_in

pytestmark = pytest.mark.browser

STAFF_PAGES = [
    "/cases",
    "/triage/review",
    "/stats/handling-time",
    "/stats/backlog",
    "/stats/map",
    "/stats/trends",
    "/stats/reports",
]
PUBLIC_PAGES = ["/public/", "/public/browse", "/public/units", "/public/report"]


def test_pages_load_nothing_from_outside_the_app_and_say_reasons_in_the_users_language(
    live_server, page, create_user, keyword_classifier
):
    posts = [
        PostData(source="facebook", external_id=f"cn-{n}", text=text,
                 posted_at=datetime(2026, 11, 27, 8, n, tzinfo=UTC))
        for n, text in enumerate(["Rác ùn ứ trước chợ ở phường Tân Thuận ba ngày",
                                  "Có ai thấy rác ở đây không?"])
    ]  # fmt: skip
    triage_posts(store_posts(posts).new_ids)
    case = db.session.scalar(db.select(Case))
    admin = create_user("admin", unit_code="VP-UBND")
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))

    _sign_in(page, live_server, admin)
    for path in [*STAFF_PAGES, f"/cases/{case.id}", *PUBLIC_PAGES, f"/public/cases/{case.code}"]:
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path

    assert hosts == {urlsplit(live_server).netloc}

    page.goto(f"{live_server}/triage/review")
    expect(page.get_by_text("độ tin cậy thấp: chờ người xem xét")).to_be_visible()
    page.goto(f"{live_server}/cases/{case.id}")
    expect(page.get_by_text("liên quan (95%)").first).to_be_visible()
    page.goto(f"{live_server}/triage/review?lang=en")
    expect(page.get_by_text("low confidence: waits for a person")).to_be_visible()
