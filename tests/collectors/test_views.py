"""Signed webhooks and the pages where admins run sources and analysts edit watchlists."""

import json
import re

from app.collectors.models import Post, Source, Watchlist
from app.collectors.sources.webhook import sign_webhook_body
from app.extensions import db

SECRET = "s3cret-partner-key"


def _csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_signed_webhook_stores_posts_and_bad_signatures_are_refused(app, client):
    app.config["WEBHOOK_SECRET"] = SECRET
    body = json.dumps(
        {
            "items": [
                {
                    "id": "w1",
                    "text": "Cây đổ chắn đường Điện Biên Phủ",
                    "posted_at": "2026-11-27T10:00:00+07:00",
                },
                {"id": "w2"},
            ]
        },
        ensure_ascii=False,
    ).encode()
    try:
        refused = client.post(
            "/hooks/generic/hotline", data=body, headers={"X-Signature": "sha256=00"}
        )
        accepted = client.post(
            "/hooks/generic/hotline",
            data=body,
            headers={"X-Signature": sign_webhook_body(SECRET, body)},
        )
    finally:
        app.config["WEBHOOK_SECRET"] = ""

    assert refused.status_code == 401
    assert accepted.status_code == 202
    assert accepted.get_json()["new"] == 1 and accepted.get_json()["rejected"] == 1
    post = db.session.scalar(db.select(Post))
    assert (post.source, post.external_id, post.channel) == ("webhook:hotline", "w1", "direct")


def test_unconfigured_webhook_accepts_nothing(client):
    body = b'{"id": "1", "text": "x"}'

    assert (
        client.post(
            "/hooks/generic/x", data=body, headers={"X-Signature": sign_webhook_body("", body)}
        ).status_code
        == 401
    )


def test_admin_sees_sources_and_switches_one_on(client, create_user, login):
    login(create_user("admin", unit_code="UBND-TP"))

    page = client.get("/admin/sources").get_data(as_text=True)
    assert "facebook" in page and "rss" in page and "VnExpress" in page

    source = db.session.scalar(db.select(Source).where(Source.name == "rss"))
    client.post(f"/admin/sources/{source.id}", data={"action": "toggle", "csrf_token": _csrf(page)})
    client.post(
        f"/admin/sources/{source.id}",
        data={
            "action": "feeds",
            "csrf_token": _csrf(page),
            "feeds": "Báo A | https://a.vn/rss\nhttps://b.vn/rss",
        },
    )

    db.session.refresh(source)
    assert source.is_enabled
    assert source.settings["RSS_FEEDS"] == [
        {"name": "Báo A", "url": "https://a.vn/rss", "language": None},
        {"name": "https://b.vn/rss", "url": "https://b.vn/rss", "language": None},
    ]
    from app.users.models import AdminAudit

    audits = db.session.scalars(db.select(AdminAudit).order_by(AdminAudit.id)).all()
    assert [(a.action, a.target_id) for a in audits] == [
        ("source.toggle", source.id),
        ("source.feeds", source.id),
    ]


def test_sources_page_is_for_admins_only(client, create_user, login):
    login(create_user("officer"))

    assert client.get("/admin/sources").status_code == 403


def test_analyst_edits_a_watchlist(client, create_user, login):
    login(create_user("analyst", unit_code="VP-UBND"))
    token = _csrf(client.get("/watchlists").get_data(as_text=True))

    client.post(
        "/watchlists",
        data={
            "name": "Ngập nước",
            "purpose": "topic_monitoring",
            "mode": "any",
            "terms": "ngập\ntriều cường, nước lên",
            "is_active": "on",
            "csrf_token": token,
        },
    )

    watchlist = db.session.scalar(db.select(Watchlist))
    assert (watchlist.name, watchlist.terms) == ("Ngập nước", ["ngập", "triều cường", "nước lên"])
    assert "triều cường" in client.get("/watchlists").get_data(as_text=True)
    from app.users.models import AdminAudit

    audit = db.session.scalar(db.select(AdminAudit))
    assert (audit.action, audit.target_id, audit.details["name"]) == (
        "watchlist.create",
        watchlist.id,
        "Ngập nước",
    )


def test_officers_cannot_edit_watchlists(client, create_user, login):
    login(create_user("officer"))

    assert client.get("/watchlists").status_code == 403


def _row(page: str, name: str) -> str:
    """The sources table's row for `name`."""
    return next(row for row in page.split("<tr>") if f"<strong>{name}</strong>" in row)


def test_sources_page_names_a_missing_token_before_any_run(
    app, client, create_user, login, monkeypatch
):
    monkeypatch.delitem(app.config, "FACEBOOK_ACCESS_TOKEN", raising=False)
    monkeypatch.setitem(app.config, "YOUTUBE_API_KEY", "a-key")
    login(create_user("admin", unit_code="UBND-TP"))

    page = client.get("/admin/sources").get_data(as_text=True)

    facebook = _row(page, "facebook")
    assert "FACEBOOK_ACCESS_TOKEN" in facebook
    assert re.search(r'value="run" class="button" disabled', facebook)
    assert "X_BEARER_TOKEN" in _row(page, "x")
    youtube = _row(page, "youtube")
    assert "YOUTUBE_API_KEY" not in youtube and "disabled" not in youtube
    assert "disabled" not in _row(page, "rss")
    source = db.session.scalar(db.select(Source).where(Source.name == "facebook"))
    assert source.last_run_at is None and source.last_error is None

    response = client.post(
        f"/admin/sources/{source.id}",
        data={"action": "run", "csrf_token": _csrf(page)},
        follow_redirects=True,
    )
    assert "FACEBOOK_ACCESS_TOKEN" in response.get_data(as_text=True)
