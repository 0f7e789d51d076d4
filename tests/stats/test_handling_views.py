"""The handling-time and backlog pages as users see them, and their CSV/XLSX downloads."""

import csv
import io
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from tests.stats.handling_dataset import build

RANGE = "from=2026-12-07&to=2026-12-14"


class Tables(HTMLParser):
    """The text of every table cell, as tables → rows → cells."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(response) -> list[list[list[str]]]:
    return Tables(response.get_data(as_text=True)).tables


@pytest.fixture
def cases(create_user):
    return build(create_user("admin", unit_code="UBND-TP"))


@pytest.fixture
def analyst(create_user, login):
    return login(create_user("analyst", unit_code="VP-UBND"))


def test_an_analyst_reads_verification_times_by_unit(client, cases, analyst):
    response = client.get(f"/stats/handling-time?stage=verified&group_by=unit&{RANGE}&lang=en")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "6 cases reached this stage from 7 Dec 2026 to 14 Dec 2026." in page
    # The total: working median 3.25 h, p90 8.25 h; calendar median 4 h; 3 of 5 on time.
    assert "Median 3.25 working hours (p90 8.25), 4.00 calendar hours; on time: 60.0%." in page
    assert "<svg" in page and "Receipt → verified, working hours" in page
    (table,) = tables(response)
    assert table[0][:3] == ["Group", "Cases ▼", "Median, working h"]
    assert table[1:] == [
        [
            "Department of Construction",
            "5",
            "2.00",
            "5.70",
            "2.80",
            "2.00",
            "7.20",
            "3.70",
            "75.0%",
        ],
        [
            "Department of Health",
            "1",
            "10.00",
            "10.00",
            "10.00",
            "26.00",
            "26.00",
            "26.00",
            "0.0%",
        ],
        ["All", "6", "3.25", "8.25", "4.00", "4.00", "17.00", "7.42", "60.0%"],
    ]
    # The filters stay in the URL and in the form.
    assert 'name="from" type="date" value="2026-12-07"' in page
    assert '<option value="verified" selected>' in page
    assert 'href="/stats/handling-time"' in page and ">Statistics<" in page


def test_sorting_by_a_column(client, cases, analyst):
    url = f"/stats/handling-time?stage=verified&group_by=category&{RANGE}&lang=en"

    ascending = tables(client.get(url + "&sort=working_median"))[0]
    descending = tables(client.get(url + "&sort=-working_median"))[0]

    # Working medians: traffic 0 (D), flooding 1 (E 1, A 2, B 4.5), urban order 6.5, health 10.
    assert [row[0] for row in ascending[1:-1]] == [
        "Traffic",
        "Flooding and drainage",
        "Urban order and construction",
        "Health",
    ]
    assert [row[0] for row in descending[1:-1]] == [
        "Health",
        "Urban order and construction",
        "Flooding and drainage",
        "Traffic",
    ]
    assert ascending[0][2] == "Median, working h ▲"


def test_an_officer_sees_only_their_unit(client, cases, create_user, login):
    login(create_user("officer", unit_code="SO-YT"))

    response = client.get(f"/stats/handling-time?stage=resolved&{RANGE}&lang=en")

    (table,) = tables(response)
    assert [row[0] for row in table[1:]] == ["Department of Health", "All"]
    page = response.get_data(as_text=True)
    assert "Department of Construction" not in page
    # The unit filter is not offered: only their unit is theirs to see.
    assert '<select id="unit"' not in page


def test_long_tables_are_paged(client, cases, analyst):
    url = "/stats/handling-time?stage=resolved&group_by=period&period=day"
    url += "&from=2026-11-20&to=2026-12-29&lang=en"

    first = client.get(url)
    second = client.get(url + "&page=2")

    # 40 days: 25 on the first page, 15 on the second, in date order, the total at the end.
    first_rows, second_rows = tables(first)[0][1:], tables(second)[0][1:]
    assert len(first_rows) == 26 and first_rows[0][0] == "20 Nov 2026"
    assert len(second_rows) == 16 and second_rows[-2][0] == "29 Dec 2026"
    assert "Page 1 of 2" in first.get_data(as_text=True)
    assert second_rows[-1][:2] == ["All", "4"]


def test_bad_filters_are_explained(client, cases, analyst):
    response = client.get("/stats/handling-time?group_by=mood&from=2026-31-12&lang=en")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "must be one of: unit, category, source, ward, district, period" in page
    assert "not a date: write YYYY-MM-DD" in page


def test_csv_and_xlsx_downloads_hold_the_whole_table(client, cases, analyst):
    url = f"/stats/handling-time?stage=verified&group_by=unit&{RANGE}&lang=en"

    csv_response = client.get(url + "&format=csv")
    xlsx_response = client.get(url + "&format=xlsx")

    assert csv_response.headers["Content-Disposition"] == (
        'attachment; filename="handling-time-verified-by-unit-2026-12-07-2026-12-14.csv"'
    )
    rows = list(csv.reader(io.StringIO(csv_response.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["Group", "Code", "Cases", "Median, working hours"]
    assert rows[1] == [
        "Department of Construction",
        "SO-XD",
        "5",
        "2.0",
        "5.7",
        "2.8",
        "2.0",
        "7.2",
        "3.7",
        "75.0",
        "3",
        "4",
    ]
    assert rows[-1][:4] == ["All", "total", "6", "3.25"]
    sheet = load_workbook(io.BytesIO(xlsx_response.get_data())).active
    values = list(sheet.values)
    assert values[1][:6] == ("Department of Construction", "SO-XD", 5, 2.0, 5.7, 2.8)
    assert values[2][0] == "Department of Health" and values[2][9] == 0.0
    assert len(values) == 4


def test_the_backlog_page(client, cases, create_user, login):
    login(create_user("supervisor", unit_code="UBND-TP"))

    response = client.get(f"/stats/backlog?group_by=category&period=week&{RANGE}&lang=en")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Open cases by age" in page and "Cases opened and resolved" in page
    backlog, volumes = tables(response)
    assert backlog[0] == [
        "Category",
        "under 1 day",
        "1–3 days",
        "3–7 days",
        "7–14 days",
        "14–30 days",
        "over 30 days",
        "Total",
    ]
    # Open: B, C, D (resolved) and F (in progress): one of each of four categories.
    assert sorted(row[0] for row in backlog[1:-1]) == [
        "Flooding and drainage",
        "Health",
        "Traffic",
        "Urban order and construction",
    ]
    assert backlog[-1][0] == "All" and backlog[-1][-1] == "4"
    # Opened: six in the week of 7 Dec; resolved: A, B that week, C, D the next.
    assert volumes[1:] == [
        ["Week of 7 Dec 2026", "6", "2"],
        ["Week of 14 Dec 2026", "0", "2"],
        ["All", "6", "4"],
    ]
    download = client.get(
        f"/stats/backlog?group_by=category&period=week&{RANGE}&format=csv&table=volumes&lang=en"
    )
    rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert rows == [
        ["Period", "Start", "Cases opened", "Cases resolved"],
        ["Week of 7 Dec 2026", "2026-12-07", "6", "2"],
        ["Week of 14 Dec 2026", "2026-12-14", "0", "2"],
    ]
    backlog_csv = client.get("/stats/backlog?group_by=unit&format=csv&lang=en")
    backlog_rows = list(csv.reader(io.StringIO(backlog_csv.get_data().decode("utf-8-sig"))))
    assert backlog_rows[0][:3] == ["Group", "Code", "under 1 day"]
    assert backlog_rows[-1][0] == "All" and backlog_rows[-1][-1] == "4"


def test_the_pages_speak_vietnamese_by_default(client, cases, analyst):
    page = client.get(f"/stats/handling-time?stage=verified&{RANGE}").get_data(as_text=True)

    assert "Thời gian xử lý" in page and "Sở Xây dựng" in page
