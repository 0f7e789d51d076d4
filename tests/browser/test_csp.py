"""The Content-Security-Policy blocks nothing the app's own pages need.

Headless Chromium visits the staff and public pages in both languages, with the
policy the app sends, and listens for violations: console messages ("Refused
to …") and `securitypolicyviolation` events. The charts must still be styled by
their stylesheet, and the page script must still run.
"""

import pytest
from flask import url_for

from app.cases import operations
from app.cases.models import ResponseTemplate
from app.cases.sla.models import SlaCalendar, SlaPolicy
from app.cases.sla.policies import load_default_sla
from app.collectors.models import Post
from app.core.codes import new_code
from app.extensions import db
from app.models import utcnow
from app.public.operations import issue_feedback_token
from app.stats.reports import making
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
  );
});
"""

#: For every pygal chart on the page: the title's font size, which only charts.css sets.
CHART_TITLE_SIZES = """
() => [...document.querySelectorAll("svg.pygal-chart")].map((svg) => {
  const title = svg.querySelector(".title");
  return title ? getComputedStyle(title).fontSize : "no title";
})
"""


@pytest.fixture
def watched(page):
    """The page, with a list of every CSP complaint and script error it produces."""
    problems = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.problems = problems
    return page


def _visit(page, url: str, lang: str, status: int = 200) -> None:
    joiner = "&" if "?" in url else "?"
    response = page.goto(f"{url}{joiner}lang={lang}")
    assert response is not None and response.status == status, (
        f"{url}: {response and response.status}"
    )
    page.wait_for_load_state("load")
    events = page.evaluate("window.__cspViolations")
    assert events == [], f"{url} ({lang}): {events}"
    assert page.problems == [], f"{url} ({lang}): {page.problems}"
    sizes = page.evaluate(CHART_TITLE_SIZES)
    assert all(size == "17px" for size in sizes), f"{url}: chart styles missing: {sizes}"
    page.charts_seen = getattr(page, "charts_seen", 0) + len(sizes)


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def some_data(app, create_user):
    """A case in a ward, the default SLA, and a report: enough for every page to show something."""
    load_default_sla()
    officer = create_user("officer", unit_code="27478", full_name="Võ Quốc Bảo")
    case = operations.create_case(
        officer,
        {
            "title": "Nắp cống bị mất trước nhà số 15 Huỳnh Tấn Phát",
            "category": "infrastructure",
            "ward": "27478",
        },
    )
    admin = create_user("admin", unit_code="UBND-TP", full_name="Quản Trị")
    report = making.generate("evening_report", user=admin)
    template = ResponseTemplate(category="infrastructure", title="Mẫu", body="Đã xử lý {{ code }}")
    db.session.add(template)
    citizen_post = Post(
        source="citizen",
        external_id="csp-report",
        channel="direct",
        text=case.title,
        posted_at=utcnow(),
        tracking_code=new_code(),
        case_id=case.id,
    )
    db.session.add(citizen_post)
    db.session.commit()
    feedback_token = issue_feedback_token(citizen_post)
    db.session.commit()
    policy = db.session.scalar(db.select(SlaPolicy).order_by(SlaPolicy.id))
    calendar = db.session.scalar(db.select(SlaCalendar).order_by(SlaCalendar.id))
    with app.test_request_context():
        staff = [
            url_for("cases.queue"),
            url_for("cases.detail", case_id=case.id),
            url_for("cases.new"),
            url_for("cases.sla_dashboard"),
            url_for("triage.review"),
            url_for("stats.handling_time"),
            url_for("stats.backlog"),
            url_for("stats.case_map"),
            url_for("stats.trends_dashboard"),
            url_for("stats.spread_page"),
            url_for("stats.reports_list"),
            url_for("stats.report_detail", report_id=report.id),
            url_for("stats.report_subscriptions"),
            url_for("stats.report_schedules"),
            url_for("notifications.index"),
            url_for("collectors.watchlists"),
            url_for("collectors.sources"),
            url_for("triage.routing_rules"),
            url_for("cases.response_templates"),
            url_for("cases.sla_policies"),
            url_for("cases.sla_policy", policy_id=policy.id),
            url_for("cases.sla_calendar", calendar_id=calendar.id),
            url_for("cases.sla_calendar"),
            url_for("cases.sla_policy"),
            url_for("cases.edit_response_template", template_id=template.id),
            url_for("auth.admin_users"),
            url_for("auth.admin_user", user_id=officer.id),
            url_for("auth.admin_units"),
            url_for("triage.model_status"),
            url_for("notifications.settings"),
            url_for("api.docs"),
        ]
        public = [
            url_for("public.index"),
            url_for("public.report"),
            url_for("public.browse"),
            url_for("public.case", code=case.code),
            url_for("public.units"),
            url_for("public.track", code=citizen_post.tracking_code),
            url_for(
                "public.reporter_feedback", code=citizen_post.tracking_code, token=feedback_token
            ),
        ]
    return {"admin": admin, "staff": staff, "public": public, "policy": policy}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_public_pages_break_no_rule(live_server, watched, some_data, lang):
    for path in [*some_data["public"], "/login"]:
        _visit(watched, live_server + path, lang)
    # The error pages are the app's own pages too.
    _visit(watched, live_server + "/public/cases/HCM-0000-00000", lang, status=404)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_staff_pages_break_no_rule_and_charts_keep_their_style(
    live_server, watched, some_data, lang
):
    _sign_in(watched, live_server, some_data["admin"])

    for path in some_data["staff"]:
        _visit(watched, live_server + path, lang)

    # The volume and backlog charts at least were drawn, and styled from charts.css.
    assert watched.charts_seen >= 2


def test_the_page_script_still_runs(live_server, watched, some_data):
    """app.js asks before a destructive action: the policy lets the script run."""
    _sign_in(watched, live_server, some_data["admin"])
    _visit(watched, f"{live_server}/admin/sla/policies/{some_data['policy'].id}", "en")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    watched.on("dialog", answer)
    watched.get_by_role("button", name="Delete").click()

    assert asked == ["Delete this policy?"]
    assert watched.url.startswith(f"{live_server}/admin/sla/policies/")
    assert watched.problems == []
