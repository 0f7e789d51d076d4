"""Shared collector pieces: PostData, timestamps, fetch_all, HTML text, the registry."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.collectors.base import (
    Adapter,
    ConfigError,
    FetchResult,
    InvalidItem,
    PostData,
    map_items,
    parse_timestamp,
    strip_html,
)
from app.collectors.sources import PULL_ADAPTERS, build_adapter


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-09-02T10:30:00Z", "2025-09-02T10:30:00+00:00"),
        ("2025-09-02T10:30:00+0000", "2025-09-02T10:30:00+00:00"),
        ("2025-09-02T17:30:00+07:00", "2025-09-02T10:30:00+00:00"),
        ("2025-09-02T10:30:00.000Z", "2025-09-02T10:30:00+00:00"),
        (1756809000, "2025-09-02T10:30:00+00:00"),
        ("1756809000", "2025-09-02T10:30:00+00:00"),
    ],
)
def test_parse_timestamp_formats(value, expected):
    assert parse_timestamp(value).isoformat() == expected


def test_parse_timestamp_naive_and_bad():
    hcmc = timezone(timedelta(hours=7))
    assert (
        parse_timestamp("2025-09-02T17:30:00", naive_tz=hcmc).isoformat()
        == "2025-09-02T10:30:00+00:00"
    )
    for bad in ("02/09/2025", "", None, {}):
        with pytest.raises(InvalidItem):
            parse_timestamp(bad)


def test_post_data_normalises_to_utc_and_refuses_naive_times():
    post = PostData(
        source="s",
        external_id=5,
        text="t",
        posted_at=datetime(2025, 9, 2, 17, 30, tzinfo=timezone(timedelta(hours=7))),
    )
    assert post.external_id == "5" and post.posted_at == datetime(2025, 9, 2, 10, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        PostData(source="s", external_id="1", text="t", posted_at=datetime(2025, 9, 2))


def test_map_items_keeps_good_items_when_one_has_the_wrong_shape():
    def to_post(item):
        return PostData(
            source="s",
            external_id=item["id"],
            text=item["text"].strip(),
            posted_at=parse_timestamp(item["at"]),
        )

    posts, rejected = map_items(
        [{"id": 1, "text": " ok ", "at": 0}, {"id": 2, "text": None, "at": 0}, None], to_post
    )
    assert [p.external_id for p in posts] == ["1"]
    assert len(rejected) == 2 and rejected[0][1].startswith("unexpected shape: AttributeError")


class CountingAdapter(Adapter):
    name = "counting"

    def __init__(self, pages):
        super().__init__({})
        self.pages = pages
        self.checkpoints = []

    def fetch(self, checkpoint, query_terms):
        self.checkpoints.append(dict(checkpoint))
        page = checkpoint.get("page", 0)
        return FetchResult(checkpoint={"page": page + 1}, has_more=page + 1 < self.pages)


def test_fetch_all_passes_checkpoints_along_and_stops():
    exhausted = CountingAdapter(pages=2)
    assert len(list(exhausted.fetch_all(None, []))) == 2
    assert exhausted.checkpoints == [{}, {"page": 1}]

    capped = CountingAdapter(pages=100)
    pages = list(capped.fetch_all({"page": 10}, [], max_pages=3))
    assert len(pages) == 3 and pages[-1].checkpoint == {"page": 13} and pages[-1].has_more


def test_strip_html():
    html = "<p>Mưa lớn&nbsp;gây <b>ngập</b></p><p>Đường &amp; hẻm</p><br/>"
    assert strip_html(html) == "Mưa lớn gây ngập\nĐường & hẻm"


def test_registry_builds_configured_adapters():
    assert set(PULL_ADAPTERS) == {"facebook", "youtube", "x", "zalo", "rss"}
    adapter = build_adapter("x", {"X_BEARER_TOKEN": "t"})
    assert adapter.base_url == "https://api.x.com/2"
    with pytest.raises(ConfigError, match="X_BEARER_TOKEN"):
        build_adapter("x", {})
    with pytest.raises(ValueError, match="unknown source"):
        build_adapter("myspace", {})
