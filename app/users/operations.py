"""Creating users, signing in with throttling, and API tokens."""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import case, delete, false, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import utcnow
from app.units.models import Unit
from app.users.models import ApiToken, Role, SignInThrottle, User

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
    #: Seconds to wait before the next try, when the address is being slowed down.
    retry_after: int = 0
    #: True when the try was refused unchecked because the address must wait.
    refused: bool = False


def _lock_seconds(failures: int, free: int, base: int, cap: int) -> int:
    if failures < free:
        return 0
    return min(cap, base * 2 ** min(failures - free, 32))


def email_key(email: str) -> str:
    """The throttle's key for an address: a hash, so the table keeps no typed addresses."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def _locked_condition(now: datetime, free: int, base: int, cap: int):
    """SQL: "the last failure's wait has not passed yet", for the row being updated.

    The wait depends on the count; the few distinct waits (30 s, 60 s, … up to the
    cap) become a CASE over cut-off times computed here, so the condition is plain
    SQL on PostgreSQL and SQLite alike.
    """
    table = SignInThrottle.__table__
    count, last = table.c.failed_count, table.c.last_failed_at
    whens = []
    failures = free
    while True:
        wait = _lock_seconds(failures, free, base, cap)
        if wait >= cap:
            break
        whens.append((count == failures, last > now - timedelta(seconds=wait)))
        failures += 1
    whens.insert(0, (count < max(free, 1), false()))
    return case(*whens, else_=last > now - timedelta(seconds=cap))


def _upsert(values: dict):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app runs on PostgreSQL or SQLite
        raise RuntimeError(f"sign-in throttle needs PostgreSQL or SQLite, not {dialect}")
    return insert(SignInThrottle).values(**values)


def _reserve_attempt(key: str, now: datetime, free: int, base: int, cap: int) -> int | None:
    """Count this try as a failure before checking it, in one atomic statement.

    Returns the new count, or None when the address must still wait (nothing is
    counted then). Concurrent tries queue on the row, so each one sees the count
    and the wait that the ones before it left: no more than the allowed number
    of passwords is ever checked, however many arrive at once.
    """
    table = SignInThrottle.__table__
    statement = _upsert({"email_key": key, "failed_count": 1, "last_failed_at": now})
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.email_key],
        set_={"failed_count": table.c.failed_count + 1, "last_failed_at": now},
        where=~_locked_condition(now, free, base, cap),
    ).returning(table.c.failed_count)
    count = db.session.execute(statement).scalar()
    db.session.commit()
    return count


def _seconds_left(key: str, now: datetime, free: int, base: int, cap: int) -> int:
    row = db.session.get(SignInThrottle, key, populate_existing=True)
    if row is None:  # a success cleared it meanwhile; the refused try still has to wait
        return 1
    until = row.last_failed_at + timedelta(seconds=_lock_seconds(row.failed_count, free, base, cap))
    return max(1, math.ceil((until - now).total_seconds()))


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
    the real user is never locked out for long. The count is kept per address,
    whether or not an account has it, so the answers (401, then 429 with the same
    wait) and their timing are the same for unknown addresses as for real ones.
    """
    now = now or utcnow()
    key = email_key(email)
    limits = (free_attempts, base_delay, max_delay)
    count = _reserve_attempt(key, now, *limits)
    if count is None:
        return SignInResult(None, retry_after=_seconds_left(key, now, *limits), refused=True)
    user = get_user_by_email(email)
    # The hash is checked for unknown and inactive accounts too, so timing tells nothing.
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is not None and user.is_active_account and password_ok:
        db.session.execute(delete(SignInThrottle).where(SignInThrottle.email_key == key))
        user.last_login_at = now
        db.session.commit()
        return SignInResult(user)
    return SignInResult(None, retry_after=_lock_seconds(count, *limits))


def prune_sign_in_throttles(older_than: timedelta = timedelta(days=1)) -> int:
    """Forget failures older than `older_than` (their wait is long over); return how many."""
    result = db.session.execute(
        delete(SignInThrottle).where(SignInThrottle.last_failed_at < utcnow() - older_than)
    )
    db.session.commit()
    return result.rowcount


def end_sessions(user: User) -> None:
    """Make every session and remember-me cookie of the user stop working now.

    One atomic increment, so two sign-outs at once both count.
    """
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(user)


def set_password(user: User, password: str) -> None:
    """Give the user a new password; their sessions elsewhere end."""
    if len(password) < 8:
        raise UserError("the password must have at least 8 characters")
    user.set_password(password)
    db.session.commit()


def set_active(user: User, active: bool) -> None:
    """Deactivate (or reactivate) an account; deactivating ends its sessions."""
    user.is_active_account = active
    if not active:
        user.session_version = (user.session_version or 0) + 1
    db.session.commit()


def user_for_session(user_id: str) -> User | None:
    """The user a session or remember-me cookie names ("id:version"), if still valid.

    A cookie from before a sign-out, a password change or a deactivation names an
    older version and gets nobody. A bare id (cookies from before versions existed)
    counts as version 0, which stops working at the user's first sign-out.
    """
    user_id = str(user_id)
    ident, _, version = user_id.partition(":")
    if not ident.isascii() or not ident.isdigit() or len(ident) > 18:
        return None
    if version and (not version.isascii() or not version.isdigit() or len(version) > 18):
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_active_account:
        return None
    if int(version or 0) != (user.session_version or 0):
        return None
    return user


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
