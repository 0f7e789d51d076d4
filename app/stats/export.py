"""Tables taken away as CSV or XLSX.

CSV is UTF-8 with a byte-order mark, so that Excel opens Vietnamese text correctly; XLSX is
written with openpyxl, one sheet per table, numbers kept as numbers and times as local times.
Text people wrote never becomes a formula (OWASP's CSV injection advice): in XLSX it is
stored as text, in CSV it gets a leading "'" when it starts with = + - @; control
characters are dropped.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response, abort
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.core.time import HCMC

FORMATS = ("csv", "xlsx")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: (key in each row, column heading shown to people)
Columns = Sequence[tuple[str, str]]


#: Characters an XLSX file (XML) cannot hold: a case title with one would break the export.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Text starting with one of these is a formula to Excel, LibreOffice and Google Sheets
#: ("=HYPERLINK(…)" in a citizen's report), so it is written as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """A value as a spreadsheet cell: local naive time for datetimes, text for anything odd,
    without control characters."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(HCMC).replace(tzinfo=None)
        return value
    if value is None or isinstance(value, int | float | date):
        return value
    return _CONTROL_CHARACTERS.sub("", str(value))


def _csv_text(value):
    """A CSV field: a leading "'" keeps text that looks like a formula from running."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _row_values(columns: Columns, row) -> list:
    if isinstance(row, dict):
        return [_cell(row.get(key)) for key, _ in columns]
    return [_cell(value) for value in row]


def csv_bytes(columns: Columns, rows: Iterable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(label) for _, label in columns])
    for row in rows:
        values = _row_values(columns, row)
        writer.writerow([_csv_text(value) for value in values])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _sheet_title(title: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    base = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def xlsx_bytes(sheets: Sequence[tuple[str, Columns, Iterable]]) -> bytes:
    """A workbook with one sheet per (title, columns, rows)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(_sheet_title(title, taken))
        sheet.append([str(label) for _, label in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        widths = [len(str(label)) for _, label in columns]
        for row in rows:
            values = _row_values(columns, row)
            sheet.append(values)
            for i, value in enumerate(values[: len(widths)]):
                widths[i] = max(widths[i], min(len(str(value)) if value is not None else 0, 60))
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(cell.value, float):
                    # A number stays a number; the spreadsheet shows it with the reader's separators.
                    cell.number_format = "#,##0.0#"
                elif cell.data_type == "f":  # text starting with "=": kept as text
                    cell.data_type = "s"
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width + 2
    if not workbook.worksheets:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_response(columns: Columns, rows: Iterable, filename: str, fmt: str) -> Response:
    """The table as a download named `filename`.csv or .xlsx; 400 for another format."""
    if fmt not in FORMATS:
        abort(400, description=f"format must be one of: {', '.join(FORMATS)}")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "export"
    if fmt == "csv":
        body, mimetype = csv_bytes(columns, rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = xlsx_bytes([(safe, columns, rows)]), XLSX_MIMETYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )
