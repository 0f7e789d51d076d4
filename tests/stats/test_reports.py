"""The reports' figures on a fixed day, and each kind rendered to PDF and read back."""

import io
import unicodedata

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from app.stats.reports import html, making, pdf, view, xlsx
from app.stats.reports.clusters import keyword_clusters
from app.stats.reports.common import ReportInputError
from tests.stats import report_dataset
from tests.stats.report_dataset import NOW, TITLES, WARD_A, WARD_B

report_day = report_dataset.report_day


def _section(data: dict, kind: str) -> dict:
    return next(s for s in data["sections"] if s["type"] == kind)


def pdf_text(body: bytes) -> str:
    """The PDF's text with whitespace collapsed, as one line."""
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


# --- the figures ----------------------------------------------------------------------------


def test_morning_digest_groups_the_days_press_by_topic(report_day):
    cases = report_day["cases"]

    data = making.build("morning_digest", NOW, {})

    summary = _section(data, "summary")["figures"]
    assert summary == {
        "articles": 9,
        "topics": 4,
        "linked_cases": 2,
        "sources": 4,
        "not_relevant": 1,
    }
    topics = _section(data, "press_topics")["topics"]
    assert [(t["group"], len(t["articles"])) for t in topics] == [
        ("case", 4),
        # Equal coverage: the topic with the latest article first.
        ("keywords", 2),
        ("category", 2),
        ("case", 1),
    ]
    assert topics[0]["cases"][0]["code"] == cases["A"].code
    assert topics[0]["cases"][0]["unit"]["code"] == "SO-XD"
    assert topics[0]["cases"][0]["status"] == "received"
    assert topics[1]["keywords"][0] == "giá điện"
    assert topics[2]["category"] == "traffic" and topics[2]["cases"] == []
    assert topics[3]["cases"][0]["code"] == cases["C"].code
    # Newest article first inside a topic.
    assert [a["title"] for a in topics[0]["articles"]][0] == "Triều cường dâng cao"
    assert _section(data, "press_sources")["rows"] == [
        {"source": "Tuổi Trẻ", "articles": 3},
        {"source": "VnExpress", "articles": 3},
        {"source": "Người Lao Động", "articles": 2},
        {"source": "Thanh Niên", "articles": 1},
    ]


def test_evening_report_counts_the_day(report_day, unit_by_code):
    cases = report_day["cases"]

    data = making.build("evening_report", NOW, {})

    assert _section(data, "summary")["figures"] == {
        "new_cases": 4,
        # All four filed by an officer (posts were linked to A and D afterwards).
        "new_cases_posts": 0,
        "new_cases_direct": 0,
        "new_cases_filed": 4,
        "posts": 16,
        "posts_press": 10,
        "posts_social": 5,
        "posts_direct": 1,
        "sla_breaches": 2,
        "responses": 1,
        "reopened_by_citizens": 0,
        "overdue": 2,
    }
    assert _section(data, "new_by_category")["rows"] == [
        {"category": "flooding", "count": 2},
        {"category": "traffic", "count": 1},
        {"category": "security", "count": 1},
    ]
    wards = [
        (r["ward"] and r["ward"]["code"], r["count"]) for r in _section(data, "new_by_ward")["rows"]
    ]
    assert wards == [(WARD_A, 2), (WARD_B, 1), (None, 1)]
    assert (
        _section(data, "new_by_ward")["rows"][0]["ward"]["name_vi"] == unit_by_code(WARD_A).name_vi
    )

    breaches = _section(data, "sla_breaches")
    assert breaches["total"] == 2
    assert {(r["case"]["code"], r["metric"]) for r in breaches["rows"]} == {
        (cases["A"].code, "verify"),
        (cases["C"].code, "verify"),
    }
    responses = _section(data, "responses")
    assert responses["total"] == 1
    assert responses["rows"][0]["case"]["code"] == cases["B"].code
    assert responses["rows"][0]["hours_since_opened"] == 7.0

    overdue = _section(data, "overdue")
    assert [(r["case"]["code"], r["overdue_hours"]) for r in overdue["rows"]] == [
        (cases["C"].code, 6.5),
        (cases["A"].code, 4.0),
    ]
    assert [(r["unit"]["code"], r["count"]) for r in overdue["by_unit"]] == [
        ("SO-NNMT", 1),
        ("SO-XD", 1),
    ]
    assert overdue["by_unit"][1]["unit"]["name_en"] == unit_by_code("SO-XD").name_en

    # trends.hot_topics: the 24 h against the 7 days before. A: 9 mentions against 2 in 7 days,
    # so 2 × 24 / 168 = 0.29 usual and a growth of (9 + 1) / (0.29 + 1) = 7.78. C and D have
    # fewer than the 3 mentions a hot topic needs.
    hot = _section(data, "hot_topics")
    assert [
        (t["case"]["code"], t["mentions"], t["baseline"], t["growth"]) for t in hot["cases"]
    ] == [(cases["A"].code, 9, 0.29, 7.78)]
    assert hot["cases"][0]["channels"] == {"press": 4, "social": 5, "direct": 0}
    keywords = {k["keyword"]: k["mentions"] for k in hot["keywords"]}
    # "ngập": the five social posts and "Kênh Nhiêu Lộc ngập rác"; A's first article says
    # "Ngập sâu", a compound of its own.
    assert keywords["ngập"] == 6
    assert keywords["Nguyễn Hữu Cảnh"] == 3  # a place name, shown as the gazetteer writes it


