"""The trends dashboard and the press-vs-social page, as their users see them, and their
downloads."""

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from app.extensions import db
from app.stats.models import SpikeAlert
from app.stats.trends import maths
from tests.stats.trend_dataset import NOW, at, make_hot_topics, make_spread_case, post


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


@pytest.fixture
def signed_in(app, create_user, login):
    def factory(role="analyst", unit_code="UBND-TP"):
        test_client = app.test_client()
        login(create_user(role, unit_code=unit_code), test_client)
        return test_client

    return factory


def _text(html: str) -> str:
    """The page's words, without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _spike():
    db.session.add(
        SpikeAlert(dimension="category", key="flooding", label="flooding", volume=9,
                   window_end=NOW - timedelta(hours=3), baseline_mean=3.0, baseline_std=2.65, k=2)
    )  # fmt: skip
    db.session.commit()


def test_the_dashboard_shows_hot_topics_spikes_and_charts(app_context, admin, signed_in):
    cases = make_hot_topics(admin)
    _spike()
    db.session.add_all(
        [post(NOW - timedelta(hours=2), sentiment="negative", channel="press") for _ in range(3)]
        + [post(NOW - timedelta(hours=2), sentiment="positive")]
    )
    db.session.commit()

    page = signed_in().get("/stats/trends").get_data(as_text=True)
    text = _text(page)

    assert "Xu hướng" in text
    assert cases["Y"].title in text and cases["X"].title in text
    assert cases["Z"].title not in text  # not rising
    assert f"/cases/{cases['Y'].id}" in page
    assert "kẹt xe" in text and "cầu Sài Gòn" in text
    assert "ngập nước" in text and "Nguyễn Hữu Cảnh" in text
    assert "Ngập nước, thoát nước" in text  # the spike's category, translated
    assert "3,0 ± 2,6" in text
    assert text.count("<svg") == 0 and page.count("<svg") >= 2  # charts inline, no script
    assert '<script src="http' not in page
    assert "75,0% tiêu cực" in text
    assert 'href="/stats/trends?format=csv&amp;table=keywords"' in page


def test_the_filters_stay_in_the_url(app_context, admin, signed_in):
    make_hot_topics(admin)

    page = (
        signed_in()
        .get("/stats/trends?window=6&from=2026-12-01&to=2026-12-09")
        .get_data(as_text=True)
    )

    assert '<option value="6" selected>' in page
    assert 'name="from" type="date" value="2026-12-01"' in page
    assert 'name="to" type="date" value="2026-12-09"' in page
    assert "/stats/trends?window=6&amp;from=2026-12-01&amp;to=2026-12-09&amp;format=xlsx" in page


def test_bad_filters_fall_back_with_a_message(app_context, signed_in):
    page = signed_in().get("/stats/trends?window=abc&from=nope").get_data(as_text=True)

    assert '<option value="24" selected>' in page
    assert "flash-error" in page


def test_csv_and_xlsx_downloads(app_context, admin, signed_in):
    cases = make_hot_topics(admin)
    _spike()
    client = signed_in()

    hot = client.get("/stats/trends?format=csv&table=hot_cases")
    workbook = client.get("/stats/trends?format=xlsx")
    keywords = client.get("/stats/trends?format=csv&table=keywords&lang=en")

    assert hot.headers["Content-Disposition"] == 'attachment; filename="trends-hot_cases.csv"'
    rows = _csv(hot)
    assert rows[0][:2] == ["Vụ việc", "Tiêu đề"]
    assert [row[0] for row in rows[1:]] == [cases["Y"].code, cases["X"].code]
    assert _csv(keywords) == [
        ["Keyword", "Posts in the window", "Usual for the window", "Growth (×)", "Related words"],
        ["kẹt xe", "4", "0.0", "5.0", "cầu Sài Gòn"],
        ["ngập nước", "3", "1.0", "2.0", "Nguyễn Hữu Cảnh"],
    ]
    sheets = load_workbook(io.BytesIO(workbook.get_data()))
    assert len(sheets.sheetnames) == 5
    spikes = sheets.worksheets[2]
    assert [cell.value for cell in spikes[2]][1:5] == ["Lĩnh vực", "Ngập nước, thoát nước", 9, 3.0]
    assert client.get("/stats/trends?format=pdf&table=keywords").status_code == 400
    assert client.get("/stats/trends?format=csv&table=nope").status_code == 400
    assert client.get("/stats/trends?format=csv").status_code == 400


@pytest.mark.parametrize(("role", "status"), [("officer", 403), ("supervisor", 200)])
def test_who_sees_the_dashboard(app_context, signed_in, role, status):
    client = signed_in(role, "SO-XD")

    assert client.get("/stats/trends").status_code == status
    navigation = client.get("/cases").get_data(as_text=True)
    assert ('href="/stats/trends"' in navigation) is (status == 200)


def test_the_spread_page_of_a_case(app_context, admin, signed_in):
    case = make_spread_case(admin)
    client = signed_in("officer", "SO-XD")

    page = client.get(f"/stats/spread?case={case.code}").get_data(as_text=True)
    text = _text(page)
    detail = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert f"/stats/spread?case={case.code}" in detail
    assert case.title in text
    assert "Xuất hiện đầu tiên trên Mạng xã hội." in text
    assert "https://vnexpress.net/ngap-1" in page
    press = re.search(r"<tr>\s*<th scope=\"row\"[^>]*>Báo chí</th>(.*?)</tr>", page, re.S).group(1)
    assert [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", press, re.S)] == [
        "2", "08/12/2026 11:00 · bài đầu tiên", "3,0", "0", "0", "0", "1.200", "1.200",
    ]  # fmt: skip
    assert 'name="q"' not in page  # officers search no topics
    channels = _csv(client.get(f"/stats/spread?case={case.code}&format=csv&table=channels"))
    assert channels[0][:3] == ["Kênh", "Số bài", "Xuất hiện lần đầu"]
    assert channels[2][:2] == ["Mạng xã hội", "3"]
    assert channels[2][8] == "516"


def test_an_officer_cannot_see_another_units_case_or_topics(app_context, admin, signed_in):
    case = make_spread_case(admin)
    client = signed_in("officer", "SO-YT")

    assert client.get(f"/stats/spread?case={case.code}").status_code == 404
    assert client.get("/stats/spread?q=ngap").status_code == 403


def test_the_spread_page_of_a_topic(app_context, signed_in):
    db.session.add_all(
        [
            post(at(9, day=8), "Ngập nặng ở Thảo Điền", channel="social", likes=4),
            post(at(10, day=8), "Thảo Điền lại ngập", channel="press", views=100),
        ]
    )
    db.session.commit()
    client = signed_in()

    empty = client.get("/stats/spread").get_data(as_text=True)
    page = client.get("/stats/spread?q=ngập&from=2026-12-08&to=2026-12-08").get_data(as_text=True)
    bad = client.get("/stats/spread?q=ngập&from=2026-01-01&to=2026-12-08").get_data(as_text=True)

    assert 'name="q"' in empty and "<svg" not in empty
    assert "Xuất hiện đầu tiên trên Mạng xã hội." in _text(page)
    assert 'value="ngập"' in page
    assert page.count("<svg") >= 2  # volume and reach
    assert "92" in _text(bad) and "flash-error" in bad
    volume = _csv(
        client.get("/stats/spread?q=ngập&from=2026-12-08&to=2026-12-08&format=csv&table=volume")
    )
    assert volume[0] == ["Giờ", "Báo chí", "Mạng xã hội", "Phản ánh trực tiếp"]
    assert ["2026-12-08 09:00", "0", "1", "0"] in volume
    assert ["2026-12-08 10:00", "1", "0", "0"] in volume


def test_window_choices_are_the_module_s(app_context, signed_in):
    page = signed_in().get("/stats/trends").get_data(as_text=True)

    assert all(f'<option value="{hours}"' in page for hours in maths.WINDOW_CHOICES)
