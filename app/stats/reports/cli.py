"""flask --app wsgi reports …: make a report now, list them, run the schedules once."""

from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.stats.models import REPORT_KINDS


@click.group("reports", help="The morning digest, the evening report and on-demand reports.")
def reports_cli():
    pass


@reports_cli.command("generate")
@click.argument("kind", type=click.Choice(list(REPORT_KINDS)))
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Daily kinds: the local day whose report to make, at its scheduled time "
    "(default: now, over the last 24 h).",
)
@click.option("--topic", help="custom: one phrase, or several separated by commas.")
@click.option("--case", "case_code", help="custom: a case's tracking code.")
@click.option("--from", "from_day", type=click.DateTime(formats=["%Y-%m-%d"]), help="custom.")
@click.option("--to", "to_day", type=click.DateTime(formats=["%Y-%m-%d"]), help="custom.")
@click.option(
    "--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the PDF."
)
@click.option(
    "--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the XLSX."
)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--email", is_flag=True, help="Also email it to the subscribers of its kind.")
@with_appcontext
def generate_command(
    kind, day, topic, case_code, from_day, to_day, pdf_path, xlsx_path, lang, email
):
    """Make a report of KIND now and store it; print its id and a summary."""
    from app.stats.reports import making, pdf, tasks, view, xlsx
    from app.stats.reports.common import ReportInputError

    at = None
    if day is not None:
        if kind == "custom":
            raise click.UsageError("--date is for the daily kinds; use --from/--to for custom")
        schedule = next(s for s in tasks.ensure_default_schedules() if s.kind == kind)
        at = tasks.scheduled_moment(_as_date(day), schedule.time_of_day, schedule.timezone)
    params = {}
    if kind == "custom":
        params = {
            key: value
            for key, value in (
                ("topic", topic),
                ("case", case_code),
                ("from", _as_date(from_day).isoformat() if from_day else None),
                ("to", _as_date(to_day).isoformat() if to_day else None),
            )
            if value
        }
    elif topic or case_code or from_day or to_day:
        raise click.UsageError("--topic, --case, --from and --to are for custom reports")
    try:
        report = making.generate(kind, at=at, params=params)
    except ReportInputError as error:
        raise click.ClickException(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in error.errors.items())
        ) from error
    with view.report_locale(lang):
        title = view.report_title(report)
    click.echo(
        f"report {report.id}: {title} ({report.period_start:%Y-%m-%d %H:%M} – "
        f"{report.period_end:%Y-%m-%d %H:%M} UTC)"
    )
    for section in report.data["sections"]:
        if section["type"] == "summary":
            for key, value in section["figures"].items():
                click.echo(f"  {key}: {value}")
    if pdf_path:
        pdf_path.write_bytes(pdf.render(report, lang))
        click.echo(f"PDF: {pdf_path}")
    if xlsx_path:
        xlsx_path.write_bytes(xlsx.render(report, lang))
        click.echo(f"XLSX: {xlsx_path}")
    if email:
        count = tasks.create_deliveries(report)
        sent = tasks.send_report_emails(report.id)
        click.echo(f"emailed: {sent} of {count} subscribers")


@reports_cli.command("list")
@click.option("--kind", type=click.Choice(list(REPORT_KINDS)))
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@with_appcontext
def list_command(kind, limit):
    """The latest reports, newest first."""
    from sqlalchemy import select

    from app.extensions import db
    from app.stats.models import Report

    statement = select(Report).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)
    if kind:
        statement = statement.where(Report.kind == kind)
    for report in db.session.scalars(statement):
        click.echo(
            f"{report.id}\t{report.kind}\t{report.status}\t{report.period_end:%Y-%m-%d %H:%M}"
            f"\t{report.params or ''}"
        )


@reports_cli.command("run-schedules")
@with_appcontext
def run_schedules_command():
    """Make the scheduled reports that are due now (the worker does this every minute)."""
    from app.stats.reports.tasks import run_due

    made = run_due()
    click.echo(f"made {len(made)} report(s)" + "".join(f"\n  {r.id} {r.kind}" for r in made))


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
