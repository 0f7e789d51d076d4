"""flask --app wsgi worker"""

import gc

import click
from flask import current_app
from flask.cli import with_appcontext

from app.jobs import PERIODIC_JOBS, QUEUE_NAMES, redis_connection


@click.command("worker")
@click.option("--queues", "-q", multiple=True, help="Queues to work; default: all.")
@click.option("--cron/--no-cron", default=True, help="Also run the periodic-job scheduler.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--max-backoff",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Longest wait in seconds between tries to reach Redis again.",
)
@with_appcontext
def worker_command(queues, cron, burst, max_backoff):
    """Start an RQ worker (and the periodic-job scheduler) with the app wired in.

    When Redis goes down the worker waits for it and starts again by itself (an
    exponential backoff up to --max-backoff seconds), and so does the scheduler.
    """
    import redis
    from rq import Worker

    from app.core.worker import SchedulerSupervisor, run_cron_scheduler, run_worker
    from app.jobs import connect_redis, redacted_url

    config = current_app.config
    if config["JOBS_MODE"] == "inline":
        raise click.ClickException("JOBS_MODE is inline: jobs run in the web app, not in a worker")
    redis_url = config["REDIS_URL"]
    names = list(queues or QUEUE_NAMES)
    if redis_connection() is None:
        # Redis was down when the app started: jobs that enqueue more jobs must still queue them.
        current_app.extensions["socialbeat_redis"] = connect_redis(redis_url, "redis")
    if burst:
        _warm_up_triage(names)
        try:
            Worker(names, connection=redis.Redis.from_url(redis_url)).work(
                burst=True, with_scheduler=True
            )
        except redis.RedisError as error:
            raise click.ClickException(
                f"Redis is unavailable at {redacted_url(redis_url)}: {error}"
            ) from error
        return
    scheduler = None
    if cron and PERIODIC_JOBS:
        factory = current_app.extensions["socialbeat_app_factory"]
        scheduler = SchedulerSupervisor(
            run_cron_scheduler, (factory, redis_url, max_backoff), max_backoff=max_backoff
        )
        scheduler.start()
        click.echo(f"periodic jobs: {', '.join(job.name for job in PERIODIC_JOBS)}")
    # After the scheduler's fork: the model is loaded once here, and every job's
    # work-horse (forked by RQ) shares it instead of loading it again.
    _warm_up_triage(names)
    click.echo(f"worker listening on: {', '.join(names)}")
    try:
        run_worker(redis_url, names, max_backoff=max_backoff)
    finally:
        if scheduler is not None:
            scheduler.stop()


def _warm_up_triage(queue_names) -> None:
    """Load the triage model in the worker parent when this worker serves triage jobs.

    Then what start-up built is moved out of the garbage collector's sight (`gc.freeze`):
    full collections otherwise walk the model's and the app's objects again and again, and
    pause the worker for about 100 ms each time.
    """
    if {"triage", "triage-api"} & set(queue_names):
        from app.triage.tasks import warm_up

        warm_up()
    gc.collect()
    gc.freeze()
