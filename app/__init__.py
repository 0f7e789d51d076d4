"""Social Beat: the application factory."""

import logging

from flask import Flask

from app import jobs
from app.extensions import babel, csrf, db, login_manager, migrate
from app.i18n import remember_language, select_locale


def create_app(config_object: object | str = "config.Config") -> Flask:
    """Build the app: load config, bind extensions, register blueprints and CLI commands."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_object)
    # How a worker's child process (the periodic-job scheduler) builds its own app.
    app.extensions["socialbeat_app_factory"] = create_app
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    babel.init_app(
        app, locale_selector=select_locale, timezone_selector=lambda: app.config["DISPLAY_TIMEZONE"]
    )
    csrf.init_app(app)

    jobs.init_app(app)  # the job queues; a job outside an app context builds one with the factory

    _register_models()
    _register_tasks()
    _register_hooks()
    from app.core import edge

    edge.register_converters(app)  # before the blueprints: their rules compile with it
    edge.init_app(app)
    _register_blueprints(app)
    _register_cli(app)
    app.before_request(remember_language)
    from app.core.templating import init_templating

    init_templating(app)
    from app.core.security import init_security_headers

    init_security_headers(app)
    from app.core import errors

    errors.init_app(app)  # error pages in the layout; /api and /open311 keep their shapes
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _register_models() -> None:
    # Import every model module so metadata (and Alembic autogenerate) sees all tables.
    import app.cases.models  # noqa: F401
    import app.cases.sla.models  # noqa: F401
    import app.collectors.models  # noqa: F401
    import app.notifications.models  # noqa: F401
    import app.public.models  # noqa: F401
    import app.stats.models  # noqa: F401
    import app.triage.models  # noqa: F401
    import app.units.models  # noqa: F401
    import app.users.models  # noqa: F401


def _register_tasks() -> None:
    """Import every task module: the decorators there fill app.jobs.PERIODIC_JOBS. The one
    list of modules with background jobs (as Redash's tasks/schedule.py is)."""
    import app.cases.sla.tasks  # noqa: F401
    import app.collectors.tasks  # noqa: F401
    import app.notifications.tasks  # noqa: F401
    import app.stats.reports.tasks  # noqa: F401
    import app.stats.trends.tasks  # noqa: F401
    import app.triage.tasks  # noqa: F401
    import app.users.tasks  # noqa: F401


def _register_hooks() -> None:
    """Import every module that registers a hook with a domain below it (collectors.hooks,
    triage.hooks, cases.hooks), so the hooks are in place however the app starts: the web
    app, a worker, the CLI, jobs run inline (tests/collectors/test_hooks.py)."""
    import app.stats.trends.hourly  # noqa: F401  (new posts and triage's readings move the counts)
    import app.triage.intake  # noqa: F401  (a merge moves the posts and signatures)
    import app.triage.tasks  # noqa: F401  (new posts are enqueued for triage)


def _register_blueprints(app: Flask) -> None:
    """Each package attaches its own routes (its `blueprints()`); the API's blueprint goes
    last, once every package has put its /api/v1 routes on it."""
    from app import api, cases, collectors, core, notifications, public, stats, triage, units, users

    packages = (core, users, cases, collectors, triage, notifications, units, public, stats)
    blueprints = [blueprint for package in packages for blueprint in package.blueprints()]
    for blueprint in blueprints + api.blueprints():
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from app.cases.sla.cli import sla_cli
    from app.collectors.cli import collect_cli
    from app.core.cli import worker_command
    from app.demo.cli import demo_cli
    from app.stats.cli import stats_cli
    from app.stats.reports.cli import reports_cli
    from app.triage.cli import triage_cli
    from app.units.cli import units_cli
    from app.users.cli import users_cli

    app.cli.add_command(collect_cli)
    app.cli.add_command(sla_cli)
    app.cli.add_command(units_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(triage_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(reports_cli)