def test_evening_report_counts_each_response_once_and_explains_new_cases(report_day, unit_by_code):
    from flask_babel import force_locale

    from app.cases import comments, operations
    from app.collectors.models import Post
    from app.extensions import db
    from app.public.operations import give_feedback

    b = report_day["cases"]["B"]  # publicly answered at 15:00
    with time_machine.travel(report_dataset.local(27, 16), tick=False):
        # A public note an hour after the response: a public_reply event too.
        comments.add_comment(b, report_day["admin"], "Đã lắp đèn.", is_public=True)
    # The reporter says it is not solved: the case is reopened, and the report counts it once.
    with force_locale("vi"):
        give_feedback(b, is_solved=False, score=None, now=report_dataset.local(27, 17))
    # Two cases triage opened: one from a social media post, one from a citizen's report.
    for number, channel in ((90, "social"), (91, "direct")):
        case = operations.open_case_for_post(
            {"title": f"Vụ việc {number}", "category": "flooding", "source": "facebook"},
            unit=unit_by_code("SO-XD"),
            now=report_dataset.local(27, 10),
        )
        db.session.flush()
        db.session.add(
            Post(
                source="facebook" if channel == "social" else "citizen",
                external_id=f"origin-{number}",
                channel=channel,
                text=f"Bài {number}",
                posted_at=report_dataset.local(27, 9),
                case_id=case.id,
            )
        )
    db.session.commit()

    data = making.build("evening_report", NOW, {})

    figures = _section(data, "summary")["figures"]
    assert figures["responses"] == 1
    assert figures["reopened_by_citizens"] == 1
    responses = _section(data, "responses")
    assert [row["case"]["code"] for row in responses["rows"]] == [b.code]
    assert responses["rows"][0]["hours_since_opened"] == 7.0
    new = [figures[key] for key in ("new_cases_posts", "new_cases_direct", "new_cases_filed")]
    assert new == [1, 1, 4] and sum(new) == figures["new_cases"] == 6

    report = making.generate("evening_report", at=NOW)
    summary = view.view(report, "en").sections[0]
    assert summary.note.startswith(
        "6 new cases: 1 opened from posts collected, 1 from citizens' reports, "
        "4 filed by staff or imported."
    )
    assert [(row["label"], row["_part"]) for row in summary.rows[:4]] == [
        ("New cases", False),
        ("opened from collected posts", True),
        ("opened from citizens' reports", True),
        ("filed by staff or imported", True),
    ]


