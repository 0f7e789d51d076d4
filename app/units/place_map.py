"""A small map of one place (a ward among its neighbours, and a pin), drawn as SVG on the server.

The city's network is closed, so there are no map tiles, and the project holds no ward
boundaries: only each ward's centre and area (from `vietnamadminunits`). The outlines drawn
here are therefore approximate: each ward is the area closer to its centre than to any
other ward's centre (a Voronoi cell), cut to a disc a little larger than the ward's own
area so that wards on the edge of the city do not stretch out to the sea. The page says so.

Pure: `ward_cells` and `render_svg` know nothing of Flask or the database; `place_map`
reads the ward centres and calls both.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape

import shapely
from markupsafe import Markup
from shapely.geometry import MultiPoint, Point, Polygon

#: Kilometres per degree of latitude, and of longitude at the equator.
KM_PER_DEGREE_LAT = 110.57
KM_PER_DEGREE_LON = 111.32
#: HCMC's latitude, for the local projection (x = east, y = north, in km).
REFERENCE_LATITUDE = 10.8
#: A ward's cell is cut to a disc this many times the radius of a circle of the ward's area.
DISC_FACTOR = 1.6
#: The disc's radius (km) when the ward's area is unknown, and the least it may be.
DEFAULT_RADIUS_KM = 2.5
MIN_RADIUS_KM = 0.8
#: A pin further than this from the ward's centre (km) is not drawn: it cannot be that ward.
MAX_PIN_DISTANCE_KM = 40.0


@dataclass(frozen=True)
class WardSite:
    """A ward's centre and area, as the project holds them."""

    code: str
    name: str
    latitude: float
    longitude: float
    area_km2: float | None = None


@dataclass(frozen=True)
class Cell:
    code: str
    name: str
    #: The approximate outline, in local km (x east, y north).
    polygon: Polygon


def to_km(latitude: float, longitude: float) -> tuple[float, float]:
    """Local equirectangular coordinates in km, good enough across one city."""
    x = longitude * KM_PER_DEGREE_LON * math.cos(math.radians(REFERENCE_LATITUDE))
    return x, latitude * KM_PER_DEGREE_LAT


def _disc_radius(site: WardSite) -> float:
    if not site.area_km2 or site.area_km2 <= 0:
        return DEFAULT_RADIUS_KM
    return max(DISC_FACTOR * math.sqrt(site.area_km2 / math.pi), MIN_RADIUS_KM)


def ward_cells(sites: Sequence[WardSite]) -> dict[str, Cell]:
    """Each ward's approximate outline: its Voronoi cell among all centres, cut to a disc."""
    unique: dict[tuple[float, float], WardSite] = {}
    for site in sites:
        unique.setdefault(to_km(site.latitude, site.longitude), site)
    if not unique:
        return {}
    points = list(unique)
    if len(points) == 1:
        site = unique[points[0]]
        disc = Point(points[0]).buffer(_disc_radius(site))
        return {site.code: Cell(site.code, site.name, disc)}
    envelope = MultiPoint(points).envelope.buffer(50)
    regions = shapely.voronoi_polygons(MultiPoint(points), extend_to=envelope, ordered=True)
    cells = {}
    for point, region in zip(points, regions.geoms, strict=True):
        site = unique[point]
        outline = region.intersection(Point(point).buffer(_disc_radius(site)))
        if isinstance(outline, Polygon) and not outline.is_empty:
            cells[site.code] = Cell(site.code, site.name, outline)
    return cells


@lru_cache(maxsize=4)
def _cached_cells(sites: tuple[WardSite, ...]) -> dict[str, Cell]:
    return ward_cells(sites)


def neighbours(cells: dict[str, Cell], code: str) -> list[Cell]:
    """The cells that touch the cell of `code` (sharing an edge or a corner)."""
    centre = cells[code].polygon.buffer(0.05)
    return [cell for key, cell in cells.items() if key != code and cell.polygon.intersects(centre)]


def cell_containing(cells: dict[str, Cell], latitude: float, longitude: float) -> Cell | None:
    """The cell a point lies in, if any."""
    point = Point(to_km(latitude, longitude))
    return next((cell for cell in cells.values() if cell.polygon.covers(point)), None)


@dataclass(frozen=True)
class MapText:
    """The words on the map, in the reader's language (the caller translates)."""

    title: str
    pin: str = ""


