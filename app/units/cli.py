"""flask --app wsgi units …

`units require-approval` is an admin change and is audited: it lives with the admin
functions, in app/users/cli.py.
"""

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