def test_a_day_later_the_same_cases_are_no_longer_new(report_day):
    from datetime import timedelta

    cases = report_day["cases"]

    data = making.build("evening_report", NOW + timedelta(days=1), {})

    assert _section(data, "summary")["figures"]["new_cases"] == 0
    assert _section(data, "summary")["figures"]["sla_breaches"] == 0
    # Still not verified: both deadlines are a day more overdue; and A (P1) is not resolved
    # 24 h after it was opened (Fri 13:00 → Sat 13:00).
    overdue = [
        (r["case"]["code"], r["metric"], r["overdue_hours"])
        for r in _section(data, "overdue")["rows"]
    ]
    assert overdue == [
        (cases["C"].code, "verify", 30.5),
        (cases["A"].code, "verify", 28.0),
        (cases["A"].code, "resolve", 5.0),
    ]


def test_a_custom_report_on_a_case(report_day):
    a = report_day["cases"]["A"]

    data = making.build("custom", NOW, {"case": a.code.lower()})

    assert data["params"] == {"case": a.code}
    details = _section(data, "case_details")["case"]
    assert details["code"] == a.code and details["priority"] == "P1"
    spread = {row["channel"]: row for row in _section(data, "channel_spread")["rows"]}
    assert spread["press"]["mentions"] == 5 and spread["social"]["mentions"] == 6
    # Reach: five posts with 10 likes and 2 shares each.
    assert spread["social"]["reach"] == 60
    assert spread["press"]["first_seen_at"].startswith("2026-11-26T03:00")
    assert spread["social"]["first_seen_at"].startswith("2026-11-26T05:00")
    assert spread["social"]["lag_hours"] == 2.0
    assert _section(data, "channel_spread")["first_channel"] == "press"
    assert _section(data, "articles")["total"] == 5
    # From the first post (Thu 10:00) to the last (Fri 17:30): hourly, 32 hours.
    over_time = _section(data, "mentions_over_time")
    assert over_time["granularity"] == "hour"
    assert over_time["labels"][0] == "26/11 10:00" and len(over_time["labels"]) == 32
    assert sum(over_time["series"]["press"]) == 5 and sum(over_time["series"]["social"]) == 6
    assert over_time["series"]["press"][0] == 1
    timeline = [row["kind"] for row in _section(data, "case_timeline")["rows"]]
    assert timeline == ["created", "sla_breached"]


def test_a_custom_report_on_a_topic_ignores_accents(report_day):
    data = making.build(
        "custom", NOW, {"topic": "nguyen huu canh", "from": "2026-11-26", "to": "2026-11-27"}
    )

    cases = _section(data, "topic_cases")
    assert [row["case"]["code"] for row in cases["rows"]] == [report_day["cases"]["A"].code]
    # The three headlines that name Nguyễn Hữu Cảnh, as whole words.
    figures = _section(data, "summary")["figures"]
    assert figures["mentions"] == 3 and figures["mentions_press"] == 3
    assert [a["id"] for a in _section(data, "articles")["rows"]] == [3, 2, 1]


