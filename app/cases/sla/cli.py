"""flask --app wsgi sla …: check a calendar, load the default policies, run the scan."""

from datetime import datetime

import click
from flask.cli import with_appcontext

from app.cases.sla import maths
from app.cases.sla.calendars import to_local_iso
from app.cases.sla.models import DEFAULT_CALENDAR_NAME
from app.cases.sla.store import calendar_by_name


@click.group("sla", help="SLA calendars, policies and clocks.")
def sla_cli():
    pass


@sla_cli.command("due")
@click.option("--start", required=True, help="ISO 8601, e.g. 2026-11-27T16:00:00+07:00.")
@click.option("--minutes", type=click.IntRange(min=0), required=True, help="The target.")
@click.option("--calendar", "calendar_name", default=DEFAULT_CALENDAR_NAME, show_default=True)
@click.option(
    "--counting",
    type=click.Choice([mode.value for mode in maths.CountingMode]),
    default=maths.CountingMode.WORKING.value,
    show_default=True,
)
@with_appcontext
def due_command(start, minutes, calendar_name, counting):
    """Print when a target of N minutes started at START is due, in the calendar's zone."""
    calendar = calendar_by_name(calendar_name)
    if calendar is None:
        raise click.ClickException(f"no calendar named {calendar_name!r}")
    try:
        started = datetime.fromisoformat(start)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--start") from error
    if started.tzinfo is None:
        started = started.replace(tzinfo=calendar.zone)
    due = maths.due_at(started, minutes * 60, counting, calendar)
    click.echo(to_local_iso(calendar, due))


@sla_cli.command("load-defaults")
@with_appcontext
def load_defaults_command():
    """Create the default calendar and per-priority policies that are missing (idempotent)."""
    from app.cases.sla.policies import load_default_sla

    click.echo(load_default_sla())


@sla_cli.command("scan")
@with_appcontext
def scan_command():
    """Run the at-risk/breach scan once, now (the worker runs it every minute)."""
    from app.cases.sla.escalation import scan
    from app.notifications.tasks import dispatch_emails

    result = scan()
    dispatch_emails()
    click.echo(
        f"at risk: {result.at_risk}, breached: {result.breached}, "
        f"notifications: {result.notifications}"
    )


@sla_cli.command("recompute")
@with_appcontext
def recompute_command():
    """Match every open clock to its policy again and recompute its due time."""
    from app.cases.sla.clocks import recompute_open_clocks

    click.echo(f"recomputed {recompute_open_clocks(rematch=True)} open clocks")
