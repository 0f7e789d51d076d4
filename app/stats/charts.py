"""Charts as inline SVG: drawn on the server with pygal, so pages need no script and no CDN,
and the same markup goes into the PDF reports.

Every chart carries a <title> and a <desc> for screen readers; pages show the numbers in a table
next to it as well.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree

import pygal
from markupsafe import Markup
from pygal.style import Style

#: The app's palette (app.css): brand blue first, then colours that stay apart for colour-blind readers.
COLOURS = ("#0b5cad", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7a5195", "#57606a")

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#d0d7de",
    colors=COLOURS,
    font_family='"DejaVu Sans", system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif',
    title_font_size=17,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=13,
    tooltip_font_size=13,
)

_SVG_NS = "http://www.w3.org/2000/svg"


def _config(title: str, **options) -> dict:
    return {
        "title": title,
        "style": _STYLE,
        "width": options.pop("width", 720),
        "height": options.pop("height", 340),
        # No JavaScript at all: pygal's tooltips load a script from a CDN.
        "js": [],
        "disable_xml_declaration": True,
        "show_legend": options.pop("show_legend", True),
        "legend_at_bottom": True,
        "print_values": False,
        "truncate_label": 24,
        "x_label_rotation": options.pop("x_label_rotation", 0),
        "no_data_text": options.pop("no_data_text", "—"),
        **options,
    }


def _finish(chart, title: str, description: str) -> Markup:
    """Render, drop pygal's inline config script, and label the SVG for assistive technology."""
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if child.tag in ("script", f"{{{_SVG_NS}}}script"):
                parent.remove(child)
    tree.set("role", "img")
    tree.set("class", "chart")
    tree.set("aria-label", title)
    desc = ElementTree.Element("desc")
    desc.text = description
    tree.insert(0, desc)
    title_el = ElementTree.Element("title")
    title_el.text = title
    tree.insert(0, title_el)
    return Markup(ElementTree.tostring(tree, encoding="unicode"))


def _describe(labels: Sequence[str], series: dict[str, Sequence[float | None]]) -> str:
    parts = []
    for name, values in series.items():
        pairs = ", ".join(
            f"{label}: {_fmt(value)}" for label, value in zip(labels, values, strict=False)
        )
        parts.append(f"{name} — {pairs}")
    return "; ".join(parts)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def _thin_x_labels(labels: Sequence[str], options: dict) -> None:
    """Keep the axis readable: slanted labels, and about ten of them whatever the range."""
    if len(labels) > 8:
        options.setdefault("x_label_rotation", 35)
    if len(labels) > 12:
        options.setdefault("x_labels_major_every", math.ceil(len(labels) / 10))
        options.setdefault("show_minor_x_labels", False)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    horizontal: bool = False,
    stacked: bool = False,
    y_title: str | None = None,
    **options,
) -> Markup:
    """Bars per label, one colour per series (stacked or side by side)."""
    kind = {
        (False, False): pygal.Bar,
        (True, False): pygal.HorizontalBar,
        (False, True): pygal.StackedBar,
        (True, True): pygal.HorizontalStackedBar,
    }[(horizontal, stacked)]
    options.setdefault("show_legend", len(series) > 1)
    if not horizontal:
        _thin_x_labels(labels, options)
    chart = kind(**_config(title, y_title=y_title, **options))
    chart.x_labels = [str(label) for label in labels]
    for name, values in series.items():
        chart.add(name, list(values))
    return _finish(chart, title, _describe(labels, series))


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    y_title: str | None = None,
    **options,
) -> Markup:
    """One line per series over the labels (days, weeks…); gaps where a value is None."""
    _thin_x_labels(labels, options)
    options.setdefault("show_legend", len(series) > 1)
    chart = pygal.Line(**_config(title, y_title=y_title, allow_interruptions=True, **options))
    chart.x_labels = [str(label) for label in labels]
    for name, values in series.items():
        chart.add(name, list(values))
    return _finish(chart, title, _describe(labels, series))


def pie_chart(title: str, values: dict[str, float], **options) -> Markup:
    """Shares of a whole, as a ring."""
    chart = pygal.Pie(**_config(title, inner_radius=0.45, **options))
    for name, value in values.items():
        chart.add(name, value)
    description = ", ".join(f"{name}: {_fmt(value)}" for name, value in values.items())
    return _finish(chart, title, description)


@dataclass(frozen=True)
class WardPoint:
    """One ward on the map: where it is and the figure to draw."""

    name: str
    latitude: float
    longitude: float
    value: float
    #: A link to open (e.g. the queue filtered by that ward), optional.
    url: str | None = None


