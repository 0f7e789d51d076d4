"""The sign-in throttle: every try counted under concurrency, and the same answer for any address."""

import re
import threading
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import utcnow
from app.users import operations
from app.users.models import SignInThrottle
from app.users.operations import authenticate, email_key, prune_sign_in_throttles
from tests.conftest import TEST_PASSWORD

CONCURRENT = 40


@pytest.fixture
def counted_checks(monkeypatch):
    """Count the password hashes checked (real or dummy), from any thread."""
    calls = []
    lock = threading.Lock()
    real = operations.check_password_hash

    def counting(hashed, password):
        with lock:
            calls.append(password)
        return real(hashed, password)

    monkeypatch.setattr(operations, "check_password_hash", counting)
    return calls


def _concurrent_wrong_passwords(app, email: str, count: int = CONCURRENT):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def attempt(number):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results.append(authenticate(email, f"wrong-{number}"))
            except Exception as error:  # surfaced below, with the thread's own traceback lost
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == count
    return results


def _stored_count(email: str) -> int:
    db.session.expire_all()
    row = db.session.get(SignInThrottle, email_key(email))
    return row.failed_count if row else 0


@pytest.mark.parametrize("known", [True, False], ids=["known address", "unknown address"])
def test_concurrent_wrong_passwords_are_all_counted_and_the_lock_holds(
    app, app_context, create_user, counted_checks, known
):
    email = "target@test.socialbeat.vn"
    if known:
        create_user("officer", email=email)

    results = _concurrent_wrong_passwords(app, email)

    checked = [r for r in results if not r.refused]
    refused = [r for r in results if r.refused]
    # Exactly the free attempts were checked, each of them counted; every other try
    # was turned away unchecked by the lock, whatever the interleaving.
    assert len(counted_checks) == len(checked) == 5
    assert _stored_count(email) == 5
    assert len(refused) == CONCURRENT - 5
    assert all(r.user is None for r in results)
    # About 30 s; each thread read the clock a moment apart.
    assert all(29 <= r.retry_after <= 31 for r in refused)
    assert sorted(r.retry_after for r in checked) == [0, 0, 0, 0, 30]


def test_the_real_password_is_refused_while_locked(app, app_context, create_user):
    officer = create_user("officer")
    _concurrent_wrong_passwords(app, officer.email, count=10)

    result = authenticate(officer.email, TEST_PASSWORD)

    assert result.user is None and result.refused and result.retry_after > 0


def test_unknown_addresses_do_the_hash_work_too(app_context, counted_checks):
    authenticate("nobody@test.socialbeat.vn", "whatever")

    assert len(counted_checks) == 1


def test_the_count_and_the_wait_are_per_address(app_context, officer):
    now = utcnow()
    for _ in range(6):
        authenticate("someone-else@test.socialbeat.vn", "wrong", now=now)

    assert authenticate(officer.email, TEST_PASSWORD, now=now).user == officer


def test_address_case_and_spaces_do_not_escape_the_count(app_context, officer):
    now = utcnow()
    variants = [officer.email, officer.email.upper(), f"  {officer.email} ", officer.email.title()]
    for email in variants + [officer.email]:
        authenticate(email, "wrong", now=now)

    result = authenticate(officer.email, TEST_PASSWORD, now=now)
    assert result.refused and result.retry_after == 30


def test_the_wait_grows_after_each_lock_and_is_capped(app_context, officer):
    now = utcnow()
    for _ in range(5):
        authenticate(officer.email, "wrong", now=now)
    waits = []
    for _ in range(8):
        now += timedelta(seconds=901)
        waits.append(authenticate(officer.email, "wrong", now=now).retry_after)

    assert waits == [60, 120, 240, 480, 900, 900, 900, 900]


def test_old_failures_are_pruned(app_context, officer):
    authenticate(officer.email, "wrong", now=utcnow() - timedelta(days=2))
    authenticate("recent@test.socialbeat.vn", "wrong")

    assert prune_sign_in_throttles() == 1
    assert _stored_count(officer.email) == 0
    assert _stored_count("recent@test.socialbeat.vn") == 1


#: An itsdangerous-signed value in quotes (payload.timestamp.signature), as CSRF tokens are.
SIGNED_TOKEN = re.compile(r'"[\w-]+\.[\w-]+\.[\w-]+"')


def _csrf(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _answers(app, email: str, tries: int = 7) -> list[tuple[int, str]]:
    client = app.test_client()
    answers = []
    for _ in range(tries):
        token = _csrf(client)
        response = client.post(
            "/login", data={"email": email, "password": "not-the-password", "csrf_token": token}
        )
        body = response.get_data(as_text=True).replace(email, "EMAIL")
        # The page's own CSRF token is signed with the second it was made, so it differs from
        # `token` when the clock ticks between the two requests: compare without any token.
        answers.append((response.status_code, SIGNED_TOKEN.sub('"TOKEN"', body)))
    return answers


def test_known_and_unknown_addresses_get_the_same_answers(app, app_context, create_user):
    known = create_user("officer", email="real.person@test.socialbeat.vn").email

    for_known = _answers(app, known)
    for_unknown = _answers(app, "made.up@test.socialbeat.vn")

    assert [status for status, _ in for_known] == [401, 401, 401, 401, 429, 429, 429]
    assert for_unknown == for_known
    assert "Vui lòng thử lại sau 30 giây." in for_unknown[-1][1]
