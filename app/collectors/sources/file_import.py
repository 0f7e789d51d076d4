"""Import posts from a JSONL or CSV file (by extension), one record per line or row.

Records use the flat shape of `generic.py`; in CSV, `media_urls` is a
space/comma/| separated cell. A bad line is reported with its line number and
the rest of the file is still imported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.collectors.base import InvalidItem, PostData
from app.collectors.sources.generic import post_from_record

DEFAULT_SOURCE = "import"
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}


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
    except (InvalidItem, TypeError, ValueError, AttributeError) as error:
        return ImportRejection(line_number, str(error))


def _iter_jsonl(path: Path, source: str | None) -> Iterator[PostData | ImportRejection]:
    # Bytes, decoded per line, so one badly encoded line costs that line only.
    with path.open("rb") as handle:
        for line_number, raw_line in enumerate(handle, start=1):
            try:
                line = raw_line.decode("utf-8-sig" if line_number == 1 else "utf-8").strip()
            except UnicodeDecodeError:
                yield ImportRejection(line_number, "line is not valid UTF-8")
                continue
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield ImportRejection(
                    line_number, f"invalid JSON: {error.msg} at column {error.colno}"
                )
                continue
            yield _to_post(record, line_number, source)


def _iter_csv(path: Path, source: str | None) -> Iterator[PostData | ImportRejection]:
    # utf-8-sig: spreadsheets exported on Windows start with a byte-order mark.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield ImportRejection(reader.line_num, f"unreadable CSV: {error}")
                continue
            line_number = reader.line_num
            if None in row:
                yield ImportRejection(line_number, "more cells than header columns")
                continue
            record = {key: value for key, value in row.items() if value not in (None, "")}
            if not record:
                continue
            yield _to_post(record, line_number, source)
