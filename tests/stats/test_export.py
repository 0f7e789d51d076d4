"""CSV and XLSX downloads read back as the table the user saw."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from werkzeug.exceptions import BadRequest

from app.stats.export import table_response, xlsx_bytes

COLUMNS = [("unit", "Đơn vị"), ("count", "Số vụ"), ("median", "Trung vị (giờ)"), ("at", "Lúc")]
ROWS = [
    {
        "unit": "Phường Tân Thuận",
        "count": 3,
        "median": 2.5,
        "at": datetime(2026, 11, 27, 1, 30, tzinfo=UTC),
    },
    {"unit": "Sở Xây dựng", "count": 1, "median": None, "at": None},
]


def test_csv_has_a_bom_and_local_times(app_context):
    response = table_response(COLUMNS, ROWS, "thoi gian/xu ly", "csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="thoi-gian-xu-ly.csv"'
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [
        ["Đơn vị", "Số vụ", "Trung vị (giờ)", "Lúc"],
        ["Phường Tân Thuận", "3", "2.5", "2026-11-27 08:30"],
        ["Sở Xây dựng", "1", "", ""],
    ]


def test_xlsx_keeps_numbers_as_numbers(app_context):
    response = table_response(COLUMNS, ROWS, "handling", "xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[1]] == ["Đơn vị", "Số vụ", "Trung vị (giờ)", "Lúc"]
    assert [c.value for c in sheet[2]] == [
        "Phường Tân Thuận",
        3,
        2.5,
        datetime(2026, 11, 27, 8, 30),
    ]


def test_workbook_with_several_sheets_gets_unique_valid_names():
    data = xlsx_bytes([("Vụ việc: mới", COLUMNS, ROWS), ("Vụ việc? mới", COLUMNS, [])])
    assert load_workbook(io.BytesIO(data)).sheetnames == ["Vụ việc  mới", "Vụ việc  mới (2)"]


def test_unknown_format_is_refused(app_context):
    with pytest.raises(BadRequest, match="format must be one of: csv, xlsx"):
        table_response(COLUMNS, ROWS, "x", "pdf")


HOSTILE = [
    {"unit": "=1+1", "count": 1, "median": None, "at": None},
    {"unit": '=HYPERLINK("http://evil.invalid","bấm")', "count": 2, "median": None, "at": None},
    {"unit": "@SUM(A1:A2)", "count": 3, "median": None, "at": None},
    {"unit": "Rác\u000b ùn ứ\x00", "count": 4, "median": -1.5, "at": None},
    {"unit": "+1+1", "count": 5, "median": None, "at": None},
    {"unit": "-2+3", "count": 6, "median": None, "at": None},
]


def test_text_people_wrote_never_becomes_a_spreadsheet_formula(app_context):
    sheet = load_workbook(
        io.BytesIO(table_response(COLUMNS, HOSTILE, "x", "xlsx").get_data())
    ).active
    cells = [sheet.cell(row=n, column=1) for n in range(2, 8)]
    assert [cell.value for cell in cells] == [
        "=1+1",
        '=HYPERLINK("http://evil.invalid","bấm")',
        "@SUM(A1:A2)",
        "Rác ùn ứ",  # the vertical tab and NUL are dropped, the file still opens
        "+1+1",
        "-2+3",
    ]
    assert {cell.data_type for cell in cells} == {"s"}
    assert sheet.cell(row=5, column=3).value == -1.5  # numbers stay numbers

    body = table_response(COLUMNS, HOSTILE, "x", "csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert [row[0] for row in rows[1:]] == [
        "'=1+1",
        '\'=HYPERLINK("http://evil.invalid","bấm")',
        "'@SUM(A1:A2)",
        "Rác ùn ứ",
        "'+1+1",
        "'-2+3",
    ]
    assert rows[4][2] == "-1.5"
