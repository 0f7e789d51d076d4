"""Numbers, percentages, dates and words as each language writes them (issue 18, item 3).

Vietnamese writes 3,25 and 60,0% and 04/12/2026 07:30; English writes 3.25 and 60.0% and an
unambiguous "4 Dec 2026, 07:30", never the US 12/4/26. A page in one language never shows the
other's number format.
"""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_babel import force_locale

from app.cases import operations
from app.cases.models import CaseEvent, EventKind
from app.cases.sla.policies import load_default_sla
from app.collectors import messages
from app.collectors.models import Source
from app.core import formatting
from app.extensions import db
from app.stats import charts
from tests.stats.handling_dataset import build

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
RANGE = "from=2026-12-07&to=2026-12-14"
#: 07:30 on 4 December 2026 in Ho Chi Minh City, stored in UTC.
MOMENT = datetime(2026, 12, 4, 0, 30, tzinfo=UTC)


def text(response) -> str:
    """The page's text without tags, spaces collapsed."""
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(page.split())


# -- the helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "vi",
            {
                "number": "3,25",
                "thousands": "12.345,5",
                "percent": "60,0%",
                "datetime": "04/12/2026 07:30",
                "date": "04/12/2026",
                "axis": "04/12",
            },
        ),
        (
            "en",
            {
                "number": "3.25",
                "thousands": "12,345.5",
                "percent": "60.0%",
                "datetime": "4 Dec 2026, 07:30",
                "date": "4 Dec 2026",
                "axis": "4 Dec",
            },
        ),
    ],
)
def test_the_helpers_follow_the_language(app_context, locale, expected):
    with force_locale(locale):
        assert formatting.number(3.25, 2) == expected["number"]
        assert formatting.number(12345.5, 1) == expected["thousands"]
        assert formatting.percent(0.6, 1) == expected["percent"]
        assert formatting.percent(60, 1, scale=100) == expected["percent"]
        assert formatting.datetime_local(MOMENT) == expected["datetime"]
        assert formatting.date_local(date(2026, 12, 4)) == expected["date"]
        assert formatting.axis_label(date(2026, 12, 4)) == expected["axis"]
        assert formatting.number(None) == formatting.datetime_local(None) == "—"


def test_english_dates_are_never_us_style(app_context):
    with force_locale("en"):
        shown = formatting.datetime_local(MOMENT)
    assert "12/4" not in shown and "AM" not in shown


# -- pages -------------------------------------------------------------------------------


@pytest.fixture
def analyst(create_user, login):
    build(create_user("admin", unit_code="UBND-TP"))
    return login(create_user("analyst", unit_code="VP-UBND"))


def test_handling_time_in_vietnamese_uses_decimal_commas(client, analyst):
    page = text(client.get(f"/stats/handling-time?stage=verified&group_by=unit&{RANGE}&lang=vi"))

    assert "3,25" in page and "60,0%" in page and "07/12/2026" in page
    # The old page printed "3.25" and "60.0 %" in Vietnamese.
    assert "3.25" not in page and "60.0" not in page
    assert not re.search(r"\b\d+\.\d{2}\b", page)


def test_handling_time_in_english_uses_decimal_points(client, analyst):
    page = text(client.get(f"/stats/handling-time?stage=verified&group_by=unit&{RANGE}&lang=en"))

    assert "3.25" in page and "60.0%" in page
    assert "from 7 Dec 2026 to 14 Dec 2026" in page
    assert "3,25" not in page and "Dec 7, 2026" not in page
    assert not re.search(r"\b\d+,\d{2}\b", page)


def test_a_chart_labels_its_axes_in_the_language(app_context):
    series = {"Median": [1.5, 2.25], "P90": [3.5, 4.75]}
    days = [date(2026, 12, 4), date(2026, 12, 5)]
    with force_locale("vi"):
        vi = str(charts.line_chart("Giờ", days, series))
    with force_locale("en"):
        en = str(charts.line_chart("Hours", days, series))

    assert "04/12" in vi and "2026-12-04" not in vi
    assert "4 Dec" in en and "2026-12-04" not in en
    # Value labels on the y axis and in the description.
    assert re.search(r">\d+,\d<", vi) and not re.search(r">\d+\.\d<", vi)
    assert re.search(r">\d+\.\d<", en) and not re.search(r">\d+,\d<", en)
    assert "04/12: 1,5" in vi and "4 Dec: 1.5" in en


def _sla_case(admin, **values):
    data = {"title": "Đèn đường hỏng hẻm 5", "category": "infrastructure", "unit": "SO-XD"}
    return operations.create_case(admin, {**data, **values})


def test_sla_dashboard_headers_differ_and_rates_follow_the_language(
    client, create_user, login, app_context
):
    load_default_sla()
    admin = create_user("admin", unit_code="UBND-TP")
    with time_machine.travel(datetime(2026, 12, 9, 10, 0, tzinfo=HCMC), tick=False):
        done = _sla_case(admin)
        operations.transition(done, "verifying", admin, version=done.version)
        operations.transition(done, "in_progress", admin, version=done.version)
        login(create_user("supervisor", unit_code="SO-XD"))
        vi = client.get("/sla?period=7&lang=vi").get_data(as_text=True)
        en = client.get("/sla?period=7&lang=en").get_data(as_text=True)

    met, missed, rate = re.findall(
        r'<th scope="col" class="num">([^<]+)</th><th scope="col" class="num">([^<]+)</th>'
        r'<th scope="col">([^<]+)</th></tr>',
        vi,
    )[0]
    assert len({met, missed, rate}) == 3, (met, missed, rate)
    assert "On-time rate" in en
    assert "100,0%" in vi and "100.0%" not in vi
    assert "100.0%" in en


def test_the_timeline_names_the_assignee(client, create_user, login, app_context):
    load_default_sla()
    admin = create_user("admin", unit_code="UBND-TP", full_name="Trần Quản Trị")
    officer = create_user(
        "officer", unit_code="SO-XD", email="officer.xd@test.socialbeat.vn", full_name="Lê Thị Hoa"
    )
    case = _sla_case(admin)
    operations.assign(case, officer, admin, version=case.version)
    login(admin)

    pages = {lang: client.get(f"/cases/{case.id}?lang={lang}") for lang in ("vi", "en")}

    for response in pages.values():
        assert "officer.xd@" not in text(response)
    # The name right after the event's name and its colon, with no space before the colon.
    assert "<strong>Đã phân công</strong>: Lê Thị Hoa" in pages["vi"].get_data(as_text=True)
    assert "<strong>Assigned</strong>: Lê Thị Hoa" in pages["en"].get_data(as_text=True)
    event = db.session.scalar(db.select(CaseEvent).where(CaseEvent.kind == EventKind.assigned))
    assert event.to_value == "officer.xd@test.socialbeat.vn"  # stored as before


def test_the_report_schedule_says_next_run_not_next_page(client, create_user, login):
    login(create_user("admin", unit_code="UBND-TP"))

    vi = client.get("/stats/reports/schedules?lang=vi").get_data(as_text=True)
    en = client.get("/stats/reports/schedules?lang=en").get_data(as_text=True)

    assert "Trang sau" not in vi
    assert "Next run" in en


def test_the_default_calendar_has_a_name(client, create_user, login, app_context):
    load_default_sla()
    login(create_user("admin", unit_code="UBND-TP"))

    page = client.get("/admin/sla/calendars?lang=en").get_data(as_text=True)

    assert "City office hours" in page
    assert ">default<" not in page


def test_a_sources_known_error_is_said_in_the_language(client, create_user, login):
    login(create_user("admin", unit_code="UBND-TP"))
    client.get("/admin/sources")
    source = db.session.scalar(db.select(Source).order_by(Source.id))
    source.last_error = f"{source.name}: setting YOUTUBE_API_KEY is required"
    source.last_error_at = MOMENT
    source.consecutive_failures = 1
    db.session.commit()

    page = text(client.get("/admin/sources?lang=en"))

    assert "The setting YOUTUBE_API_KEY is missing" in page
    assert "4 Dec 2026, 07:30" in page


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("youtube: setting YOUTUBE_API_KEY is required", "The setting YOUTUBE_API_KEY is missing"),
        ("x: HTTP 401: GET /2/tweets/search/recent: Unauthorized", "refused the credentials"),
        (
            "rss: HTTP 503: GET /feed: Service Unavailable (gave up after 3 attempts)",
            "server error",
        ),
        ("facebook: no response: GET /me: ConnectTimeout", "did not answer"),
        ("rss: RSS_FEEDS is empty", "No news feed is set."),
    ],
)
def test_known_source_errors_are_recognised(app_context, stored, expected):
    with force_locale("en"):
        assert expected in messages.error_text(stored)


