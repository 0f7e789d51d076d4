"""Users, their roles and their API tokens."""

import enum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String
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
    #: Failed sign-ins since the last success; drives the growing wait.
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    #: No sign-in is checked before this time.
    login_locked_until = mapped_column(UTCDateTime)
    last_login_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    unit: Mapped[Unit] = relationship()
    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.is_active_account

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


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
