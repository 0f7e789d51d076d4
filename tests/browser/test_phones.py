"""On a phone (390×844), no staff or public page scrolls sideways, in either language.

Headless Chromium walks every page a user reaches with some data on it: a case
with a long title, an unbroken link and a long assignee e-mail, a post waiting
for review, a week of handled cases for the statistics, and a report. On each
page the document must be no wider than the window; a failure names the page and
the elements that stick out past the right edge.
"""

from datetime import timedelta

import pytest
from flask import url_for
from playwright.sync_api import expect

from app.cases import comments, operations
from app.cases.models import ResponseTemplate
from app.cases.sla.models import SlaCalendar, SlaPolicy
from app.collectors.models import Post
from app.demo.cases import load_default_templates
from app.extensions import db
from app.models import utcnow
from app.stats.reports import making
from app.users.admin import issue_reset_token
from tests.browser.test_csp import _sign_in
from tests.stats.handling_dataset import build

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: The week of tests/stats/handling_dataset.py, for the statistics pages.
RANGE = {"from": "2026-12-07", "to": "2026-12-14"}

LONG_TITLE = (
    "Nắp cống bị mất trước nhà số 15 Huỳnh Tấn Phát, phường Tân Thuận, nguy hiểm cho người "
    "đi xe máy ban đêm, xem https://www.facebook.com/groups/phananhdothihcm/posts/"
    "1234567890123456789?comment_id=98765432109876543"
)
LONG_EMAIL = "nguyen.thi.thanh.huong.quanlydothi@phuong-tan-thuan.hochiminhcity.gov.vn"

#: How far the page reaches past the window, and the outermost elements that reach past it.
OVERFLOW = """
() => {
  const width = window.innerWidth;
  const extra = document.documentElement.scrollWidth - width;
  if (extra <= 0) return null;
  const culprits = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 0.5 || box.width === 0) continue;
    const parent = el.parentElement;
    if (parent && parent.getBoundingClientRect().right > width + 0.5 && parent !== document.body)
      continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.className && typeof el.className === "string"
         ? "." + el.className.trim().split(/\\s+/).join(".") : "");
    culprits.push(`${name} (right ${Math.round(box.right)})`);
    if (culprits.length >= 6) break;
  }
  // Text that runs out of its box (a long word) shows as the box's own overflow.
  for (const el of document.querySelectorAll("body *")) {
    if (culprits.length >= 6) break;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
        && getComputedStyle(el).overflowX === "visible"
        && el.getBoundingClientRect().left + el.scrollWidth > width + 0.5
        && ![...el.children].some((child) => child.scrollWidth > child.clientWidth + 1)) {
      culprits.push(`text in ${el.tagName.toLowerCase()}.${el.className}`);
    }
  }
  return `+${extra}px: ${culprits.join(", ")}`;
}
"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="vi-VN", viewport=PHONE, has_touch=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


def _simple_get_pages(app, prefixes: tuple[str, ...]) -> list[str]:
    """Every GET page under `prefixes` that takes no argument (new admin screens come along)."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.rule.startswith(prefixes):
            paths.add(rule.rule)
    return sorted(paths)


@pytest.fixture
def seeded(app, create_user):
    """Cases, a post to review, statistics and a report: every page shows real rows."""
    admin = create_user("admin", unit_code="UBND-TP", full_name="Quản Trị Hệ Thống")
    handled = build(admin)
    assignee = create_user("officer", unit_code="27478", email=LONG_EMAIL, full_name=None)
    case = operations.create_case(
        admin,
        {
            "title": LONG_TITLE,
            "description": LONG_TITLE + "\n" + "Rất nhiều xe máy bị sụp hố. " * 20,
            "category": "infrastructure",
            "ward": "27478",
            "unit": "27478",
            "priority": "P2",
        },
    )
    operations.assign(case, assignee, admin, version=case.version)
    operations.transition(case, "verifying", admin, version=case.version)
    comments.add_comment(case, admin, "Đã liên hệ " + LONG_EMAIL, is_public=False)
    now = utcnow()
    db.session.add(
        Post(
            source="facebook",
            external_id="phone-review-1",
            text=LONG_TITLE + " – có ai biết phường nào xử lý không?",
            posted_at=now - timedelta(hours=2),
            collected_at=now - timedelta(hours=1),
            needs_review=True,
            triage_status="done",
            category="infrastructure",
            url="https://www.facebook.com/groups/phananhdothihcm/posts/1234567890123456789",
        )
    )
    db.session.commit()
    report = making.generate("evening_report", user=admin)
    load_default_templates()
    db.session.commit()
    policy = db.session.scalar(db.select(SlaPolicy).order_by(SlaPolicy.id))
    calendar = db.session.scalar(db.select(SlaCalendar).order_by(SlaCalendar.id))
    template = db.session.scalar(db.select(ResponseTemplate).order_by(ResponseTemplate.id))
    reset_token = issue_reset_token(admin, assignee, app.config["SECRET_KEY"])
    with app.test_request_context():
        staff = [
            url_for("cases.queue"),
            url_for("cases.detail", case_id=case.id),
            url_for("cases.detail", case_id=handled["A"].id),
            url_for("cases.new"),
            url_for("cases.sla_dashboard"),
            url_for("triage.review"),
            url_for("stats.handling_time", **RANGE),
            url_for("stats.backlog", **RANGE),
            url_for("stats.case_map", **RANGE),
            url_for("stats.trends_dashboard"),
            url_for("stats.spread_page"),
            url_for("stats.spread_page", case=case.code),
            url_for("stats.reports_list"),
            url_for("stats.report_detail", report_id=report.id),
            url_for("notifications.index"),
            url_for("collectors.watchlists"),
            url_for("cases.sla_policy", policy_id=policy.id),
            url_for("cases.sla_calendar", calendar_id=calendar.id),
            # The admin screens that take an argument: a user (the long e-mail) and a template.
            url_for("auth.admin_user", user_id=assignee.id),
            url_for("cases.edit_response_template", template_id=template.id),
            url_for("notifications.settings"),
            url_for("api.docs"),
            *_simple_get_pages(app, ("/admin", "/stats")),
        ]
        public = [
            url_for("public.index"),
            url_for("public.report"),
            url_for("public.browse"),
            url_for("public.case", code=handled["A"].code),
            url_for("public.units"),
            url_for("public.track", code=handled["A"].code),
            url_for("auth.login"),
            url_for("auth.reset_password", token=reset_token),
        ]
    return {
        "admin": admin,
        "assignee": assignee,
        "code": case.code,
        "staff": list(dict.fromkeys(staff)),
        "public": public,
        # Error pages (the app's layout with a way back) must fit a phone too.
        "errors": [f"/cases/{case.id + 10_000}", "/public/no-such-page"],
    }


