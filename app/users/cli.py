"""flask --app wsgi users …"""

import click
from flask.cli import with_appcontext

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
    click.echo(f"created {user.email} ({user.role}, {user.unit.name_vi})")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label for the token.")
@with_appcontext
def token_command(email, name):
    """Print a new API token for the user (shown once; only its hash is stored)."""
    row, token = issue_token(_user_or_fail(email), name=name)
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
    count = revoke_tokens(_user_or_fail(email), token_id)
    click.echo(f"revoked {count} token(s)")


@users_cli.command("set-password")
@click.argument("email")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def set_password_command(email, password):
    """Give the user a new password; their sessions end everywhere."""
    try:
        set_password(_user_or_fail(email), password)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"new password set for {email}; their sessions have ended")


@users_cli.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate_command(email):
    """Stop the user from signing in; their sessions and API tokens stop working."""
    set_active(_user_or_fail(email), False)
    click.echo(f"deactivated {email}")


@users_cli.command("activate")
@click.argument("email")
@with_appcontext
def activate_command(email):
    """Let a deactivated user sign in again."""
    set_active(_user_or_fail(email), True)
    click.echo(f"activated {email}")


@users_cli.command("end-sessions")
@click.argument("email")
@with_appcontext
def end_sessions_command(email):
    """Sign the user out everywhere: every session and remember-me cookie stops working."""
    end_sessions(_user_or_fail(email))
    click.echo(f"ended every session of {email}")
