"""Vietnamese first: every string is translated, and the language follows the user."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _i18n_script():
    spec = importlib.util.spec_from_file_location("i18n", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_user_visible_string_has_a_vietnamese_translation(tmp_path, monkeypatch):
    script = _i18n_script()
    monkeypatch.setattr(script, "POT", tmp_path / "messages.pot")
    script.extract()
    from babel.messages.pofile import read_po

    with open(tmp_path / "messages.pot", "rb") as handle:
        extracted = {str(m.id) for m in read_po(handle) if m.id}
    with open(ROOT / "app/translations/vi/LC_MESSAGES/messages.po", "rb") as handle:
        translated = {str(m.id) for m in read_po(handle) if m.id and m.string and not m.fuzzy}

    assert extracted - translated == set()


def test_vietnamese_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)

    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page


def test_accept_language_english(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )

    assert "Sign in" in page


def test_lang_parameter_wins_and_is_remembered(client):
    assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in client.get("/login?lang=vi").get_data(as_text=True)


def test_signed_in_users_language_choice_is_stored(client, officer, login):
    login(officer)

    client.get("/cases?lang=en")

    from app.extensions import db

    db.session.refresh(officer)
    assert officer.locale == "en"
    assert "Queue of" in client.get("/cases", headers={"Accept-Language": "vi"}).get_data(
        as_text=True
    )


def test_every_page_has_a_language_switcher(client):
    page = client.get("/login").get_data(as_text=True)

    assert 'hreflang="en"' in page and 'hreflang="vi"' in page
