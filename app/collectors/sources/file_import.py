"""Import posts from a JSONL or CSV file (by extension), one record per line or row.

Records use the flat shape of `generic.py`; in CSV, `media_urls` is a
space/comma/| separated cell. A bad line (not UTF-8, not JSON, a NUL, a value
the database cannot hold...) is reported with its line number and the reason,
and the rest of the file is still imported.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.collectors.base import InvalidItem, PostData
from app.collectors.sources.generic import post_from_record

DEFAULT_SOURCE = "import"
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}
NOT_UTF8 = "line is not valid UTF-8"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportRejection:
    """A line of an import file that did not become a post, and why."""

    line_number: int
    reason: str


def iter_import_file(
    path: str | Path, source: str | None = None
) -> Iterator[PostData | ImportRejection]:
    """Yield a `PostData` or an `ImportRejection` for each record of a .jsonl/.ndjson/.csv file.

    `source` forces the source of every record; otherwise each record's own
    `source` field is used, defaulting to `import`.
    """
    for _, item in iter_import_lines(path, source):
        yield item


def iter_import_lines(
    path: str | Path, source: str | None = None
) -> Iterator[tuple[int, PostData | ImportRejection]]:
    """Like `iter_import_file`, each item with the line its record starts on.

    Every record is checked against what the database can store (`check_storable`),
    so a record that would fail its whole batch is rejected here, alone.
    A file that cannot be read at all (unknown extension, a CSV header that is
    not UTF-8) raises `ValueError` with a readable message.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from _iter_jsonl(path, source)
    elif suffix in CSV_SUFFIXES:
        yield from _iter_csv(path, source)
    else:
        raise ValueError(f"cannot import {path.name}: expected .jsonl, .ndjson or .csv")


def _to_post(record: object, line_number: int, source: str | None) -> PostData | ImportRejection:
    try:
        return post_from_record(record, source=source, default_source=DEFAULT_SOURCE)
    except InvalidItem as error:
        return ImportRejection(line_number, str(error))
    except Exception as error:  # untrusted input: whatever one line does costs that line only
        log.info("import line %d rejected", line_number, exc_info=True)
        return ImportRejection(line_number, f"unreadable record: {type(error).__name__}: {error}")


def _iter_jsonl(path: Path, source: str | None) -> Iterator[tuple[int, PostData | ImportRejection]]:
    # Bytes, decoded per line, so one badly encoded line costs that line only.
    with path.open("rb") as handle:
        for line_number, raw_line in enumerate(handle, start=1):
            try:
                line = raw_line.decode("utf-8-sig" if line_number == 1 else "utf-8").strip()
            except UnicodeDecodeError:
                yield line_number, ImportRejection(line_number, NOT_UTF8)
                continue
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                reason = f"invalid JSON: {error.msg} at column {error.colno}"
                yield line_number, ImportRejection(line_number, reason)
                continue
            except (ValueError, RecursionError) as error:  # a 5000-digit number, deep nesting
                yield line_number, ImportRejection(line_number, f"invalid JSON: {error}")
                continue
            yield line_number, _to_post(record, line_number, source)


def _decoded_lines(handle: BinaryIO, not_utf8: set[int]) -> Iterator[str]:
    """The file's lines as text, numbered from 1; a line that is not UTF-8 is decoded with
    replacement characters and its number added to `not_utf8`, so the caller rejects its record.

    Splits at \\n, \\r\\n and a lone \\r, as the csv module does.
    """
    number = 0
    for chunk in handle:
        for raw in chunk.splitlines(keepends=True):
            number += 1
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                not_utf8.add(number)
                yield raw.decode("utf-8", errors="replace")


def _iter_csv(path: Path, source: str | None) -> Iterator[tuple[int, PostData | ImportRejection]]:
    # Bytes decoded line by line (utf-8-sig: Windows spreadsheets start with a byte-order
    # mark), so one badly encoded line costs its record only.
    not_utf8: set[int] = set()
    with path.open("rb") as handle:
        reader = csv.reader(_decoded_lines(handle, not_utf8))
        header: list[str] | None = None
        last_line = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                first_line, last_line = last_line + 1, reader.line_num
                not_utf8.difference_update(range(first_line, last_line + 1))
                yield first_line, ImportRejection(first_line, f"unreadable CSV: {error}")
                continue
            first_line, last_line = last_line + 1, reader.line_num
            broken = sorted(n for n in not_utf8 if n <= last_line)
            not_utf8.difference_update(broken)
            if not row or not any(cell.strip() for cell in row):
                continue
            if header is None:
                if broken:
                    raise ValueError(
                        f"cannot import {path.name}: the header line is not valid UTF-8"
                    )
                header = [name.strip() for name in row]
                continue
            if broken:
                where = "" if broken == [first_line] else f" (line {broken[0]})"
                yield first_line, ImportRejection(first_line, NOT_UTF8 + where)
                continue
            if len(row) > len(header):
                yield first_line, ImportRejection(first_line, "more cells than header columns")
                continue
            record = {key: value for key, value in zip(header, row, strict=False) if value != ""}
            if not record:
                continue
            yield first_line, _to_post(record, first_line, source)