def test_an_unknown_source_error_is_left_as_it_is(app_context):
    assert messages.error_text("something odd happened") is None
    assert messages.error_text(None) is None


def test_report_cells_follow_the_language(app_context):
    from app.stats.reports.view import cell_text

    with force_locale("vi"):
        assert cell_text(0.9, "hours") == "0,9"
        assert cell_text(MOMENT) == "04/12/2026 07:30"
        assert cell_text(date(2026, 12, 4)) == "04/12/2026"
    with force_locale("en"):
        assert cell_text(0.9, "hours") == "0.9"
        assert cell_text(MOMENT) == "4 Dec 2026, 07:30"
        assert cell_text(MOMENT + timedelta(days=1)) == "5 Dec 2026, 07:30"


def test_xlsx_keeps_numbers_as_numbers_with_a_number_format():
    from io import BytesIO

    from openpyxl import load_workbook

    from app.stats.export import xlsx_bytes

    body = xlsx_bytes([("Sheet", [("label", "Day"), ("hours", "Hours")], [("a", 3.25), ("b", 2)])])
    sheet = load_workbook(BytesIO(body)).active

    assert sheet["B2"].value == 3.25 and sheet["B2"].number_format == "#,##0.0#"
    assert sheet["B3"].value == 2


# -- every page in each language -----------------------------------------------------------

#: What a page in one language must never show: the other language's numbers and dates.
FOREIGN = {
    # Vietnamese pages: no decimal point ("3.25"), no English date ("4 Dec"), no "60 %".
    "vi": [
        r"(?<![\d.])\d+\.\d{1,2}(?![\d.])",
        r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b",
        r"\d %",
    ],
    # English pages: no decimal comma ("3,25"), no day-first or US numeric date, no "60 %".
    "en": [
        r"(?<![\d,])\d+,\d{1,2}(?![\d,])",
        r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
        r"\d %",
    ],
}
#: And what shows that the page formats its figures at all (over all pages of a language).
OWN = {"vi": r"\d+,\d{1,2}\b", "en": r"\d+\.\d{1,2}\b"}


@pytest.fixture
def every_page(client, create_user, login):
    """An admin's pages with figures on them: statistics, deadlines, reports, a case, portal."""
    from app.stats.reports import making

    admin = create_user("admin", unit_code="UBND-TP")
    cases = build(admin)
    for ward in ("27478", "26743"):
        operations.create_case(
            admin, {"title": "Rác ùn ứ", "category": "environment", "unit": ward, "ward": ward}
        )
    report = making.generate("evening_report", user=admin)
    login(admin)
    return [
        f"/stats/handling-time?stage=resolved&group_by=unit&{RANGE}",
        f"/stats/handling-time?stage=verified&group_by=category&{RANGE}",
        f"/stats/backlog?{RANGE}",
        f"/stats/map?{RANGE}",
        "/stats/trends",
        "/sla?period=30",
        f"/stats/reports/{report.id}",
        f"/cases/{cases['A'].id}",
        "/cases",
        "/admin/sources",
        "/public/units",
        f"/public/cases/{cases['A'].code}",
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_page_shows_the_other_languages_formats(client, every_page, lang):
    shown = {}
    for path in every_page:
        joiner = "&" if "?" in path else "?"
        response = client.get(f"{path}{joiner}lang={lang}")
        assert response.status_code == 200, path
        # pygal's tooltip anchors (<desc class="x">292.1</desc>) are coordinates, never shown.
        html = re.sub(r'<desc class="[xy](?: [^"]*)?">[^<]*</desc>', " ", response.get_data(True))
        shown[path] = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    wrong = [
        f"{path}: …{page[max(0, match.start() - 40) : match.end() + 20]}…"
        for path, page in shown.items()
        for pattern in FOREIGN[lang]
        for match in re.finditer(pattern, page)
    ]
    assert wrong == [], "\n".join(wrong)
    assert re.search(OWN[lang], " ".join(shown.values()))