def test_a_custom_report_on_a_date_range(report_day):
    data = making.build("custom", NOW, {"from": "2026-11-27", "to": "2026-11-27"})

    assert data["period"] == {
        "start": "2026-11-26T17:00:00+00:00",
        "end": "2026-11-27T17:00:00+00:00",
    }
    assert _section(data, "summary")["figures"]["new_cases"] == 4
    over_time = _section(data, "mentions_over_time")
    assert (over_time["granularity"], over_time["labels"]) == ("day", ["2026-11-27"])
    assert over_time["series"] == {"press": [9], "social": [5], "direct": [1]}
    assert [t["case"]["code"] for t in _section(data, "hot_topics")["cases"]] == [
        report_day["cases"]["A"].code
    ]
    # Over more than a week, "hot" means nothing: the section is left out.
    longer = making.build("custom", NOW, {"from": "2026-11-01", "to": "2026-11-27"})
    assert "hot_topics" not in [s["type"] for s in longer["sections"]]
    assert _section(longer, "summary")["figures"]["new_cases"] == 5


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "_schema"),
        ({"case": "HCM-NONE-XXXX"}, "case"),
        ({"topic": "x"}, "topic"),
        ({"from": "2026-11-27", "to": "2026-11-20"}, "from"),
        ({"from": "2024-01-01", "to": "2026-11-20"}, "to"),
        ({"topic": "ngập", "case": "HCM-NONE-XXXX"}, "case"),
    ],
)
def test_custom_reports_refuse_what_they_cannot_make(report_day, params, field):
    with pytest.raises(ReportInputError) as error:
        making.build("custom", NOW, params)
    assert field in error.value.errors


def test_a_supervisor_cannot_report_on_a_case_outside_their_units(report_day, create_user):
    supervisor = create_user("supervisor", unit_code="CA-CSGT")

    with pytest.raises(ReportInputError):
        making.build("custom", NOW, {"case": report_day["cases"]["A"].code}, user=supervisor)
    data = making.build("custom", NOW, {"case": report_day["cases"]["B"].code}, user=supervisor)
    assert data["params"]["case"] == report_day["cases"]["B"].code


def test_keyword_clusters_group_titles_that_share_a_phrase():
    clusters = keyword_clusters(
        [
            (1, "Giá điện tăng từ tháng 12"),
            (2, "Người dân lo GIÁ ĐIỆN tăng"),
            (3, "Sạt lở bờ sông Sài Gòn"),
            (4, "Bờ sông Sài Gòn sạt lở nặng"),
            (5, "Lễ hội áo dài"),
        ]
    )

    assert clusters == [
        (["giá điện", "điện tăng"], [1, 2]),
        (["sạt lở", "bờ sông"], [3, 4]),
        ([], [5]),
    ]


# --- rendered -------------------------------------------------------------------------------


def test_the_morning_digest_pdf_reads_back_in_vietnamese_and_english(report_day):
    report = making.generate("morning_digest", at=NOW)
    code = report_day["cases"]["A"].code

    vi = pdf_text(pdf.render(report, "vi"))
    assert "Bản tin điểm báo" in vi
    assert "Tin báo chí theo chủ đề" in vi
    assert "Tin bài báo chí 9" in vi
    assert f"{TITLES['A']} ({code})" in vi
    assert "Nguyễn Hữu Cảnh lại thành sông" in vi
    assert "Giao thông" in vi and "“giá điện”" in vi
    assert "Số tin theo báo" in vi and "Người Lao Động 2" in vi

    en = pdf_text(pdf.render(report, "en"))
    assert "Morning press digest" in en
    assert "Press articles by topic" in en
    assert "Press articles 9" in en
    assert "Traffic" in en
    assert "Bản tin điểm báo" not in en


def test_the_evening_report_pdf_reads_back(report_day, unit_by_code):
    report = making.generate("evening_report", at=NOW)
    cases = report_day["cases"]

    vi = pdf_text(pdf.render(report, "vi"))
    assert "Báo cáo tổng hợp dư luận" in vi
    for heading in (
        "Chủ đề nóng",
        "Vụ việc mới theo lĩnh vực",
        "Vụ việc mới theo phường, xã",
        "Vẫn còn quá hạn",
    ):
        assert heading in vi
    assert "Vụ việc mới 4" in vi
    assert "Ngập nước, thoát nước 2" in vi
    assert f"{unit_by_code(WARD_A).name_vi} {WARD_A} 2" in vi
    assert cases["C"].code in vi and "6,5" in vi
    assert cases["B"].code in vi

    en = pdf_text(pdf.render(report, "en"))
    assert "Evening public-opinion report" in en
    assert "New cases 4" in en
    assert "Flooding and drainage 2" in en
    assert f"{unit_by_code(WARD_A).name_en} {WARD_A} 2" in en
    assert "6.5" in en


