"""/api/v1/docs as a developer reads it: real URLs, rendered Markdown, nothing unsafe."""

import re

from app.api.openapi import operation_url, render_markdown, render_markdown_inline


def test_docs_list_open311_at_its_real_path(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)

    assert "<code>/open311/v2/requests.{format}</code>" in page
    assert "/api/v1/open311" not in page
    assert "<code>/api/v1/cases/{case_id}</code>" in page


def test_every_url_the_docs_list_exists(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    urls = set(re.findall(r"<h2><span class=\"badge\">GET</span> <code>([^<]+)</code>", page))

    discovery = next(url for url in urls if "discovery" in url)
    response = client.get(discovery.replace("{format}", "json"))

    assert response.status_code == 200
    assert all(url.startswith(("/api/v1/", "/open311/v2/")) for url in urls)


def test_descriptions_render_markdown(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)

    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in page
    assert "`Authorization" not in page
    assert "<code>HCM-7K3M-Q9XW5</code>" in page  # a parameter's description


def test_markdown_is_sanitised():
    html = str(render_markdown("<script>alert(1)</script> [x](javascript:alert(1)) `a<b`"))
    inline = str(render_markdown_inline("*ok* <img src=x onerror=alert(1)>"))

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<code>a&lt;b</code>" in html
    assert inline.startswith("<em>ok</em>")
    assert "<img" not in inline


def test_an_operation_url_joins_its_server_and_path():
    document = {"servers": [{"url": "/api/v1"}], "paths": {"/cases": {}, "/open311/v2/x": {}}}

    assert operation_url(document, "/cases", {}) == "/api/v1/cases"
    assert operation_url(document, "/open311/v2/x", {"servers": [{"url": "/"}]}) == "/open311/v2/x"
