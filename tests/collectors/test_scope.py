"""Each source has a scope: a local source's post without a place is about the city, a
national source's post needs a place in the city. Admins set it on the sources page."""

import re

from app.collectors.models import Source, default_scope
from app.collectors.operations import scopes_of
from app.collectors.runner import ensure_sources
from app.extensions import db


def _csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_press_and_nationwide_searches_start_national_the_rest_local():
    assert [default_scope(name) for name in ("rss", "rss:tuoitre", "youtube", "x")] == [
        "national"
    ] * 4
    assert [default_scope(name) for name in ("facebook", "zalo", "citizen", "webhook:hotline")] == [
        "local"
    ] * 4


def test_sources_are_created_with_their_kinds_default_scope(app_context):
    scopes = {source.name: source.scope for source in ensure_sources()}
    db.session.add(Source(name="rss-partner", kind="rss", settings={}, checkpoint={}))
    db.session.commit()

    assert scopes["rss"] == "national" and scopes["facebook"] == "local"
    assert db.session.scalar(db.select(Source.scope).where(Source.name == "rss-partner")) == (
        "national"
    )


def test_a_configured_source_decides_the_scope_of_its_posts(app_context):
    ensure_sources()
    facebook = db.session.scalar(db.select(Source).where(Source.name == "facebook"))
    facebook.scope = "national"
    db.session.commit()

    assert scopes_of(["facebook", "rss:vnexpress", "citizen", "webhook:hotline"]) == {
        "facebook": "national",
        "rss:vnexpress": "national",
        "citizen": "local",
        "webhook:hotline": "local",
    }


def test_admin_changes_a_sources_scope_on_the_sources_page(client, create_user, login):
    login(create_user("admin", unit_code="UBND-TP"))
    page = client.get("/admin/sources").get_data(as_text=True)
    assert "Phạm vi" in page and "Toàn quốc: bài phải nêu một nơi trong thành phố" in page
    source = db.session.scalar(db.select(Source).where(Source.name == "rss"))

    saved = client.post(
        f"/admin/sources/{source.id}",
        data={"action": "scope", "scope": "local", "csrf_token": _csrf(page)},
        follow_redirects=True,
    )
    refused = client.post(
        f"/admin/sources/{source.id}",
        data={"action": "scope", "scope": "galaxy", "csrf_token": _csrf(page)},
        follow_redirects=True,
    )

    assert "Đã lưu phạm vi của rss." in saved.get_data(as_text=True)
    assert "Hãy chọn địa phương hoặc toàn quốc." in refused.get_data(as_text=True)
    db.session.refresh(source)
    assert source.scope == "local"
