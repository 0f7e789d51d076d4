"""What people see of the SLA: the JSON field, the queue's countdown and sort, the dashboard,
the admin pages."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.cases import operations
from app.cases.sla.models import SlaCalendar, SlaCalendarDay, SlaPolicy
from app.extensions import db
from app.models import utcnow

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def _wednesday_morning():
    """Wednesday 9 December 2026, 10:00 in Ho Chi Minh City, for every test here."""
    with time_machine.travel(datetime(2026, 12, 9, 10, 0, tzinfo=HCMC), tick=False):
        yield


def _csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


@pytest.fixture
def open_case(admin):
    def factory(ago=timedelta(0), unit="SO-XD", **values):
        data = {"title": "Đèn đường hỏng hẻm 5", "category": "infrastructure", "unit": unit}
        return operations.create_case(admin, {**data, **values}, now=utcnow() - ago)

    return factory


def test_case_json_lists_its_clocks(client, create_user, api_token, open_case, admin):
    case = open_case(priority="P2")
    operations.transition(case, "verifying", admin, version=case.version)
    headers = api_token(create_user("officer"))

    body = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()

    assert [(c["metric"], c["cycle"], c["state"]) for c in body["sla"]] == [
        ("verify", 1, "running"),
        ("resolve", 1, "running"),
        ("respond", 1, "running"),
    ]
    verify = body["sla"][0]
    assert set(verify) >= {"metric", "cycle", "due_at", "state", "remaining_seconds"}
    assert verify["paused_seconds"] == 0
    assert 0 < verify["remaining_seconds"] <= 4 * 3600
    assert datetime.fromisoformat(verify["due_at"]) == datetime.fromisoformat(body["next_due_at"])
    listed = client.get("/api/v1/cases", headers=headers).get_json()["items"][0]
    assert listed["sla"] == body["sla"]


def test_json_shows_a_paused_clock(client, create_user, api_token, open_case, admin):
    case = open_case()
    for step in ("verifying", "in_progress", "waiting"):
        operations.transition(case, step, admin, version=case.version)
    headers = api_token(create_user("officer"))

    sla = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()["sla"]

    assert [c["state"] for c in sla] == ["met", "paused", "paused"]


def test_queue_sorts_by_next_deadline_by_default(client, create_user, api_token, open_case):
    p4 = open_case(priority="P4", title="Cây xanh cần cắt tỉa")
    p1 = open_case(priority="P1", title="Cây đổ chắn đường")
    p3_old = open_case(priority="P3", title="Ổ gà đường Lê Lợi", ago=timedelta(days=3))
    closed = open_case(priority="P3", title="Đã đóng")
    operations.transition(
        closed, "rejected", closed.created_by, version=closed.version, reject_reason="spam"
    )
    officer = create_user("officer")

    items = client.get("/api/v1/cases", headers=api_token(officer)).get_json()["items"]

    assert [i["id"] for i in items] == [p3_old.id, p1.id, p4.id, closed.id]


def test_queue_page_shows_countdowns_in_words(client, create_user, login, open_case):
    open_case(priority="P3", title="Ổ gà quá hạn", ago=timedelta(days=10))
    open_case(priority="P1", title="Cây đổ chắn đường")
    login(create_user("officer"))

    page = client.get("/cases").get_data(as_text=True)

    assert "Hạn xử lý" in page  # the column
    assert 'class="sla sla-late"' in page and "Quá hạn" in page
    assert re.search(r'class="sla sla-(ok|risk)".*?Xác minh: .*?còn lại', page, re.S)
    assert page.index("Ổ gà quá hạn") < page.index("Cây đổ chắn đường")


def test_case_page_lists_its_deadlines(client, create_user, login, open_case):
    case = open_case()
    login(create_user("officer"))

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "Thời hạn" in page and "Xác minh" in page and "Phản hồi công khai" in page


def test_dashboard_for_a_supervisor(client, create_user, login, open_case, admin):
    late = open_case(title="Rác ùn ứ chợ Bến Thành", ago=timedelta(days=10))
    open_case(title="Ở đơn vị khác", unit="SO-YT", ago=timedelta(days=10))
    done = open_case(title="Đã xác minh", ago=timedelta(hours=1))
    operations.transition(done, "verifying", admin, version=done.version)
    operations.transition(done, "in_progress", admin, version=done.version)
    login(create_user("supervisor", unit_code="SO-XD"))

    response = client.get("/sla?period=7")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Rác ùn ứ chợ Bến Thành" in page and late.code in page
    assert "Ở đơn vị khác" not in page
    # Per unit: the met verification, and the overdue case's three deadlines still running late.
    assert re.search(
        r'<tr><td>Sở Xây dựng</td><td class="num">1</td><td class="num">3</td>.*?25,0%</td>', page
    )
    assert "Vụ việc đang mở theo thời gian tồn đọng" in page
    assert "<svg" in page


def test_dashboard_is_forbidden_to_officers(client, create_user, login):
    login(create_user("officer"))

    assert client.get("/sla").status_code == 403


def test_admin_edits_and_reorders_policies(client, login, admin, inline_jobs):
    login(admin)
    page = client.get("/admin/sla/policies").get_data(as_text=True)
    assert "P3 – bình thường" in page and "40 giờ 00 phút" in page
    p3 = db.session.scalar(db.select(SlaPolicy).where(SlaPolicy.priority == "P3"))

    response = client.post(
        f"/admin/sla/policies/{p3.id}",
        data={
            "csrf_token": _csrf(page),
            "name": "P3 – thông thường",
            "priority": "P3",
            "verify_minutes": "240",
            "verify_counting": "working",
            "resolve_minutes": "2400",
            "resolve_counting": "working",
            "respond_minutes": "",
            "respond_counting": "working",
            "at_risk_percent": "30",
            "is_active": "on",
        },
    )
    assert response.status_code == 303
    db.session.refresh(p3)
    assert (p3.name, p3.verify_minutes, p3.respond_minutes, p3.at_risk_percent) == (
        "P3 – thông thường",
        240,
        None,
        30,
    )

    client.post(
        f"/admin/sla/policies/{p3.id}/move", data={"csrf_token": _csrf(page), "direction": "up"}
    )
    names = [p.name for p in db.session.scalars(db.select(SlaPolicy).order_by(SlaPolicy.position))]
    assert names.index("P3 – thông thường") < names.index("P2 – ảnh hưởng rộng")
    from app.users.models import AdminAudit

    audits = db.session.scalars(db.select(AdminAudit).order_by(AdminAudit.id)).all()
    assert [(a.action, a.target_id, a.actor_id) for a in audits] == [
        ("sla_policy.save", p3.id, admin.id),
        ("sla_policy.move", p3.id, admin.id),
    ]


def test_admin_adds_a_day_off_to_the_calendar(client, login, admin, inline_jobs):
    login(admin)
    calendar = db.session.scalar(db.select(SlaCalendar).where(SlaCalendar.name == "default"))
    page = client.get(f"/admin/sla/calendars/{calendar.id}").get_data(as_text=True)
    assert "07:30-11:30, 13:00-17:00" in page and "Tết Nguyên Đán" in page

    response = client.post(
        f"/admin/sla/calendars/{calendar.id}/days",
        data={"csrf_token": _csrf(page), "day": "2026-12-31", "kind": "day_off", "note": "Nghỉ"},
    )

    assert response.status_code == 303
    day = db.session.scalar(db.select(SlaCalendarDay))
    assert (day.day, day.kind, day.note) == (date(2026, 12, 31), "day_off", "Nghỉ")
    from app.users.models import AdminAudit

    audit = db.session.scalar(db.select(AdminAudit))
    assert (audit.action, audit.target_id, audit.details["day"]) == (
        "calendar.add_day",
        calendar.id,
        "2026-12-31",
    )


def test_a_day_off_saved_on_the_admin_page_moves_running_clocks(
    client, login, admin, open_case, inline_jobs
):
    case = open_case()
    resolve = next(clock for clock in case.sla_clocks if clock.metric == "resolve")
    before = resolve.due_at
    login(admin)
    calendar = db.session.scalar(db.select(SlaCalendar).where(SlaCalendar.name == "default"))
    page = client.get(f"/admin/sla/calendars/{calendar.id}").get_data(as_text=True)

    client.post(
        f"/admin/sla/calendars/{calendar.id}/days",
        data={"csrf_token": _csrf(page), "day": "2026-12-10", "kind": "day_off", "note": "Nghỉ"},
    )

    db.session.refresh(resolve)
    assert resolve.due_at == before + timedelta(days=1)  # Thursday 10 no longer counts


@pytest.mark.parametrize("path", ["/admin/sla/policies", "/admin/sla/calendars"])
def test_sla_admin_pages_are_for_admins(client, create_user, login, path):
    login(create_user("supervisor"))

    assert client.get(path).status_code == 403


def test_the_cli_loads_defaults_idempotently(runner):
    first = runner.invoke(args=["sla", "load-defaults"])
    second = runner.invoke(args=["sla", "load-defaults"])

    assert "0 default policies created" in second.output
    assert first.exit_code == second.exit_code == 0


def test_every_time_in_the_table_is_local(open_case):
    case = open_case()

    assert case.next_due_at.tzinfo is not None
    assert case.next_due_at.astimezone(HCMC).hour in range(7, 18)
