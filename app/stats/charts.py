"""Charts as inline SVG: drawn on the server with pygal, so pages need no script and no CDN,
and the same markup goes into the PDF reports.

Every chart carries a <title> and a <desc> for screen readers; pages show the numbers in a table
next to it as well.
"""

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.etree import ElementTree

import pygal
from markupsafe import Markup
from pygal.colors import darken
from pygal.style import Style

from app.core import formatting

#: The app's palette (app.css): brand blue first, then colours that stay apart for colour-blind readers.
COLOURS = ("#0b5cad", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7a5195", "#57606a")

#: Series colours: the palette, then three darker rounds of it. Fixed, so that a series' colour
#: does not depend on how many series its chart has (pygal would darken by the count), and one
#: stylesheet (charts.css) serves every chart.
SERIES_COLOURS = COLOURS + tuple(
    darken(colour, 33 * step / 3) for step in (1, 2, 3) for colour in COLOURS
)

#: Colours that mean something, whatever the series' position: a chart names them per series
#: (`colours=`), and charts.css styles their classes (`color-negative` ...).
NAMED_COLOURS = {
    "negative": "#cf222e",  # red
    "neutral": "#8c959f",  # grey
    "positive": "#1a7f37",  # green
}

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#d0d7de",
    colors=SERIES_COLOURS,
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
        # Axis and value labels in the user's language: 3,5 in Vietnamese, 3.5 in English.
        "value_formatter": _fmt,
        **options,
    }


#: The class that app/static/css/charts.css styles; it stands for pygal's per-chart id.
PYGAL_CLASS = "pygal-chart"
#: Series colours covered by charts.css.
STYLESHEET_SERIES = len(SERIES_COLOURS)


def _finish(
    chart, title: str, description: str, colours: Sequence[str | None] | None = None
) -> Markup:
    """Render, drop pygal's inline script and styles, and label the SVG for assistive technology.

    The page's Content-Security-Policy allows no inline script or style: pygal's
    <style> moves to app/static/css/charts.css (see `stylesheet()`), and its few
    style attributes become SVG presentation attributes, which need no permission.
    `colours` names a colour of NAMED_COLOURS per series (None: the palette's by position):
    the series' `color-N` class becomes `color-<name>`, in the plot and the legend.
    """
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if child.tag in ("script", f"{{{_SVG_NS}}}script", "style", f"{{{_SVG_NS}}}style"):
                parent.remove(child)
    named = {f"color-{i}": f"color-{name}" for i, name in enumerate(colours or ()) if name}
    for element in tree.iter():
        _style_to_attributes(element)
        if named and "class" in element.attrib:
            element.set("class", " ".join(named.get(c, c) for c in element.get("class").split()))
    tree.set("role", "img")
    tree.set("class", f"chart {PYGAL_CLASS}")
    tree.set("aria-label", title)
    desc = ElementTree.Element("desc")
    desc.text = description
    tree.insert(0, desc)
    title_el = ElementTree.Element("title")
    title_el.text = title
    tree.insert(0, title_el)
    return Markup(ElementTree.tostring(tree, encoding="unicode"))


def _style_to_attributes(element) -> None:
    """`style="opacity: 0"` → `opacity="0"`: the same look without an inline style."""
    style = element.attrib.pop("style", None)
    if not style:
        return
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            element.set(name.strip(), value.strip())


@functools.lru_cache(maxsize=4)
def stylesheet(series: int = STYLESHEET_SERIES) -> str:
    """The CSS that pygal would put inside every chart, for all charts at once.

    pygal scopes its rules by a random per-chart id; here they are scoped by the
    class every chart carries. app/static/css/charts.css is this text (a test
    keeps them equal), and the PDF reports are given it as their stylesheet.
    """
    chart = pygal.Pie(**_config("stylesheet"))
    for number in range(series):
        chart.add(str(number), 1)
    tree = chart.render_tree()
    chart_id = tree.get("id")
    rules = []
    for element in tree.iter():
        if element.tag in ("style", f"{{{_SVG_NS}}}style") and element.text:
            rules.append(element.text.replace(f"#{chart_id}", f".{PYGAL_CLASS}").strip())
    named = "".join(
        f".{PYGAL_CLASS} .color-{name},.{PYGAL_CLASS} .color-{name} a:visited"
        f"{{stroke:{colour};fill:{colour}}}"
        for name, colour in NAMED_COLOURS.items()
    )
    header = "/* Generated by app.stats.charts.stylesheet(); do not edit by hand. */"
    return "\n".join([header, *rules, named]) + "\n"


def _describe(labels: Sequence[str], series: dict[str, Sequence[float | None]]) -> str:
    parts = []
    for name, values in series.items():
        pairs = ", ".join(
            f"{label}: {_fmt(value)}"
            for label, value in zip(_x_labels(labels), values, strict=False)
        )
        parts.append(f"{name} — {pairs}")
    return "; ".join(parts)


def _fmt(value: float | None) -> str:
    """A figure as the user's language writes it, with at most one decimal."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return formatting.number(value, 1, minimum=1)
    return formatting.number(int(value))


def _x_labels(labels: Sequence) -> list[str]:
    """Axis labels as text; days (date objects) in the local short form, never ISO."""
    return [
        formatting.axis_label(label) if isinstance(label, date) else str(label) for label in labels
    ]


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
    colours: Sequence[str | None] | None = None,
    **options,
) -> Markup:
    """Bars per label, one colour per series (stacked or side by side); `colours` names a
    colour of NAMED_COLOURS for each series, in order (see `_finish`)."""
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
    chart.x_labels = _x_labels(labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _finish(chart, title, _describe(labels, series), colours)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    y_title: str | None = None,
    colours: Sequence[str | None] | None = None,
    **options,
) -> Markup:
    """One line per series over the labels (days, weeks…); gaps where a value is None."""
    _thin_x_labels(labels, options)
    options.setdefault("show_legend", len(series) > 1)
    chart = pygal.Line(**_config(title, y_title=y_title, allow_interruptions=True, **options))
    chart.x_labels = _x_labels(labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _finish(chart, title, _describe(labels, series), colours)


def pie_chart(
    title: str, values: dict[str, float], *, colours: Sequence[str | None] | None = None, **options
) -> Markup:
    """Shares of a whole, as a ring."""
    chart = pygal.Pie(**_config(title, inner_radius=0.45, **options))
    for name, value in values.items():
        chart.add(name, value)
    description = ", ".join(f"{name}: {_fmt(value)}" for name, value in values.items())
    return _finish(chart, title, description, colours)


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
