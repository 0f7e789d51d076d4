"""Users, their roles and their API tokens."""

import enum

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import UTCDateTime, utcnow
from app.units.models import Unit


class Role(enum.StrEnum):
    officer = "officer"
    supervisor = "supervisor"
    analyst = "analyst"
    admin = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased sign-in address.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    #: A salted scrypt hash from werkzeug; never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: officer, supervisor, analyst or admin.
    role: Mapped[str] = mapped_column(String(20), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: The user's language choice ("vi" or "en"); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(8))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    #: Part of every session and remember-me cookie; signing out, a new password or
    #: deactivation raise it, so cookies issued before stop working at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_login_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    unit: Mapped[Unit] = relationship()
    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.is_active_account

    def get_id(self) -> str:
        """The id flask-login keeps in the session and the remember-me cookie: "id:version"."""
        return f"{self.id}:{self.session_version or 0}"

    def set_password(self, password: str) -> None:
        """Store a new password hash; an existing account's sessions end with the old one."""
        if self.password_hash:
            self.session_version = (self.session_version or 0) + 1
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


class SignInThrottle(db.Model):
    """Failed sign-ins per address, whether or not an account has it.

    Keyed by a hash of the normalised address, so unknown addresses are slowed
    down exactly like real ones (the answer never tells which exist) and the
    table is not a list of what people typed.
    """

    __tablename__ = "sign_in_throttles"

    #: hex SHA-256 of the lower-cased, stripped address.
    email_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Failed (or still running) sign-ins since the last success.
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    #: When the last of them started; the wait is counted from here.
    last_failed_at = mapped_column(UTCDateTime, nullable=False, index=True)


class ApiToken(db.Model):
    """A bearer token for /api/v1. Only its SHA-256 is stored; revoking is permanent."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    #: The first characters of the token, shown to tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: hex SHA-256 of the whole token; tokens are random enough that no salt is needed.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_used_at = mapped_column(UTCDateTime)
    revoked_at = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class AdminAudit(db.Model):
    """One change an admin made on the admin screens (users, units, rules, templates)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who made the change; kept as None if that account is ever deleted.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: What was done, e.g. "user.create", "user.deactivate", "unit.approval".
    action: Mapped[str] = mapped_column(String(40), index=True)
    #: What it was done to: "user", "unit", "routing_rule", "response_template".
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer)
    #: Before/after values of what changed (no secrets).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
