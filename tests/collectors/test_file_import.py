"""CSV and JSONL import: good lines kept, bad lines reported with their line number."""

import json
import re

import pytest

from app.collectors.base import PostData
from app.collectors.sources.file_import import ImportRejection, iter_import_file


def split(results):
    posts = [r for r in results if isinstance(r, PostData)]
    rejections = [(r.line_number, r.reason) for r in results if isinstance(r, ImportRejection)]
    return posts, rejections


def test_jsonl_with_bad_lines(tmp_path):
    lines = [
        json.dumps(
            {
                "id": "a1",
                "text": "Kẹt xe ở vòng xoay Phú Lâm",
                "posted_at": "2025-09-01T07:30:00",
                "source": "facebook-export",
                "author_handle": "u1",
                "likes": 5,
            },
            ensure_ascii=False,
        ),
        '{"id": "a2", "text": "thiếu dấu ngoặc"',
        "",
        json.dumps({"id": "a3", "posted_at": "2025-09-01T08:00:00Z"}),
        json.dumps(["not", "an", "object"]),
        json.dumps(
            {"id": "a4", "text": "Ngập ở Tân Phú", "posted_at": "2025-09-01T09:00:00Z"},
            ensure_ascii=False,
        ),
    ]
    path = tmp_path / "posts.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "a5", "text": "\xff\xfe"}\n')

    posts, rejections = split(list(iter_import_file(path)))

    assert [(p.source, p.external_id) for p in posts] == [
        ("facebook-export", "a1"),
        ("import", "a4"),
    ]
    # A time without offset is Ho Chi Minh City time.
    assert posts[0].posted_at.isoformat() == "2025-09-01T00:30:00+00:00"
    assert posts[0].likes == 5
    assert [number for number, _ in rejections] == [2, 4, 5, 7]
    assert rejections[0][1].startswith("invalid JSON")
    assert rejections[1][1] == "missing text"
    assert rejections[2][1] == "record is not a JSON object"
    assert rejections[3][1] == "line is not valid UTF-8"


def test_csv_with_bom_bad_date_and_extra_cells(tmp_path):
    path = tmp_path / "bao-cao.csv"
    path.write_text(
        "id,text,posted_at,author_name,place,lat,lon,media_urls\n"
        'c1,"Cống nghẹt, nước tràn lên vỉa hè",2025-09-02T06:00:00+07:00,Tổ dân phố 3,'
        "Phường Tân Định,10.79,106.69,https://a.example/1.jpg|https://a.example/2.jpg\n"
        "c2,Sụt lún mặt đường,hôm qua,,,,,\n"
        "c3,Mất điện,2025-09-02T07:00:00Z,,,,,,extra\n"
        "c4,Cúp nước cả khu,2025-09-02T08:00:00Z,,,,,\n",
        encoding="utf-8-sig",
    )

    posts, rejections = split(list(iter_import_file(path, source="hotline")))

    assert [(p.source, p.external_id) for p in posts] == [("hotline", "c1"), ("hotline", "c4")]
    first = posts[0]
    assert first.text == "Cống nghẹt, nước tràn lên vỉa hè"
    assert first.posted_at.isoformat() == "2025-09-01T23:00:00+00:00"
    assert first.place_hints == {"place_name": "Phường Tân Định", "lat": 10.79, "lon": 106.69}
    assert first.media_urls == ["https://a.example/1.jpg", "https://a.example/2.jpg"]
    assert rejections == [(3, "bad date 'hôm qua'"), (4, "more cells than header columns")]


def test_unknown_extension_is_refused(tmp_path):
    path = tmp_path / "posts.xlsx"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="jsonl"):
        list(iter_import_file(path))


# --- every good line is kept; each bad line is rejected with its number (issue 15, item 2) ----

GOOD = {"posted_at": "2026-11-27T08:00:00+07:00", "source": "facebook"}


def _good(external_id: str) -> dict:
    return {"id": external_id, "text": f"Ngập sâu ở đường số {external_id}", **GOOD}


