"""The place map is drawn from ward centres alone (pure functions, no database)."""

from app.units.place_map import (
    MapText,
    WardSite,
    cell_containing,
    neighbours,
    render_svg,
    ward_cells,
)

#: A 3×3 grid of wards 2 km apart (about 0.018° of latitude), the middle one "E".
GRID = [
    WardSite(code, f"Phường {code}", 10.80 + 0.018 * row, 106.70 + 0.018 * col, 4.0)
    for (row, col), code in zip(
        [(r, c) for r in range(3) for c in range(3)], "ABCDEFGHI", strict=True
    )
]
TEXT = MapText("Bản đồ", "Vị trí")


def test_each_ward_gets_an_outline_around_its_centre():
    cells = ward_cells(GRID)
    assert set(cells) == set("ABCDEFGHI")
    middle = cells["E"].polygon
    assert 3.0 < middle.area < 5.0  # about 2 km × 2 km
    assert cell_containing(cells, 10.818, 106.718).code == "E"


def test_the_middle_ward_has_all_eight_around_it_as_neighbours():
    cells = ward_cells(GRID)
    assert {cell.code for cell in neighbours(cells, "E")} == set("ABCDFGHI")
    assert {cell.code for cell in neighbours(cells, "A")} == {"B", "D", "E"}


def test_edge_wards_are_cut_to_a_disc_not_stretched_out():
    cells = ward_cells(GRID)
    # A ward of 4 km² is cut within 1.6 × the radius of a 4 km² circle (about 1.8 km).
    assert cells["A"].polygon.area < 4 * 3.2**2


def test_the_svg_highlights_the_ward_and_draws_the_pin_without_style_or_script():
    svg = render_svg(ward_cells(GRID), ward_code="E", pin=(10.819, 106.719), text=TEXT)
    assert svg.count('class="ward focus"') == 1 and svg.count('class="ward"') == 8
    assert 'data-testid="place-pin"' in svg
    assert "style=" not in svg and "<script" not in svg


def test_a_pin_without_a_ward_shows_the_wards_around_it():
    svg = render_svg(ward_cells(GRID), ward_code=None, pin=(10.801, 106.701), text=TEXT)
    assert 'class="ward focus"' not in svg and 'data-testid="place-pin"' in svg
    assert "Phường A" in svg


def test_a_pin_far_from_the_ward_is_left_out():
    svg = render_svg(ward_cells(GRID), ward_code="E", pin=(11.5, 107.5), text=TEXT)
    assert 'data-testid="place-pin"' not in svg


def test_no_ward_and_no_pin_draws_nothing():
    assert render_svg(ward_cells(GRID), ward_code=None, pin=None, text=TEXT) is None


def test_names_are_escaped():
    sites = [*GRID[:8], WardSite("X", "<b>&", 10.836, 106.736, 4.0)]
    svg = render_svg(ward_cells(sites), ward_code="X", pin=None, text=MapText("<t>", ""))
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg and "&lt;t&gt;" in svg
