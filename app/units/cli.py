"""flask --app wsgi units …"""

import click
from flask.cli import with_appcontext

from app.units.operations import load_hcmc, wards_of_former_district


@click.group("units", help="Administrative and organisational units.")
def units_cli():
    pass


@units_cli.command("load-hcmc")
@with_appcontext
def load_hcmc_command():
    """Load HCMC's wards, communes, special zone, former districts and city departments."""
    result = load_hcmc(progress=lambda message: click.echo(f"  {message}"))
    click.echo(
        f"done: {result['local_units']} current wards/communes/special zone, "
        f"{result['former_districts']} former districts, {result['created']} units created"
    )


@units_cli.command("wards-of")
@click.argument("district")
@with_appcontext
def wards_of_command(district):
    """List the current wards a former district became, e.g. "Quận 7"."""
    wards = wards_of_former_district(district)
    if not wards:
        raise click.ClickException(f"no former district named {district!r}")
    for ward in wards:
        click.echo(f"{ward.code}\t{ward.name_vi}")


@units_cli.command("require-approval")
@click.argument("code")
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def require_approval_command(code, state):
    """Make public responses of unit CODE wait for a supervisor's approval (on) or not (off)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.units.models import Unit

    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise click.ClickException(f"no unit with code {code!r}")
    unit.requires_response_approval = state == "on"
    db.session.commit()
    click.echo(
        f"{unit.name_vi}: responses {'need' if state == 'on' else 'do not need'} a supervisor's approval"
    )