#: One of each line that used to abort `collect import` and lose its batch, and why it is refused.
BAD_JSONL = [
    ({**_good("nul-text"), "text": "Ngập\u0000 sâu"}, "NUL character in text"),
    ({**_good("nul\u0000id")}, "NUL character in id"),
    ({**_good("nul-author"), "author_name": "Nguyễn\u0000"}, "NUL character in author_name"),
    ({**_good("nul-handle"), "author_handle": "u\u0000"}, "NUL character in author_handle"),
    ({**_good("likes"), "likes": 99999999999}, "likes must be between 0 and 2147483647"),
    ({**_good("shares"), "shares": "99999999999"}, "shares must be between 0 and 2147483647"),
    ({**_good("name"), "author_name": "A" * 201}, "author_name is longer than 200 characters"),
    ({**_good("lang"), "language": "vi-VN-x-hcm"}, "language is longer than 8 characters"),
    ({**_good("parent"), "parent_id": "p" * 256}, "parent_id is longer than 255 characters"),
    ({**_good("long-id"), "id": "i" * 256}, "id is longer than 255 characters"),
    ({**_good("surrogate"), "text": "Ngập \ud83d sâu"}, "lone surrogate"),
    ({**_good("year1"), "posted_at": "0001-01-01T00:00:00"}, "date out of range"),
    ({**_good("year1z"), "posted_at": "0001-01-01T00:00:00Z"}, "is not between 1900 and 2100"),
    ({**_good("year9999"), "posted_at": "9999-12-31T23:59:59Z"}, "is not between 1900 and 2100"),
    ({**_good("west"), "posted_at": "9999-12-31T23:00:00-05:00"}, "date out of range"),
    ({**_good("inf"), "views": 1e400}, "inf is not a number that can be stored"),
    ({**_good("nul-key"), "extra": {"k": "v\u0000"}}, "NUL character in record.extra.k"),
]


def _jsonl_mixing_good_and_bad(path):
    """good, bad, good, bad, ... so every bad line sits in a batch with good ones."""
    lines, expected = [], []
    for number, (record, reason) in enumerate(BAD_JSONL):
        lines.append(json.dumps(_good(f"g{number}"), ensure_ascii=False))
        # ensure_ascii keeps a lone surrogate as the \ud83d escape a producer would write.
        lines.append(json.dumps(record))
        expected.append((len(lines), reason))
    lines.append(json.dumps(_good("last")))
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "bad-utf8", "text": "\xff"}\n')
    expected.append((len(lines) + 1, "line is not valid UTF-8"))
    good_ids = {f"g{number}" for number in range(len(BAD_JSONL))} | {"last"}
    return good_ids, expected


def _assert_rejected(rejections, expected):
    assert [number for number, _ in rejections] == [number for number, _ in expected]
    for (number, reason), (_, wanted) in zip(rejections, expected, strict=True):
        assert wanted in reason, (number, reason)


def test_each_line_the_database_cannot_hold_is_rejected_with_its_number(tmp_path):
    path = tmp_path / "posts.jsonl"
    good_ids, expected = _jsonl_mixing_good_and_bad(path)

    posts, rejections = split(list(iter_import_file(path)))

    assert {post.external_id for post in posts} == good_ids
    _assert_rejected(rejections, expected)


def _stored_ids():
    from app.collectors.models import Post
    from app.extensions import db

    return set(db.session.scalars(db.select(Post.external_id)))


def _rejected_lines(output: str) -> list[tuple[int, str]]:
    found = re.findall(r"^  line (\d+): (.*)$", output, flags=re.MULTILINE)
    return [(int(number), reason) for number, reason in found]