def _overflows(page, base: str, paths: list[str], lang: str, status: int = 200) -> list[str]:
    found = []
    for path in paths:
        joiner = "&" if "?" in path else "?"
        response = page.goto(f"{base}{path}{joiner}lang={lang}")
        assert response is not None and response.status == status, (
            f"{path}: {response and response.status}"
        )
        problem = page.evaluate(OVERFLOW)
        if problem:
            found.append(f"{path} ({lang}) {problem}")
    return found


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_page_scrolls_sideways_on_a_phone(live_server, phone, seeded, lang):
    _sign_in(phone, live_server, seeded["admin"])
    problems = _overflows(phone, live_server, seeded["public"] + seeded["staff"], lang)
    problems += _overflows(phone, live_server, seeded["errors"], lang, status=404)
    assert problems == [], "pages wider than a 390 px phone:\n" + "\n".join(problems)


def test_the_queue_folds_its_filters_and_bulk_actions_on_a_phone(live_server, phone, seeded):
    """The first case shows on the first screen; filters and bulk actions open behind one button.

    Before, the filters and the bulk actions filled two screens before the first case.
    """
    _sign_in(phone, live_server, seeded["admin"])
    phone.goto(f"{live_server}/cases?lang=en")
    first_case = phone.locator("table.queue tbody tr").first
    title = first_case.locator(".case-link").bounding_box()
    assert title["y"] + title["height"] < PHONE["height"], (
        "the first case is below the first screen"
    )
    # The cases stack as cards: nothing in them (deadline badges, codes) is cut off.
    assert phone.locator(".table-wrap").evaluate("(box) => box.scrollWidth <= box.clientWidth")
    expect(phone.get_by_label("Status", exact=True)).to_be_hidden()
    expect(phone.get_by_role("button", name="Assign selected")).to_be_hidden()

    phone.get_by_text("Filters and bulk actions").click()
    expect(phone.get_by_role("button", name="Assign selected")).to_be_visible()
    phone.get_by_label("Status", exact=True).select_option("verifying")
    phone.locator(".filter-panel").get_by_role("button", name="Apply").click()
    phone.wait_for_url(lambda url: "status=verifying" in url)
    assert phone.locator("table.queue tbody tr").count() == 1
    expect(phone.get_by_text(LONG_TITLE)).to_be_visible()
    assert phone.evaluate(OVERFLOW) is None


def test_ticking_a_case_on_a_phone_brings_out_the_bulk_actions(live_server, phone, seeded):
    _sign_in(phone, live_server, seeded["admin"])
    phone.goto(f"{live_server}/cases?lang=en")
    tick = phone.get_by_label(f"Select {seeded['code']}")
    assign = phone.get_by_role("button", name="Assign selected")

    tick.tap()
    assert tick.is_checked(), "a tap on the case's box must tick it"
    expect(assign).to_be_visible()
    tick.tap()
    assert not tick.is_checked()
    expect(assign).to_be_hidden()


def test_a_new_password_link_fits_a_phone(live_server, phone, seeded, app):
    """The one-time link an admin makes (a long URL) stays inside the screen."""
    _sign_in(phone, live_server, seeded["admin"])
    with app.test_request_context():
        user_page = url_for("auth.admin_user", user_id=seeded["assignee"].id)
    phone.goto(f"{live_server}{user_page}?lang=en")
    phone.get_by_role("button", name="Make a password link").click()
    link = phone.get_by_label("One-time password link")
    link.wait_for()
    assert "/reset/" in link.input_value()
    assert phone.evaluate(OVERFLOW) is None
