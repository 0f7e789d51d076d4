"""Charts are inline SVG with no script and no remote address, and say what they show."""

import re
from xml.etree import ElementTree

from app.stats.charts import WardPoint, bar_chart, line_chart, pie_chart, ward_map


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(svg))


def _assert_self_contained(svg: str) -> None:
    assert "<script" not in svg
    # Only the SVG namespace may look like an address; nothing is fetched.
    assert set(re.findall(r'(?:href|src)="(https?://[^"]+)"', svg)) == set()


def test_bar_chart_is_labelled_and_self_contained():
    svg = bar_chart("Thời gian xử lý", ["Phường Tân Thuận", "Sở Xây dựng"], {"Trung vị": [2.5, 8]})
    _assert_self_contained(svg)
    root = _parse(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "Thời gian xử lý"
    assert root.find(f"{ns}desc").text == "Trung vị — Phường Tân Thuận: 2,5, Sở Xây dựng: 8"
    assert root.get("role") == "img"
    assert "Phường Tân Thuận" in svg


def test_line_and_pie_charts_render():
    days = [f"2026-11-{d:02d}" for d in range(1, 21)]
    line = line_chart("Số bài", days, {"Báo chí": list(range(20)), "Mạng xã hội": [None] * 20})
    _assert_self_contained(line)
    assert "2026-11-20" in line
    pie = pie_chart("Cảm xúc", {"Tích cực": 3, "Tiêu cực": 5})
    _assert_self_contained(pie)
    assert "Tiêu cực: 5" in pie


def test_ward_map_draws_bigger_bubbles_for_bigger_values():
    svg = ward_map(
        "Vụ việc theo phường",
        [
            WardPoint("Phường Tân Thuận", 10.75, 106.72, 40, url="/cases?ward=1"),
            WardPoint("Phường Bến Thành", 10.77, 106.70, 10),
        ],
        background=[(10.6, 106.5), (10.9, 106.8)],
    )
    _assert_self_contained(svg)
    root = _parse(svg)
    circles = {
        c.find("{http://www.w3.org/2000/svg}title").text: float(c.get("r"))
        for c in root.iter("{http://www.w3.org/2000/svg}circle")
        if c.find("{http://www.w3.org/2000/svg}title") is not None
    }
    assert circles["Phường Tân Thuận: 40"] > circles["Phường Bến Thành: 10"]
    assert 'href="/cases?ward=1"' in svg


def test_ward_map_without_data_says_so():
    assert "—" in ward_map("Vụ việc theo phường", [])
