"""CSV and JSONL import: good lines kept, bad lines reported with their line number."""

import json

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
