"""flask --app wsgi stats rebuild, rebuild-hourly"""

import time

import click
from flask.cli import with_appcontext

from app.stats.trends import hourly_rebuild


@click.group("stats", help="Statistics: handling time, backlog, volumes.")
def stats_cli():
    pass


@stats_cli.command("rebuild")
@click.option("--batch-size", default=500, show_default=True, help="Cases per transaction.")
@with_appcontext
def rebuild_command(batch_size: int):
    """Recompute the stage times of every case from its timeline and SLA clocks."""
    from app.cases.stage_times import rebuild

    began = time.monotonic()

    def progress(done: int, total: int) -> None:
        click.echo(f"  {done:,}/{total:,} cases ({time.monotonic() - began:.1f} s)")

    written = rebuild(batch_size=batch_size, progress=progress)
    click.echo(f"stage times rebuilt: {written:,} rows in {time.monotonic() - began:.1f} s")


@stats_cli.command("rebuild-hourly")
@click.option(
    "--learn",
    default=20_000,
    show_default=True,
    help="Learn compounds from this many of the latest posts first (0: learn nothing).",
)
@click.option("--keep-words", is_flag=True, help="Keep each post's stored keywords; only recount.")
@click.option("--batch-size", default=2000, show_default=True, help="Posts per transaction.")
@with_appcontext
def rebuild_hourly_command(learn: int, keep_words: bool, batch_size: int):
    """Recompute the hourly counts of hot topics, keywords, sentiment and volume from the posts."""
    began = time.monotonic()
    written = hourly_rebuild.rebuild(
        learn=learn, segment=not keep_words, batch_size=batch_size, progress=click.echo
    )
    click.echo(
        f"hourly counts rebuilt: {written:,} hourly rows in {time.monotonic() - began:.1f} s"
    )
