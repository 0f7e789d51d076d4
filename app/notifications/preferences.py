"""Which notifications each user wants, in the app and by email, and digest mode.

A kind listed in SWITCHABLE can be switched off per channel on /notifications/settings;
the other kinds (deadline alerts, trend alerts) always arrive. Nothing stored means
everything on and one email per dispatch.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import NotificationSettings

#: Delivery channels a kind can be switched off on (not the channels posts come through).
APP, EMAIL = "app", "email"
DELIVERY_CHANNELS = (APP, EMAIL)

#: The officer is given a case.
ASSIGNED = "case_assigned"
#: The reporter said an answered problem is not solved (created in app.public.operations).
REOPENED = "citizen_reopened"
#: A note names the user with @ (see mentions.py).
MENTIONED = "case_mention"
#: A P1 case opened in (or became P1 in, or moved to) the user's unit.
NEW_P1 = "new_p1"

#: kind -> what the settings page calls it, in the order shown.
SWITCHABLE = {
    ASSIGNED: _l("A case is assigned to me"),
    REOPENED: _l("A citizen reopens a case of mine or of my unit"),
    MENTIONED: _l("A note mentions me"),
    NEW_P1: _l("A new P1 case arrives in my unit"),
}


@dataclass(frozen=True)
class Choice:
    in_app: bool = True
    email: bool = True

    @property
    def wanted(self) -> bool:
        return self.in_app or self.email


@dataclass(frozen=True)
class Settings:
    disabled: frozenset[str] = frozenset()
    digest: bool = False

    def choice(self, kind: str) -> Choice:
        if kind not in SWITCHABLE:
            return Choice()
        return Choice(
            in_app=f"{kind}:{APP}" not in self.disabled,
            email=f"{kind}:{EMAIL}" not in self.disabled,
        )

    def is_on(self, kind: str, channel: str) -> bool:
        return f"{kind}:{channel}" not in self.disabled


def settings_of(user_id: int) -> Settings:
    return settings_for([user_id]).get(user_id, Settings())


def settings_for(user_ids: Iterable[int]) -> dict[int, Settings]:
    """user id -> Settings, for the users who changed anything (others: the defaults)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    with db.session.no_autoflush:
        rows = db.session.scalars(
            select(NotificationSettings).where(NotificationSettings.user_id.in_(ids))
        )
        return {
            row.user_id: Settings(frozenset(row.disabled or ()), bool(row.digest)) for row in rows
        }


def choices_for(user_ids: Iterable[int], kind: str) -> dict[int, Choice]:
    """user id -> the channels the user wants `kind` on (one query)."""
    ids = set(user_ids)
    if kind not in SWITCHABLE:
        return {user_id: Choice() for user_id in ids}
    stored = settings_for(ids)
    return {user_id: stored.get(user_id, Settings()).choice(kind) for user_id in ids}


def digest_user_ids() -> set[int]:
    return set(
        db.session.scalars(
            select(NotificationSettings.user_id).where(NotificationSettings.digest.is_(True))
        )
    )


def parse_form(form) -> tuple[list[str], bool]:
    """From the settings form (a checkbox `<kind>:<channel>` per kind and channel, and
    `digest`): the entries switched off, and digest mode. Unknown names are ignored."""
    disabled = [
        f"{kind}:{channel}"
        for kind in SWITCHABLE
        for channel in DELIVERY_CHANNELS
        if not form.get(f"{kind}:{channel}")
    ]
    return disabled, bool(form.get("digest"))


def save(user_id: int, disabled: Iterable[str], digest: bool) -> Settings:
    """Store the user's choices and commit."""
    valid = {f"{kind}:{channel}" for kind in SWITCHABLE for channel in DELIVERY_CHANNELS}
    entries = sorted(set(disabled) & valid)
    row = db.session.get(NotificationSettings, user_id)
    if row is None:
        row = NotificationSettings(user_id=user_id)
        db.session.add(row)
    row.disabled = entries
    row.digest = bool(digest)
    db.session.commit()
    return Settings(frozenset(entries), bool(digest))