def test_import_command_keeps_every_good_line_and_lists_each_bad_one(runner, app_context, tmp_path):
    path = tmp_path / "posts.jsonl"
    good_ids, expected = _jsonl_mixing_good_and_bad(path)

    result = runner.invoke(args=["collect", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "Traceback" not in result.output
    assert _stored_ids() == good_ids
    read = len(good_ids) + len(expected)
    assert f"read {read}, new {len(good_ids)}, duplicate 0, rejected {len(expected)}\n" in (
        result.output
    )
    _assert_rejected(_rejected_lines(result.output), expected)


CSV_HEADER = "id,text,posted_at,author_name,likes,language,parent_id\n"


def _csv_mixing_good_and_bad(path) -> tuple[set[str], list[tuple[int, str]]]:
    when = "2026-11-27T08:00:00+07:00"
    rows = [
        (f"c1,Ngập đường Nguyễn Hữu Cảnh,{when},,,,\n".encode(), None),
        # "Ngập" in Windows-1258 inside an otherwise UTF-8 file.
        (b"bad-byte,Ng\xe2p \xf2," + when.encode() + b",,,,\n", "line is not valid UTF-8"),
        (f"c3,Kẹt xe vòng xoay Phú Lâm,{when},,,,\n".encode(), None),
        (f"nul,Rác\x00 ùn ứ,{when},,,,\n".encode(), "NUL character in text"),
        # A quoted cell over two lines: the next record starts two lines further on.
        (f'c4,"Cây ngã\nchắn đường",{when},,,,\n'.encode(), None),
        (f"big,Ổ gà,{when},,99999999999,,\n".encode(), "likes must be between 0 and 2147483647"),
        (f"name,Ổ gà,{when},{'A' * 201},,,\n".encode(), "author_name is longer than 200"),
        (f"lang,Ổ gà,{when},,,vi-VN-x-hcm,\n".encode(), "language is longer than 8"),
        (f"parent,Ổ gà,{when},,,,{'p' * 256}\n".encode(), "parent_id is longer than 255"),
        ("year1,Ổ gà,0001-01-01T00:00:00,,,,\n".encode(), "date out of range"),
        ("year9999,Ổ gà,9999-12-31T12:00:00Z,,,,\n".encode(), "is not between 1900 and 2100"),
        (f"c5,Cúp nước,{when},Tổ dân phố 3,12,vi,c1\n".encode(), None),
    ]
    content, expected, line = CSV_HEADER.encode("utf-8-sig"), [], 2
    for raw, reason in rows:
        if reason:
            expected.append((line, reason))
        content += raw
        line += raw.count(b"\n")
    path.write_bytes(content)
    return {"c1", "c3", "c4", "c5"}, expected


def test_a_csv_with_a_bad_byte_and_a_nul_keeps_its_other_rows(runner, app_context, tmp_path):
    path = tmp_path / "export.csv"
    good_ids, expected = _csv_mixing_good_and_bad(path)

    result = runner.invoke(args=["collect", "import", str(path), "--source", "hotline"])

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert _stored_ids() == good_ids
    assert f"new {len(good_ids)}, duplicate 0, rejected {len(expected)}\n" in result.output
    _assert_rejected(_rejected_lines(result.output), expected)
    # Physical line numbers: the two-line cell (lines 6-7) shifts the rows after it.
    assert [number for number, _ in expected] == [3, 5, 8, 9, 10, 11, 12, 13]


def test_csv_line_numbers_and_text_survive_a_multi_line_cell(tmp_path):
    path = tmp_path / "export.csv"
    _csv_mixing_good_and_bad(path)

    posts, _ = split(list(iter_import_file(path)))

    by_id = {post.external_id: post for post in posts}
    assert by_id["c4"].text == "Cây ngã\nchắn đường"
    assert (by_id["c5"].likes, by_id["c5"].language, by_id["c5"].parent_external_id) == (
        12,
        "vi",
        "c1",
    )


def test_a_csv_whose_header_is_not_utf8_is_refused_as_a_whole(runner, app_context, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"id,t\xffext,posted_at\nc1,Ng\xe1\xba\xadp,2026-11-27T08:00:00Z\n")

    result = runner.invoke(args=["collect", "import", str(path)])

    assert result.exit_code == 1
    assert "header line is not valid UTF-8" in result.output
    assert "Traceback" not in result.output


def test_a_batch_the_database_refuses_is_stored_row_by_row(app_context, monkeypatch):
    """Should a bad row get past the checks, it costs that row only, not its batch."""
    from datetime import UTC, datetime

    from app.collectors import operations

    monkeypatch.setattr(operations, "check_storable", lambda post, **_: post, raising=False)
    when = datetime(2026, 11, 27, tzinfo=UTC)
    posts = [
        PostData(source="import", external_id="ok-1", text="Ngập", posted_at=when),
        PostData(source="import", external_id="nul", text="a\x00b", posted_at=when),
        PostData(source="import", external_id="big", text="Ổ gà", posted_at=when, likes=2**40),
        PostData(source="import", external_id="ok-2", text="Kẹt xe", posted_at=when),
        PostData(source="import", external_id="surrogate", text="a\ud800", posted_at=when),
        PostData(source="import", external_id="lang", text="x", language="x" * 9, posted_at=when),
    ]

    stats = operations.store_posts(posts)

    assert _stored_ids() == {"ok-1", "ok-2"}
    assert (stats.read, stats.new, stats.duplicate) == (6, 2, 0)
    assert [index for index, _ in stats.refused] == [1, 2, 4, 5]
    assert all(reason.startswith("the database refused it") for _, reason in stats.refused)


def test_the_checked_bounds_are_the_columns_bounds():
    from app.collectors import base
    from app.collectors.models import Post

    columns = Post.__table__.columns
    assert columns["source"].type.length == base.MAX_SOURCE_LENGTH
    assert columns["external_id"].type.length == base.MAX_EXTERNAL_ID_LENGTH
    assert columns["language"].type.length == base.MAX_LANGUAGE_LENGTH
    assert columns["author_name"].type.length == base.MAX_AUTHOR_NAME_LENGTH
    assert columns["parent_external_id"].type.length == base.MAX_PARENT_ID_LENGTH


def test_a_lost_database_connection_is_not_taken_for_bad_rows(app_context, monkeypatch):
    """Only rows the database refuses are dropped; an outage raises so nothing is counted lost."""
    from datetime import UTC, datetime

    from sqlalchemy import Insert
    from sqlalchemy.exc import OperationalError

    from app.collectors import operations
    from app.extensions import db

    real_scalars = db.session.scalars

    def gone(statement, *args, **kwargs):
        if isinstance(statement, Insert):
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real_scalars(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalars", gone)
    post = PostData(
        source="import", external_id="1", text="Ngập", posted_at=datetime(2026, 11, 27, tzinfo=UTC)
    )
    with pytest.raises(OperationalError):
        operations.store_posts([post])
