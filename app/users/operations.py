"""Creating users, signing in with throttling, and API tokens."""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import utcnow
from app.units.models import Unit
from app.users.models import ApiToken, Role, User

TOKEN_PREFIX = "sb_"


class UserError(ValueError):
    """A user operation was refused; the message says why."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    email: str,
    password: str,
    role: str,
    unit_code: str,
    full_name: str = "",
    locale: str | None = None,
) -> User:
    """Create a user in the unit with the given code; refuse duplicates and unknown units."""
    if role not in Role.__members__:
        raise UserError(f"unknown role {role!r}; use one of {', '.join(Role.__members__)}")
    email = normalize_email(email)
    if "@" not in email:
        raise UserError(f"{email!r} is not an email address")
    if len(password) < 8:
        raise UserError("the password must have at least 8 characters")
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise UserError(f"no unit with code {unit_code!r}; run `units load-hcmc` first")
    if get_user_by_email(email):
        raise UserError(f"a user with email {email} already exists")
    user = User(email=email, role=role, unit=unit, full_name=full_name, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password")


@dataclass
class SignInResult:
    user: User | None
    #: Seconds to wait before the next try, when the account is being slowed down.
    retry_after: int = 0


def _lock_seconds(failures: int, free: int, base: int, cap: int) -> int:
    if failures < free:
        return 0
    return min(cap, base * 2 ** (failures - free))


def authenticate(
    email: str,
    password: str,
    *,
    free_attempts: int = 5,
    base_delay: int = 30,
    max_delay: int = 900,
    now: datetime | None = None,
) -> SignInResult:
    """Check a password. After `free_attempts` failures each further try waits longer.

    The wait doubles from `base_delay` up to `max_delay`, so guessing is slow but
    the real user is never locked out for long.
    """
    now = now or utcnow()
    user = get_user_by_email(email)
    if user is None:
        # Same cost as a real check, so timing does not tell which emails exist.
        check_password_hash(_dummy_hash(), password)
        return SignInResult(None)
    if user.login_locked_until and user.login_locked_until > now:
        return SignInResult(
            None, retry_after=math.ceil((user.login_locked_until - now).total_seconds())
        )
    if user.is_active_account and user.check_password(password):
        user.failed_login_count = 0
        user.login_locked_until = None
        user.last_login_at = now
        db.session.commit()
        return SignInResult(user)
    user.failed_login_count += 1
    wait = _lock_seconds(user.failed_login_count, free_attempts, base_delay, max_delay)
    user.login_locked_until = now + timedelta(seconds=wait) if wait else None
    db.session.commit()
    return SignInResult(None, retry_after=wait)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create an API token; return the row and the token text, which is shown only once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name, prefix=token[:10], token_hash=_hash_token(token))
    db.session.add(row)
    db.session.commit()
    return row, token


def user_for_token(token: str) -> User | None:
    """The active user owning a valid, unrevoked token; records its last use."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if row is None or row.is_revoked or not row.user.is_active:
        return None
    now = utcnow()
    # Writing on every request would serialise API traffic; a minute's precision is enough.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
    return row.user


def revoke_tokens(user: User, token_id: int | None = None) -> int:
    """Revoke one of the user's tokens, or all of them; return how many were revoked."""
    statement = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        statement = statement.where(ApiToken.id == token_id)
    rows = db.session.scalars(statement).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
    db.session.commit()
    return len(rows)