def render_svg(
    cells: dict[str, Cell],
    *,
    ward_code: str | None,
    pin: tuple[float, float] | None,
    text: MapText,
    width: int = 480,
) -> Markup | None:
    """The ward (highlighted) among its neighbours, and the pin; None when there is no place.

    Only SVG presentation attributes are used (no style="", no script), for the CSP.
    """
    focus = cells.get(ward_code) if ward_code else None
    if pin is not None:
        pin_km = to_km(*pin)
        if focus is not None and Point(pin_km).distance(focus.polygon) > MAX_PIN_DISTANCE_KM:
            pin = None
        elif focus is None:
            around = cell_containing(cells, *pin)
            if around is None:
                return None
            shown = [around, *neighbours(cells, around.code)]
    if focus is not None:
        # The highlighted ward last, so that its outline lies over its neighbours'.
        shown = [*neighbours(cells, focus.code), focus]
    elif pin is None:
        return None
    bounds = [cell.polygon.bounds for cell in shown]
    min_x, min_y = min(b[0] for b in bounds), min(b[1] for b in bounds)
    max_x, max_y = max(b[2] for b in bounds), max(b[3] for b in bounds)
    if pin is not None:
        min_x, max_x = min(min_x, pin_km[0]), max(max_x, pin_km[0])
        min_y, max_y = min(min_y, pin_km[1]), max(max_y, pin_km[1])
    margin = 12
    scale = (width - 2 * margin) / max(max_x - min_x, 0.1)
    height = round((max_y - min_y) * scale + 2 * margin)

    def project(x: float, y: float) -> str:
        return f"{margin + (x - min_x) * scale:.1f},{margin + (max_y - y) * scale:.1f}"

    def path(polygon: Polygon) -> str:
        return "M" + " L".join(project(x, y) for x, y in polygon.exterior.coords[:-1]) + " Z"

    label = escape(text.title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f' class="place-map" aria-label="{label}" data-testid="place-map">',
        f"<title>{label}</title>",
    ]
    for cell in shown:
        is_focus = focus is not None and cell.code == focus.code
        fill, stroke, stroke_width = (
            ("#1f6feb", "#0a3069", "2") if is_focus else ("#eef1f4", "#8c959f", "1")
        )
        opacity = "0.35" if is_focus else "1"
        parts.append(
            f'<path d="{path(cell.polygon)}" fill="{fill}" fill-opacity="{opacity}"'
            f' stroke="{stroke}" stroke-width="{stroke_width}"'
            f' class="{"ward focus" if is_focus else "ward"}"><title>{escape(cell.name)}</title></path>'
        )
    for cell in shown:
        is_focus = focus is not None and cell.code == focus.code
        x, y = project(*cell.polygon.representative_point().coords[0]).split(",")
        parts.append(
            f'<text x="{x}" y="{y}" text-anchor="middle" font-family="DejaVu Sans, sans-serif"'
            f' font-size="{13 if is_focus else 10}" fill="{"#0a3069" if is_focus else "#57606a"}"'
            f"{' font-weight=' + chr(34) + 'bold' + chr(34) if is_focus else ''}>"
            f"{escape(cell.name)}</text>"
        )
    if pin is not None:
        x, y = (float(v) for v in project(*pin_km).split(","))
        parts.append(
            f'<g class="pin" data-testid="place-pin"><title>{escape(text.pin)}</title>'
            f'<path d="M{x:.1f},{y:.1f} l-8,-16 a9,9 0 1,1 16,0 z" fill="#cf222e"'
            f' stroke="#ffffff" stroke-width="1.5"/>'
            f'<circle cx="{x:.1f}" cy="{y - 19:.1f}" r="3.5" fill="#ffffff"/></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def ward_sites() -> tuple[WardSite, ...]:
    """Every current ward, commune and special zone with a known centre (from the database)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.units.models import LOCAL_KINDS, Unit

    rows = db.session.execute(
        select(Unit.code, Unit.name_vi, Unit.latitude, Unit.longitude, Unit.area_km2)
        .where(
            Unit.kind.in_([kind.value for kind in LOCAL_KINDS]),
            Unit.latitude.is_not(None),
            Unit.longitude.is_not(None),
        )
        .order_by(Unit.code)
    ).all()
    return tuple(WardSite(*row) for row in rows)


def place_map(
    ward_code: str | None, pin: tuple[float, float] | None, text: MapText
) -> Markup | None:
    """The map of a case's place from the wards the project holds; None when nothing to draw."""
    if ward_code is None and pin is None:
        return None
    cells = _cached_cells(ward_sites())
    return render_svg(cells, ward_code=ward_code, pin=pin, text=text)


def map_for(ward, pin: tuple[float, float] | None) -> Markup | None:
    """`place_map` with its words in the request's language; `ward` is a Unit or None."""
    from flask_babel import gettext as _

    if ward is not None:
        title = _("Map of %(ward)s among its neighbouring wards", ward=ward.name_vi)
    else:
        title = _("Map of where the report was made")
    return place_map(
        ward.code if ward is not None else None,
        pin,
        MapText(title=title, pin=_("The place the report gave")),
    )