def ward_map(
    title: str,
    points: Sequence[WardPoint],
    *,
    background: Sequence[tuple[float, float]] = (),
    width: int = 720,
    height: int = 560,
    value_label: str = "",
) -> Markup:
    """A bubble map of wards from their coordinates, with no map tiles to fetch.

    `background` is every ward's (latitude, longitude), drawn as faint dots so the city's shape
    shows; each point is a circle whose area follows its value.
    """
    coords = [(p.latitude, p.longitude) for p in points] + list(background)
    if not coords:
        return _empty_svg(title, width, height)
    frame = _frame(coords)
    lat_min, lat_max, lon_min, lon_max = frame
    margin = 24
    # Equirectangular projection, corrected for the latitude (HCMC is near 10.8° N).
    x_scale = math.cos(math.radians((lat_min + lat_max) / 2))
    span_x = max((lon_max - lon_min) * x_scale, 1e-6)
    span_y = max(lat_max - lat_min, 1e-6)
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin - 24) / span_y)

    def inside(lat: float, lon: float) -> bool:
        return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max

    def project(lat: float, lon: float) -> tuple[float, float]:
        x = margin + (lon - lon_min) * x_scale * scale
        y = margin + 24 + (lat_max - lat) * scale
        return round(x, 1), round(y, 1)

    outside = [p for p in points if not inside(p.latitude, p.longitude)]
    points = [p for p in points if inside(p.latitude, p.longitude)]
    background = [(lat, lon) for lat, lon in background if inside(lat, lon)]
    # Fit the drawing to the city's shape rather than to the box asked for.
    width = round(span_x * scale + 2 * margin)
    height = round(span_y * scale + 2 * margin + 24 + (24 if outside else 0))
    largest = max((p.value for p in points), default=0) or 1
    parts = [
        f'<svg xmlns="{_SVG_NS}" viewBox="0 0 {width} {height}" role="img" class="chart ward-map"'
        f' aria-label="{_escape(title)}">',
        f"<title>{_escape(title)}</title>",
        "<desc>" + _escape(", ".join(f"{p.name}: {_fmt(p.value)}" for p in points)) + "</desc>",
        f'<text x="{margin}" y="18" font-size="15" fill="#1b1f24"'
        f' font-family="DejaVu Sans, sans-serif">{_escape(title)}</text>',
    ]
    for lat, lon in background:
        x, y = project(lat, lon)
        parts.append(f'<circle cx="{x}" cy="{y}" r="2" fill="#d0d7de"/>')
    for point in sorted(points, key=lambda p: -p.value):
        x, y = project(point.latitude, point.longitude)
        radius = round(3 + 15 * math.sqrt(max(point.value, 0) / largest), 1)
        label = f"{point.name}: {_fmt(point.value)} {value_label}".strip()
        circle = (
            f'<circle cx="{x}" cy="{y}" r="{radius}" fill="{COLOURS[0]}" fill-opacity="0.55"'
            f' stroke="#084785" stroke-width="1"><title>{_escape(label)}</title></circle>'
        )
        if point.url:
            circle = f'<a href="{_escape(point.url)}">{circle}</a>'
        parts.append(circle)
    if outside:
        # Far-off islands (Côn Đảo) would squeeze the city into a corner: named, not drawn.
        note = ", ".join(f"{p.name}: {_fmt(p.value)}" for p in outside)
        parts.append(
            f'<text x="{margin}" y="{height - 8}" font-size="13" fill="#57606a"'
            f' font-family="DejaVu Sans, sans-serif">+ {_escape(note)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _frame(coords: Sequence[tuple[float, float]]) -> tuple[float, float, float, float]:
    """The box to draw: every place within a degree of the median place (the mainland city)."""
    lats = sorted(lat for lat, _ in coords)
    lons = sorted(lon for _, lon in coords)
    mid_lat, mid_lon = lats[len(lats) // 2], lons[len(lons) // 2]
    near = [
        (lat, lon) for lat, lon in coords if abs(lat - mid_lat) <= 1 and abs(lon - mid_lon) <= 1
    ]
    return (
        min(lat for lat, _ in near),
        max(lat for lat, _ in near),
        min(lon for _, lon in near),
        max(lon for _, lon in near),
    )


def _empty_svg(title: str, width: int, height: int) -> Markup:
    return Markup(
        f'<svg xmlns="{_SVG_NS}" viewBox="0 0 {width} {height // 4}" role="img" class="chart"'
        f' aria-label="{_escape(title)}"><title>{_escape(title)}</title>'
        f'<text x="24" y="40" font-size="15" fill="#57606a">{_escape(title)}: —</text></svg>'
    )


def _escape(text: str) -> str:
    return str(Markup.escape(text))
