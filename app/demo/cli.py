"""flask --app wsgi demo load"""

from functools import partial

import click
from flask.cli import with_appcontext


@click.group("demo", help="Demo data for trying Social Beat out.")
def demo_cli():
    pass


@demo_cli.command("load")
@with_appcontext
def demo_load_command():
    """Create demo users and demo data (run `units load-hcmc` first). Safe to run twice."""
    from app.demo.users import DEMO_PASSWORD, DEMO_USERS, load_demo_users

    created = load_demo_users()
    click.echo(f"demo users: {created} created, {len(DEMO_USERS) - created} already there")
    for loader in _demo_loaders():
        click.echo(loader())
    click.echo("")
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for demo in DEMO_USERS:
        click.echo(f"  {demo.role:<11} {demo.email}")


def _demo_loaders() -> list:
    """Functions that load each domain's demo data and return a summary line, in order."""
    from app.cases.stage_times import demo_stage_times
    from app.demo.cases import load_demo_cases
    from app.demo.posts import load_demo_posts

    return [load_demo_cases, partial(load_demo_posts, progress=click.echo), demo_stage_times]
