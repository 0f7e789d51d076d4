"""Managing accounts and units from the admin screens; every change leaves an audit row.

Plain functions, no HTTP: the views in app/users/admin_views.py only parse forms and
call these. Password resets use a signed, expiring token that names the user and a
fingerprint of their current password hash, so it stops working once it has been used
(the hash changes) and after `max_age` seconds.
"""

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select

from app.extensions import db
from app.units.models import Unit
from app.users import operations
from app.users.models import AdminAudit, Role, User

ROLE_LABELS = {
    Role.officer.value: _l("Officer"),
    Role.supervisor.value: _l("Supervisor"),
    Role.analyst.value: _l("Analyst"),
    Role.admin.value: _l("Administrator"),
}
RESET_SALT = "socialbeat.password-reset"
#: A reset link works for a day unless used first.
RESET_MAX_AGE = 24 * 3600
MAX_NAME = 200
MAX_EMAIL = 254


class AdminError(ValueError):
    """An admin change was refused; `user_message` says why, in the user's language."""

    def __init__(self, user_message):
        super().__init__(str(user_message))
        self.user_message = user_message


# -- audit ------------------------------------------------------------------------------


def audit(actor: User | None, action: str, target_type: str, target_id, **details) -> AdminAudit:
    """Add an audit row to the session (the caller's commit writes it with the change)."""
    row = AdminAudit(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )
    db.session.add(row)
    return row


def recent_audit(limit: int = 30, target_type: str | None = None) -> list[AdminAudit]:
    statement = select(AdminAudit).order_by(AdminAudit.created_at.desc(), AdminAudit.id.desc())
    if target_type:
        statement = statement.where(AdminAudit.target_type == target_type)
    return db.session.scalars(statement.limit(limit)).all()


# -- users ------------------------------------------------------------------------------


def users_query(search: str = ""):
    """Users by name, searchable by (case-insensitive) name or email."""
    statement = select(User).order_by(func.lower(User.full_name), User.email)
    search = search.strip()
    if search:
        needle = search.lower()
        statement = statement.where(
            or_(
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(User.full_name).contains(needle, autoescape=True),
            )
        )
    return statement


def _unit(unit_id) -> Unit:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        raise AdminError(_l("Choose a unit."))
    return unit


def _role(role: str) -> str:
    if role not in ROLE_LABELS:
        raise AdminError(_l("Choose a role."))
    return role


def create_user(actor: User, email: str, full_name: str, role: str, unit_id) -> User:
    """A new account with an unusable random password; the admin then sends a reset link."""
    email = operations.normalize_email(email or "")
    full_name = (full_name or "").strip()
    if "@" not in email or len(email) > MAX_EMAIL or any(c.isspace() for c in email):
        raise AdminError(_l("Enter a valid email address."))
    if not full_name or len(full_name) > MAX_NAME:
        raise AdminError(_l("Enter a name of at most %(max)d characters.", max=MAX_NAME))
    role, unit = _role(role), _unit(unit_id)
    if operations.get_user_by_email(email):
        raise AdminError(_l("A user with this email already exists."))
    user = User(email=email, full_name=full_name, role=role, unit=unit)
    user.set_password(secrets.token_urlsafe(32))
    db.session.add(user)
    db.session.flush()
    audit(actor, "user.create", "user", user.id, email=email, role=role, unit=unit.code)
    db.session.commit()
    return user


def update_user(actor: User, user: User, *, role: str, unit_id, full_name: str) -> bool:
    """Change role, unit and name; returns whether anything changed."""
    role, unit = _role(role), _unit(unit_id)
    full_name = (full_name or "").strip()
    if not full_name or len(full_name) > MAX_NAME:
        raise AdminError(_l("Enter a name of at most %(max)d characters.", max=MAX_NAME))
    if user.id == actor.id and role != Role.admin.value:
        raise AdminError(_l("You cannot take the admin role from yourself."))
    changes = {}
    if user.role != role:
        changes["role"] = [user.role, role]
    if user.unit_id != unit.id:
        changes["unit"] = [user.unit.code, unit.code]
    if user.full_name != full_name:
        changes["full_name"] = [user.full_name, full_name]
    if not changes:
        return False
    user.role, user.unit, user.full_name = role, unit, full_name
    if "role" in changes or "unit" in changes:
        # What the user may see changed: their open pages must sign in again.
        user.session_version = (user.session_version or 0) + 1
    audit(actor, "user.update", "user", user.id, **changes)
    db.session.commit()
    return True


def set_active(actor: User, user: User, active: bool) -> int:
    """Deactivate (ending sessions and revoking API tokens) or reactivate; tokens revoked."""
    if user.id == actor.id and not active:
        raise AdminError(_l("You cannot deactivate your own account."))
    if user.is_active_account == active:
        return 0
    operations.set_active(user, active)
    revoked = 0 if active else operations.revoke_tokens(user)
    audit(
        actor,
        "user.reactivate" if active else "user.deactivate",
        "user",
        user.id,
        tokens_revoked=revoked,
    )
    db.session.commit()
    return revoked


# -- password reset ---------------------------------------------------------------------


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def issue_reset_token(actor: User, user: User, secret_key: str) -> str:
    """A one-time token for /reset/<token>; audited (the token itself is not stored)."""
    if not user.is_active_account:
        raise AdminError(_l("Reactivate the account before resetting its password."))
    token = _serializer(secret_key).dumps({"u": user.id, "p": _fingerprint(user)})
    audit(actor, "user.reset_link", "user", user.id)
    db.session.commit()
    return token


def user_for_reset(token: str, secret_key: str, max_age: int = RESET_MAX_AGE) -> User | None:
    """The user a reset token names, if it is genuine, fresh and not yet used."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active_account or data.get("p") != _fingerprint(user):
        return None
    return user


def reset_password(user: User, password: str) -> None:
    """Set the new password (its sessions elsewhere end, and the token is spent)."""
    if len(password) < 8:
        raise AdminError(_l("The password must have at least 8 characters."))
    if len(password) > 200:
        raise AdminError(_l("The password must have at most 200 characters."))
    user.set_password(password)
    audit(None, "user.password_reset", "user", user.id)
    db.session.commit()


# -- units ------------------------------------------------------------------------------


def unit_tree() -> list[tuple[Unit, int]]:
    """Every unit with its depth, parents before their children, siblings by order."""
    units = db.session.scalars(select(Unit).order_by(Unit.sort_order, Unit.name_vi)).all()
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    known = {unit.id for unit in units}
    out: list[tuple[Unit, int]] = []

    def walk(unit: Unit, depth: int) -> None:
        out.append((unit, depth))
        for child in children.get(unit.id, []):
            walk(child, depth + 1)

    for unit in units:
        if unit.parent_id is None or unit.parent_id not in known:
            walk(unit, 0)
    return out


def set_requires_approval(actor: User | None, unit: Unit, required: bool, **details) -> bool:
    """Switch whether the unit's public texts wait for a supervisor; returns whether it changed.
    `details` go to the audit row (``via="cli"`` from the command line)."""
    if unit.requires_response_approval == required:
        return False
    audit(
        actor,
        "unit.approval",
        "unit",
        unit.id,
        code=unit.code,
        requires_response_approval=[unit.requires_response_approval, required],
        **details,
    )
    unit.requires_response_approval = required
    db.session.commit()
    return True
