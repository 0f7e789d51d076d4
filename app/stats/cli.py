"""flask --app wsgi stats rebuild"""

import time

import click
from flask.cli import with_appcontext


@click.group("stats", help="Statistics: handling time, backlog, volumes.")
def stats_cli():
    pass


@stats_cli.command("rebuild")
@click.option("--batch-size", default=500, show_default=True, help="Cases per transaction.")
@with_appcontext
def rebuild_command(batch_size: int):
    """Recompute the stage times of every case from its timeline and SLA clocks."""
    from app.stats.stage_times import rebuild

    began = time.monotonic()

    def progress(done: int, total: int) -> None:
        click.echo(f"  {done:,}/{total:,} cases ({time.monotonic() - began:.1f} s)")

    written = rebuild(batch_size=batch_size, progress=progress)
    click.echo(f"stage times rebuilt: {written:,} rows in {time.monotonic() - began:.1f} s")
