"""The report pages as supervisors, analysts and admins see them; officers are kept out."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.stats.models import Report, ReportSchedule, ReportSubscription
from app.stats.reports import making
from app.users.models import AdminAudit
from tests.stats import report_dataset
from tests.stats.report_dataset import NOW, TITLES
from tests.stats.test_reports import pdf_text

report_day = report_dataset.report_day


def _csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


@pytest.fixture
def analyst_client(app, create_user, login):
    client = app.test_client()
    client.user = create_user("analyst", unit_code="UBND-TP")
    return login(client.user, client)


def test_the_reports_link_is_in_the_menu_of_the_roles_that_read_them(role_client):
    page = role_client.get("/cases").get_data(as_text=True)

    has_link = 'href="/stats/reports"' in page
    assert has_link is (role_client.user.role != "officer")


def test_officers_cannot_open_reports(app, create_user, login, report_day):
    report = making.generate("evening_report", at=NOW)
    client = login(create_user("officer"), app.test_client())

    assert client.get("/stats/reports").status_code == 403
    assert client.get(f"/stats/reports/{report.id}").status_code == 403
    assert client.get(f"/stats/reports/{report.id}?format=pdf").status_code == 403
    assert client.get("/stats/reports/subscriptions").status_code == 403
    assert client.get("/stats/reports/schedules").status_code == 403


def test_the_list_shows_the_newest_first_and_filters_by_kind(analyst_client, report_day):
    morning = making.generate("morning_digest", at=NOW)
    evening = making.generate("evening_report", at=NOW)

    page = analyst_client.get("/stats/reports?lang=vi").get_data(as_text=True)
    assert page.index(f"/stats/reports/{evening.id}") < page.index(f"/stats/reports/{morning.id}")
    assert "Báo cáo tổng hợp dư luận" in page and "Bản tin điểm báo" in page

    page = analyst_client.get("/stats/reports?kind=morning_digest").get_data(as_text=True)
    assert f"/stats/reports/{morning.id}" in page
    assert f'/stats/reports/{evening.id}"' not in page


def test_the_list_pages_through_many_reports(analyst_client, app_context):
    for _ in range(23):
        db.session.add(
            Report(
                kind="custom", period_start=NOW, period_end=NOW, params={"topic": "rác"}, data={}
            )
        )
    db.session.commit()

    first = analyst_client.get("/stats/reports").get_data(as_text=True)
    second = analyst_client.get("/stats/reports?page=2").get_data(as_text=True)

    assert first.count("Báo cáo theo chủ đề “rác”") == 20
    assert "Trang 1 / 2" in first and 'href="/stats/reports?page=2"' in first
    assert second.count("Báo cáo theo chủ đề “rác”") == 3


def test_reading_a_report_in_the_app(analyst_client, report_day):
    report = making.generate("evening_report", at=NOW)
    case_c = report_day["cases"]["C"]

    page = analyst_client.get(f"/stats/reports/{report.id}?lang=vi").get_data(as_text=True)

    assert "<h1>Báo cáo tổng hợp dư luận</h1>" in page
    assert "Vẫn còn quá hạn" in page and TITLES["C"] in page
    # Cases link to their page in the app; charts are inline SVG, nothing from a CDN.
    assert f'href="/cases/{case_c.id}"' in page
    assert "<svg" in page and "<script" not in page.split("<main", 1)[1].split("</main>")[0]

    english = analyst_client.get(f"/stats/reports/{report.id}?lang=en").get_data(as_text=True)
    assert "<h1>Evening public-opinion report</h1>" in english
    assert "Still overdue" in english


def test_downloading_pdf_and_xlsx_in_either_language(analyst_client, report_day):
    report = making.generate("morning_digest", at=NOW)
    base = f"/stats/reports/{report.id}"

    response = analyst_client.get(f"{base}?format=pdf&lang=vi")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Bản tin điểm báo" in pdf_text(response.data)

    response = analyst_client.get(f"{base}?format=pdf&locale=en")
    assert "Morning press digest" in pdf_text(response.data)

    response = analyst_client.get(f"{base}?format=xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data))
    assert "Tin báo chí theo chủ đề" in workbook.sheetnames

    assert analyst_client.get(f"{base}?format=docx").status_code == 400


def test_making_a_custom_report_from_the_form(analyst_client, report_day):
    page = analyst_client.get("/stats/reports").get_data(as_text=True)
    case = report_day["cases"]["A"]

    response = analyst_client.post(
        "/stats/reports",
        data={"csrf_token": _csrf(page), "kind": "custom", "case": case.code.lower()},
    )

    report = db.session.scalars(select(Report)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/stats/reports/{report.id}")
    assert (report.kind, report.params, report.created_by_id) == (
        "custom",
        {"case": case.code},
        analyst_client.user.id,
    )
    page = analyst_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Báo cáo vụ việc {case.code}" in page and "Báo cáo đã được lập." in page


def test_the_form_says_what_is_wrong(analyst_client, report_day):
    token = _csrf(analyst_client.get("/stats/reports").get_data(as_text=True))

    response = analyst_client.post(
        "/stats/reports", data={"csrf_token": token, "kind": "custom", "case": "HCM-NONE-0000"}
    )
    assert response.status_code == 422
    assert "no case with code HCM-NONE-0000" in response.get_data(as_text=True)
    assert 'value="HCM-NONE-0000"' in response.get_data(as_text=True)

    response = analyst_client.post(
        "/stats/reports",
        data={"csrf_token": token, "kind": "custom", "from": "2026-11-27", "to": "2026-11-01"},
    )
    assert response.status_code == 422
    assert 'aria-invalid="true" aria-describedby="from-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Report.id)) is None


def test_the_form_needs_its_csrf_token(analyst_client, report_day):
    response = analyst_client.post("/stats/reports", data={"kind": "evening_report"})

    assert response.status_code == 400
    assert db.session.scalar(select(Report.id)) is None


def test_a_daily_report_on_demand_ignores_the_custom_fields(analyst_client, report_day):
    token = _csrf(analyst_client.get("/stats/reports").get_data(as_text=True))

    response = analyst_client.post(
        "/stats/reports", data={"csrf_token": token, "kind": "evening_report", "topic": "ngập"}
    )

    assert response.status_code == 302
    report = db.session.scalars(select(Report)).one()
    assert (report.kind, report.params) == ("evening_report", {})


def test_supervisors_read_the_daily_reports_and_their_own(app, create_user, login, report_day):
    other = making.generate("custom", at=NOW, params={"topic": "ngập"})
    daily = making.generate("evening_report", at=NOW)
    supervisor = create_user("supervisor", unit_code="SO-XD")
    own = making.generate("custom", at=NOW, params={"topic": "rác"}, user=supervisor)
    client = login(supervisor, app.test_client())

    page = client.get("/stats/reports").get_data(as_text=True)

    assert f'/stats/reports/{daily.id}"' in page and f'/stats/reports/{own.id}"' in page
    assert f'/stats/reports/{other.id}"' not in page
    assert client.get(f"/stats/reports/{other.id}").status_code == 404
    assert client.get(f"/stats/reports/{own.id}").status_code == 200


def test_admins_set_the_schedule_times(app, create_user, login):
    admin = create_user("admin", unit_code="UBND-TP")
    client = login(admin, app.test_client())
    page = client.get("/stats/reports/schedules?lang=vi").get_data(as_text=True)
    assert "Lịch lập báo cáo" in page and 'value="07:00"' in page and 'value="18:00"' in page
    morning, evening = db.session.scalars(select(ReportSchedule).order_by(ReportSchedule.id))

    response = client.post(
        "/stats/reports/schedules",
        data={
            "csrf_token": _csrf(page),
            f"time-{morning.id}": "06:30",
            f"enabled-{morning.id}": "on",
            f"time-{evening.id}": "17:45",
        },
    )

    assert response.status_code == 302
    db.session.refresh(morning)
    db.session.refresh(evening)
    assert (morning.time_of_day, morning.is_enabled) == ("06:30", True)
    assert (evening.time_of_day, evening.is_enabled) == ("17:45", False)
    page = client.get("/stats/reports/schedules").get_data(as_text=True)
    assert "Đã lưu lịch lập báo cáo." in page and "Đã tắt" in page
    # Every admin change is audited, with what changed (issue 18, item 5).
    audits = db.session.scalars(select(AdminAudit).order_by(AdminAudit.target_id)).all()
    assert [(row.action, row.actor_id, row.target_id, row.details) for row in audits] == [
        ("report_schedule.update", admin.id, morning.id,
         {"kind": "morning_digest", "time_of_day": ["07:00", "06:30"]}),
        ("report_schedule.update", admin.id, evening.id,
         {"kind": "evening_report", "time_of_day": ["18:00", "17:45"], "is_enabled": [True, False]}),
    ]  # fmt: skip

    response = client.post(
        "/stats/reports/schedules",
        data={
            "csrf_token": _csrf(page),
            f"time-{morning.id}": "25:00",
            f"time-{evening.id}": "17:45",
        },
    )
    assert response.status_code == 422
    assert "Nhập giờ theo dạng HH:MM" in response.get_data(as_text=True)
    db.session.refresh(morning)
    assert morning.time_of_day == "06:30"


def test_supervisors_and_analysts_cannot_change_schedules(analyst_client):
    assert analyst_client.get("/stats/reports/schedules").status_code == 403


def test_subscribing_and_unsubscribing(analyst_client, app_context):
    page = analyst_client.get("/stats/reports/subscriptions?lang=vi").get_data(as_text=True)
    assert "Đăng ký nhận email" in page
    assert "chưa cấu hình máy chủ thư" in page
    token = _csrf(page)

    analyst_client.post(
        "/stats/reports/subscriptions",
        data={
            "csrf_token": token,
            "evening_report-active": "on",
            "evening_report-locale": "en",
            "morning_digest-locale": "vi",
        },
    )
    subscriptions = {
        s.kind: (s.locale, s.is_active) for s in db.session.scalars(select(ReportSubscription))
    }
    assert subscriptions == {"evening_report": ("en", True)}
    page = analyst_client.get("/stats/reports/subscriptions").get_data(as_text=True)
    assert 'id="evening_report-active" name="evening_report-active" checked' in page

    analyst_client.post(
        "/stats/reports/subscriptions",
        data={"csrf_token": token, "evening_report-locale": "en", "morning_digest-locale": "vi"},
    )
    db.session.expire_all()
    subscriptions = {
        s.kind: (s.locale, s.is_active) for s in db.session.scalars(select(ReportSubscription))
    }
    assert subscriptions == {"evening_report": ("en", False)}
