import re
from datetime import timedelta

from app.extensions import db
from app.models import utcnow
from app.users.models import SignInThrottle
from app.users.operations import authenticate, revoke_tokens
from tests.conftest import TEST_PASSWORD


def _csrf(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_passwords_are_hashed(officer):
    assert TEST_PASSWORD not in officer.password_hash
    assert officer.password_hash.startswith("scrypt:")


def test_sign_in_through_the_form(client, officer):
    response = client.post(
        "/login",
        data={
            "email": officer.email.upper(),
            "password": TEST_PASSWORD,
            "csrf_token": _csrf(client),
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Hàng đợi" in client.get("/cases").get_data(as_text=True)


def test_sign_in_without_csrf_token_is_refused(client, officer):
    response = client.post("/login", data={"email": officer.email, "password": TEST_PASSWORD})

    assert response.status_code == 400
    assert client.get("/cases").status_code == 302


def test_wrong_password_is_refused(client, officer):
    response = client.post(
        "/login",
        data={"email": officer.email, "password": "nope-nope", "csrf_token": _csrf(client)},
    )

    assert response.status_code == 401
    assert "Sai email hoặc mật khẩu." in response.get_data(as_text=True)


def test_repeated_failures_slow_down_sign_in(app_context, officer):
    now = utcnow()
    results = [authenticate(officer.email, "wrong", now=now) for _ in range(6)]

    assert [r.retry_after for r in results] == [0, 0, 0, 0, 30, 30]
    # Even the right password waits until the delay has passed…
    assert authenticate(officer.email, TEST_PASSWORD, now=now).user is None
    # …and works afterwards.
    later = now + timedelta(seconds=31)
    assert authenticate(officer.email, TEST_PASSWORD, now=later).user == officer
    # A success forgets the failures: the next wrong password is a free one again.
    assert db.session.scalar(db.select(db.func.count()).select_from(SignInThrottle)) == 0
    assert authenticate(officer.email, "wrong", now=later).retry_after == 0


def test_throttled_form_answers_429_with_the_wait(client, officer):
    for _ in range(5):
        client.post(
            "/login",
            data={"email": officer.email, "password": "x" * 9, "csrf_token": _csrf(client)},
        )

    response = client.post(
        "/login",
        data={"email": officer.email, "password": TEST_PASSWORD, "csrf_token": _csrf(client)},
    )

    assert response.status_code == 429
    assert "thử lại sau" in response.get_data(as_text=True)


def test_session_cookie_is_http_only_and_secure_by_default():
    from config import Config

    assert Config.SESSION_COOKIE_HTTPONLY is True
    assert Config.SESSION_COOKIE_SAMESITE == "Lax"
    assert Config.SESSION_COOKIE_SECURE is True


def test_pages_need_sign_in(client):
    response = client.get("/cases")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_does_not_redirect_off_site(client, officer):
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": officer.email, "password": TEST_PASSWORD, "csrf_token": _csrf(client)},
    )

    assert response.headers["Location"] == "/"


def test_sign_out_needs_a_post_with_csrf(client, officer, login):
    login(officer)

    assert client.post("/logout").status_code == 400
    response = client.post("/logout", data={"csrf_token": _csrf(client, "/cases")})
    assert response.status_code == 302
    assert client.get("/cases").status_code == 302


def test_api_token_lifecycle(client, officer, api_token):
    headers = api_token(officer)
    assert client.get("/api/v1/units", headers=headers).status_code == 200

    revoke_tokens(officer)

    response = client.get("/api/v1/units", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["message"] == "invalid or revoked token"


def test_garbage_token_is_401(client):
    response = client.get("/api/v1/units", headers={"Authorization": "Bearer sb_nope"})

    assert response.status_code == 401


def test_users_cli_creates_issues_and_revokes_tokens(runner, client, app_context):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "lan@hcmc.gov.vn",
            "--role",
            "supervisor",
            "--unit",
            "27478",
            "--password",
            "mat-khau-rat-dai",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Phường Tân Thuận" in result.output

    token = runner.invoke(args=["users", "token", "lan@hcmc.gov.vn"]).stdout.strip().splitlines()[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/units", headers=headers).status_code == 200

    result = runner.invoke(args=["users", "revoke-token", "lan@hcmc.gov.vn"])
    assert "revoked 1 token(s)" in result.output
    assert client.get("/api/v1/units", headers=headers).status_code == 401


def test_users_cli_refuses_unknown_unit(runner, app_context):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "x@y.vn",
            "--role",
            "officer",
            "--unit",
            "NOPE",
            "--password",
            "12345678",
        ]
    )

    assert result.exit_code != 0
    assert "no unit with code 'NOPE'" in result.output
