"""flask --app wsgi collect …"""

import click
from flask.cli import with_appcontext

from app.collectors.base import ConfigError, PostData, SourceError
from app.collectors.hooks import hand_over_new_posts
from app.collectors.operations import IngestStats, store_posts
from app.collectors.runner import UnknownSource, ensure_sources, run_source
from app.collectors.sources.file_import import ImportRejection, iter_import_lines

IMPORT_BATCH = 500


@click.group("collect", help="Collect posts from sources and files.")
def collect_cli():
    pass


@collect_cli.command("run")
@click.argument("source")
@click.option("--max-pages", default=10, show_default=True)
@with_appcontext
def run_command(source, max_pages):
    """Collect SOURCE now (facebook, youtube, x, zalo, rss) and print a summary."""
    try:
        stats = run_source(
            source, max_pages=max_pages, progress=lambda line: click.echo(f"  {line}")
        )
    except UnknownSource as error:
        raise click.ClickException(str(error)) from error
    except (SourceError, ConfigError) as error:
        raise click.ClickException(
            f"{source} failed: {error} (recorded; it will be retried with backoff)"
        ) from error
    click.echo(f"{source}: {stats.summary()}")


@collect_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", default=None, help="Store every record under this source name.")
@with_appcontext
def import_command(path, source):
    """Import posts from a JSONL or CSV file; importing the same file again adds nothing.

    Every line is stored, found already stored (duplicate) or rejected; each
    rejected line is listed with its number and the reason after the summary.
    The exit status is 0 when the file was read, whatever was rejected, and 1
    when it could not be read at all (unknown extension, a CSV header that is
    not UTF-8).
    """
    total = IngestStats()
    rejections: list[tuple[int, str]] = []
    batch: list[tuple[int, PostData]] = []

    def flush():
        stats = store_posts([post for _, post in batch])
        rejections.extend((batch[index][0], reason) for index, reason in stats.refused)
        hand_over_new_posts(stats.new_ids)
        total.add(stats)
        batch.clear()
        click.echo(f"  {total.read} read, {total.new} new …", err=True)

    try:
        for line_number, item in iter_import_lines(path, source):
            if isinstance(item, ImportRejection):
                total.reject(item.reason)
                rejections.append((item.line_number, item.reason))
                continue
            batch.append((line_number, item))
            if len(batch) >= IMPORT_BATCH:
                flush()
    except (ValueError, OSError) as error:
        if batch:
            flush()
        done = f" (before that: {total.summary(with_reasons=False)})" if total.read else ""
        raise click.ClickException(f"{error}{done}") from error
    if batch:
        flush()
    click.echo(f"{path}: {total.summary(with_reasons=False)}")
    if rejections:
        click.echo("rejected lines:")
        for line_number, reason in sorted(rejections):
            click.echo(f"  line {line_number}: {reason}")


@collect_cli.command("sources")
@with_appcontext
def sources_command():
    """List sources with their last run and last error."""
    for source in ensure_sources():
        state = "on " if source.is_enabled else "off"
        last = source.last_run_at.isoformat(timespec="minutes") if source.last_run_at else "never"
        error = f"  last error: {source.last_error}" if source.last_error else ""
        click.echo(
            f"{state} {source.name:<10} last run {last}, {source.items_collected} posts{error}"
        )
