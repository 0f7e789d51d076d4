"""flask --app wsgi users …"""

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.units.cli import units_cli
from app.units.models import Unit
from app.users.admin import audit, set_requires_approval
from app.users.models import Role
from app.users.operations import (
    UserError,
    create_user,
    end_sessions,
    get_user_by_email,
    issue_token,
    revoke_tokens,
    set_active,
    set_password,
)


@click.group("users", help="Users and API tokens.")
def users_cli():
    pass


def _audit(action: str, user, **details) -> None:
    """An audit row for a change made from the command line, added to the session before the
    change so that the operation's commit writes both (no actor: the operator on the server)."""
    audit(None, action, "user", user.id, via="cli", **details)


def _user_or_fail(email):
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit_code", required=True, help="The unit's code, e.g. SO-XD or 26734.")
@click.option("--name", "full_name", default="")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_command(email, role, unit_code, full_name, password):
    """Create a user in a unit."""
    try:
        user = create_user(email, password, role, unit_code, full_name=full_name)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    _audit("user.create", user, email=user.email, role=user.role, unit=user.unit.code)
    db.session.commit()
    click.echo(f"created {user.email} ({user.role}, {user.unit.name_vi})")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label for the token.")
@with_appcontext
def token_command(email, name):
    """Print a new API token for the user (shown once; only its hash is stored)."""
    user = _user_or_fail(email)
    _audit("user.token_issue", user, name=name)
    row, token = issue_token(user, name=name)
    click.echo(token)
    click.echo(
        f"token id {row.id}; revoke with `users revoke-token {email} --id {row.id}`", err=True
    )


@users_cli.command("tokens")
@click.argument("email")
@with_appcontext
def tokens_command(email):
    """List the user's tokens."""
    for row in _user_or_fail(email).tokens:
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.prefix}…\t{row.name}\t{state}")


@users_cli.command("revoke-token")
@click.argument("email")
@click.option("--id", "token_id", type=int, help="Revoke only this token; default: all.")
@with_appcontext
def revoke_command(email, token_id):
    """Revoke the user's API tokens."""
    user = _user_or_fail(email)
    _audit("user.tokens_revoke", user, token=token_id or "all")
    count = revoke_tokens(user, token_id)
    click.echo(f"revoked {count} token(s)")


@users_cli.command("set-password")
@click.argument("email")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def set_password_command(email, password):
    """Give the user a new password; their sessions end everywhere."""
    user = _user_or_fail(email)
    _audit("user.password_set", user)
    try:
        set_password(user, password)
    except UserError as error:
        db.session.rollback()  # nothing changed: no audit row either
        raise click.ClickException(str(error)) from error
    click.echo(f"new password set for {email}; their sessions have ended")


@users_cli.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate_command(email):
    """Stop the user from signing in; their sessions and API tokens stop working."""
    user = _user_or_fail(email)
    _audit("user.deactivate", user)
    set_active(user, False)
    click.echo(f"deactivated {email}")


@users_cli.command("activate")
@click.argument("email")
@with_appcontext
def activate_command(email):
    """Let a deactivated user sign in again."""
    user = _user_or_fail(email)
    _audit("user.reactivate", user)
    set_active(user, True)
    click.echo(f"activated {email}")


@users_cli.command("end-sessions")
@click.argument("email")
@with_appcontext
def end_sessions_command(email):
    """Sign the user out everywhere: every session and remember-me cookie stops working."""
    user = _user_or_fail(email)
    _audit("user.end_sessions", user)
    end_sessions(user)
    click.echo(f"ended every session of {email}")


@units_cli.command("require-approval")
@click.argument("code")
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def require_approval_command(code, state):
    """Make public responses of unit CODE wait for a supervisor's approval (on) or not (off)."""
    unit = db.session.scalar(db.select(Unit).where(Unit.code == code))
    if unit is None:
        raise click.ClickException(f"no unit with code {code!r}")
    set_requires_approval(None, unit, state == "on", via="cli")
    click.echo(
        f"{unit.name_vi}: responses {'need' if state == 'on' else 'do not need'} a supervisor's approval"
    )
