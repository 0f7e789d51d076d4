"""flask --app wsgi demo load | worker"""

import multiprocessing

import click
from flask import current_app
from flask.cli import with_appcontext

from app.jobs import PERIODIC_JOBS, QUEUE_NAMES, redis_connection


@click.group("demo", help="Demo data for trying Social Beat out.")
def demo_cli():
    pass


@demo_cli.command("load")
@with_appcontext
def demo_load_command():
    """Create demo users and demo data (run `units load-hcmc` first). Safe to run twice."""
    from app.core.demo import DEMO_PASSWORD, DEMO_USERS, load_demo_users

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
    from app.cases.demo import load_demo_cases
    from app.collectors.demo import load_demo_posts
    from app.stats.stage_times import demo_stage_times

    return [load_demo_cases, load_demo_posts, demo_stage_times]


def _run_cron_scheduler(redis_url: str) -> None:
    from redis import Redis
    from rq.cron import CronScheduler

    from app import create_app

    app = create_app()
    with app.app_context():
        scheduler = CronScheduler(connection=Redis.from_url(redis_url), name="socialbeat-cron")
        for periodic_job in PERIODIC_JOBS:
            scheduler.register(
                periodic_job.func,
                queue_name=periodic_job.queue,
                interval=periodic_job.interval,
                cron=periodic_job.cron,
                job_timeout=periodic_job.timeout,
                name=periodic_job.name,
            )
        scheduler.start()


@click.command("worker")
@click.option("--queues", "-q", multiple=True, help="Queues to work; default: all.")
@click.option("--cron/--no-cron", default=True, help="Also run the periodic-job scheduler.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(queues, cron, burst):
    """Start an RQ worker (and the periodic-job scheduler) with the app wired in."""
    from rq import Worker

    connection = redis_connection()
    if connection is None:
        raise click.ClickException(
            f"Redis is unavailable at {current_app.config['REDIS_URL']}; jobs run inline in the web app"
        )
    names = queues or QUEUE_NAMES
    scheduler = None
    if cron and not burst and PERIODIC_JOBS:
        scheduler = multiprocessing.Process(
            target=_run_cron_scheduler, args=(current_app.config["REDIS_URL"],), daemon=True
        )
        scheduler.start()
        click.echo(f"periodic jobs: {', '.join(job.name for job in PERIODIC_JOBS)}")
    click.echo(f"worker listening on: {', '.join(names)}")
    try:
        Worker(list(names), connection=connection).work(burst=burst, with_scheduler=True)
    finally:
        if scheduler is not None:
            scheduler.terminate()