def test_the_custom_reports_pdfs_read_back(report_day):
    a = report_day["cases"]["A"]
    on_case = making.generate("custom", at=NOW, params={"case": a.code})
    on_topic = making.generate("custom", at=NOW, params={"topic": "giá điện"})
    on_range = making.generate("custom", at=NOW, params={"from": "2026-11-27", "to": "2026-11-27"})

    text = pdf_text(pdf.render(on_case, "vi"))
    assert f"Báo cáo vụ việc {a.code}" in text and TITLES["A"] in text
    assert "Báo chí và mạng xã hội" in text
    text = pdf_text(pdf.render(on_topic, "vi"))
    assert "Báo cáo theo chủ đề “giá điện”" in text
    assert "Giá điện tăng từ tháng 12" in text
    text = pdf_text(pdf.render(on_range, "en"))
    assert "Report from" in text and "New cases 4" in text


def test_the_xlsx_has_a_sheet_per_section(report_day):
    report = making.generate("evening_report", at=NOW)

    workbook = load_workbook(io.BytesIO(xlsx.render(report, "vi")))

    assert workbook.sheetnames == [
        "Báo cáo",
        "Số liệu chính",
        "Chủ đề nóng",
        "Từ khóa đang tăng",
        "Vụ việc mới theo lĩnh vực",
        "Vụ việc mới theo phường, xã",
        "Thời hạn bị trễ",
        "Phản hồi công khai đã đăng",
        "Vẫn còn quá hạn",
    ]
    hot = list(workbook["Chủ đề nóng"].iter_rows(values_only=True))
    # The workbook keeps the per-channel figures that the PDF shows as a chart.
    assert hot[0][-3:] == ("Báo chí", "Mạng xã hội", "Phản ánh trực tiếp")
    assert hot[1][0] == report_day["cases"]["A"].code and hot[1][-3:] == (4, 5, 0)
    rows = list(workbook["Vụ việc mới theo lĩnh vực"].iter_rows(values_only=True))
    assert rows == [
        ("Lĩnh vực", "Vụ việc mới"),
        ("Ngập nước, thoát nước", 2),
        ("Giao thông", 1),
        ("An ninh trật tự, an toàn", 1),
    ]
    english = load_workbook(io.BytesIO(xlsx.render(report, "en")))
    assert "New cases by category" in english.sheetnames


def test_the_pdf_fetches_nothing_but_inline_data():
    fetcher = pdf.offline_fetcher()

    for address in (
        "https://cdn.example.com/chart.js",
        "http://10.0.0.1/x.png",
        "file:///etc/passwd",
    ):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher(address)
    assert fetcher("data:text/plain;base64,eGluIGNow6Bv").read() == "xin chào".encode()


def test_a_post_address_that_is_not_http_is_never_a_link(report_day):
    from app.collectors.models import Post
    from app.extensions import db

    post = db.session.scalar(db.select(Post).where(Post.external_id == "report-test-2"))
    post.url = "javascript:alert(document.cookie)"
    db.session.commit()
    report = making.generate("morning_digest", at=NOW)

    page = html.render(report, "vi")
    assert "Nguyễn Hữu Cảnh lại thành sông" in page  # still listed, as text
    assert 'href="javascript' not in page
    assert 'href="https://news.example.vn/1"' in page  # the http(s) ones stay links
    links = [
        str(annotation.get_object()["/A"].get("/URI"))
        for page in PdfReader(io.BytesIO(pdf.render(report, "vi"))).pages
        for annotation in page.get("/Annots") or []
        if "/A" in annotation.get_object()
    ]
    assert "https://news.example.vn/1" in links
    assert not [link for link in links if not link.startswith("http")], links
