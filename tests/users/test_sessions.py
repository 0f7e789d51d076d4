"""Signing out ends the session on the server: copies of its cookies stop working."""

import re

import pytest

from app.extensions import db
from app.users import operations
from tests.conftest import TEST_PASSWORD


def _csrf(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _sign_in(client, user, remember=False):
    data = {"email": user.email, "password": TEST_PASSWORD, "csrf_token": _csrf(client)}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def _sign_out(client):
    response = client.post("/logout", data={"csrf_token": _csrf(client, "/cases")})
    assert response.status_code == 302


def _with_cookie(app, name, value):
    """A fresh browser holding only a copy of one cookie (what an attacker would have)."""
    other = app.test_client()
    other.set_cookie(name, value)
    return other


def _signed_in(client) -> bool:
    return client.get("/cases").status_code == 200


def test_a_copied_session_cookie_stops_working_at_sign_out(app, client, officer):
    _sign_in(client, officer)
    stolen = client.get_cookie("session").value
    assert _signed_in(_with_cookie(app, "session", stolen))

    _sign_out(client)

    response = _with_cookie(app, "session", stolen).get("/cases")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_copied_remember_me_cookie_stops_working_at_sign_out(app, client, officer):
    _sign_in(client, officer, remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    stolen = remember.value
    # The cookie alone (no session) signs a browser in before signing out…
    assert _signed_in(_with_cookie(app, "remember_token", stolen))

    _sign_out(client)

    # …and not after.
    assert not _signed_in(_with_cookie(app, "remember_token", stolen))


def test_signing_in_again_after_sign_out_works(app, client, officer):
    _sign_in(client, officer)
    _sign_out(client)

    _sign_in(client, officer)

    assert _signed_in(client)


def test_a_new_password_ends_other_sessions(app, client, officer):
    _sign_in(client, officer)
    assert _signed_in(client)

    operations.set_password(officer, "a-brand-new-password")

    assert not _signed_in(client)
    fresh = app.test_client()
    response = fresh.post(
        "/login",
        data={
            "email": officer.email,
            "password": "a-brand-new-password",
            "csrf_token": _csrf(fresh),
        },
    )
    assert response.status_code == 302


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(app, client, officer):
    _sign_in(client, officer, remember=True)
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value

    operations.set_active(officer, False)

    assert not _signed_in(client)
    operations.set_active(officer, True)
    assert not _signed_in(_with_cookie(app, "session", session_cookie))
    assert not _signed_in(_with_cookie(app, "remember_token", remember_cookie))


def test_a_session_without_a_version_lasts_only_until_the_first_sign_out(
    app, client, officer, login
):
    # Cookies made before versions existed hold the bare id.
    login(officer)
    stolen = client.get_cookie("session").value
    assert _signed_in(client)

    _sign_out(client)

    assert not _signed_in(_with_cookie(app, "session", stolen))


def test_sign_out_on_one_device_ends_the_other_devices_too(app, client, officer):
    laptop, phone = app.test_client(), app.test_client()
    _sign_in(laptop, officer)
    _sign_in(phone, officer)

    _sign_out(laptop)

    assert not _signed_in(phone)


@pytest.mark.parametrize("user_id", ["abc", "1:x", "²", "1:²", "99999999999999999999999", ""])
def test_malformed_user_ids_in_a_session_mean_nobody(app_context, user_id):
    assert operations.user_for_session(user_id) is None


def test_session_id_carries_the_version(app_context, officer):
    assert officer.get_id() == f"{officer.id}:0"

    operations.end_sessions(officer)

    assert officer.get_id() == f"{officer.id}:1"
    assert operations.user_for_session(f"{officer.id}:0") is None
    assert operations.user_for_session(f"{officer.id}:1") == officer
    db.session.refresh(officer)
    assert officer.session_version == 1


def test_cli_ends_sessions_and_deactivates(app, runner, client, officer):
    _sign_in(client, officer)

    result = runner.invoke(args=["users", "end-sessions", officer.email])

    assert result.exit_code == 0, result.output
    assert not _signed_in(client)
    _sign_in(client, officer)
    assert runner.invoke(args=["users", "deactivate", officer.email]).exit_code == 0
    assert not _signed_in(client)
    refused = client.post(
        "/login",
        data={"email": officer.email, "password": TEST_PASSWORD, "csrf_token": _csrf(client)},
    )
    assert refused.status_code == 401
