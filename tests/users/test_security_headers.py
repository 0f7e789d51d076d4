"""Security headers on every response, and markup that a strict CSP lets through."""

import re
from pathlib import Path

import pytest

from app.core.security import CONTENT_SECURITY_POLICY
from app.stats import charts

APP_DIR = Path(__file__).resolve().parents[2] / "app"

EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _assert_headers(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_a_staff_page_has_the_headers(client, officer, login):
    login(officer)
    response = client.get("/cases")

    assert response.status_code == 200
    _assert_headers(response)


@pytest.mark.parametrize("path", ["/public/", "/public/browse", "/login", "/healthz"])
def test_public_pages_have_the_headers(client, path):
    response = client.get(path)

    assert response.status_code in (200, 503)
    _assert_headers(response)


def test_an_api_response_has_the_headers(client, officer, api_token):
    response = client.get("/api/v1/units", headers=api_token(officer))

    assert response.status_code == 200
    _assert_headers(response)


def test_api_errors_and_404_pages_have_the_headers(client):
    _assert_headers(client.get("/api/v1/units"))  # 401
    page = client.get("/no-such-page")
    assert page.status_code == 404
    _assert_headers(page)


def test_static_files_and_redirects_have_the_headers(client):
    _assert_headers(client.get("/static/css/app.css"))
    redirect = client.get("/cases")
    assert redirect.status_code == 302
    _assert_headers(redirect)


def test_hsts_only_over_https(client, app, monkeypatch):
    secure = client.get("/public/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/public/").headers

    monkeypatch.setitem(app.config, "PREFERRED_URL_SCHEME", "https")
    assert "Strict-Transport-Security" in client.get("/public/").headers


def test_the_policy_allows_nothing_inline_or_foreign():
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "http" not in CONTENT_SECURITY_POLICY


# --- markup that the policy would block ---------------------------------------------------

#: Rendered only into PDFs by WeasyPrint, never served to a browser.
PDF_ONLY = {"stats/report_print.html"}

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: address"),
    (re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I), "resource on another site"),
]


def _templates():
    for path in sorted(APP_DIR.rglob("templates/**/*.html")):
        relative = path.as_posix().split("/templates/", 1)[1]
        if relative not in PDF_ONLY:
            yield relative, path.read_text()


def test_no_template_has_inline_script_style_or_handlers():
    found = [
        f"{name}: {what}"
        for name, text in _templates()
        for pattern, what in INLINE
        if pattern.search(text)
    ]

    assert found == []


def test_static_scripts_use_no_eval_or_inline_styles():
    for path in (APP_DIR / "static").rglob("*.js"):
        text = path.read_text()
        for forbidden in ("eval(", "new Function", ".style.", 'setAttribute("style', "innerHTML"):
            assert forbidden not in text, f"{path.name}: {forbidden}"


def _sample_charts():
    labels = ["a", "b", "c"]
    many = {f"s{n}": [n, n + 1, n + 2] for n in range(12)}
    yield charts.bar_chart("bars", labels, {"x": [1, 2, 3]})
    yield charts.bar_chart("stacked", labels, many, horizontal=True, stacked=True)
    yield charts.line_chart("lines", labels, {"x": [1, None, 3], "y": [2, 2, 2]})
    yield charts.pie_chart("pie", {f"p{n}": n + 1 for n in range(20)})
    yield charts.ward_map("map", [charts.WardPoint("P", 10.77, 106.7, 3)])


def test_charts_carry_no_inline_style_or_script():
    for svg in _sample_charts():
        assert "<style" not in svg
        assert "<script" not in svg
        assert not re.search(r"\sstyle=", svg)


def test_the_chart_stylesheet_file_is_what_pygal_would_inline():
    """app/static/css/charts.css is generated; regenerate it when the chart style changes."""
    on_disk = (APP_DIR / "static" / "css" / "charts.css").read_text()
    assert on_disk == charts.stylesheet(), (
        'regenerate: .venv/bin/python -c "from app.stats.charts import stylesheet; '
        "open('app/static/css/charts.css', 'w').write(stylesheet())\""
    )


@pytest.mark.parametrize("kind", ["Bar", "HorizontalStackedBar", "Line", "Pie"])
def test_the_stylesheet_covers_every_rule_pygal_writes(kind):
    """Whatever the chart type and its number of series, pygal's own rules are all in it."""
    import pygal

    chart = getattr(pygal, kind)(**charts._config("t", inner_radius=0.45))
    chart.x_labels = ["a", "b"]
    for number in range(14):
        chart.add(str(number), [number, number + 1])
    tree = chart.render_tree()
    inline = "".join(
        e.text or "" for e in tree.iter() if isinstance(e.tag, str) and e.tag.endswith("style")
    )

    def rules(css: str, scope: str) -> set[str]:
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S).replace(scope, "SCOPE")
        return {r.strip() for r in css.split("}") if r.strip()}

    missing = rules(inline, "#" + tree.get("id")) - rules(
        charts.stylesheet(), "." + charts.PYGAL_CLASS
    )
    assert missing == set()
