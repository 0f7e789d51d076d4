"""Social Beat: the application factory."""

import logging

from flask import Flask

from app.extensions import babel, csrf, db, login_manager, migrate
from app.i18n import remember_language, select_locale
from app.jobs import connect_redis


def create_app(config_object: object | str = "config.Config") -> Flask:
    """Build the app: load config, bind extensions, register blueprints and CLI commands."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_object)
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

    app.extensions["socialbeat_redis"] = connect_redis(
        app.config["REDIS_URL"], app.config["JOBS_MODE"]
    )
    if app.extensions["socialbeat_redis"] is None:
        app.logger.warning("Redis is not in use: background jobs run inline in the web process")

    _register_models()
    _register_tasks()
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
    import app.collectors.models  # noqa: F401
    import app.notifications.models  # noqa: F401
    import app.public.models  # noqa: F401
    import app.stats.models  # noqa: F401
    import app.triage.models  # noqa: F401
    import app.units.models  # noqa: F401
    import app.users.models  # noqa: F401


def _register_tasks() -> None:
    # Importing the task modules fills app.jobs.PERIODIC_JOBS.
    import app.cases.tasks  # noqa: F401
    import app.collectors.tasks  # noqa: F401
    import app.notifications.tasks  # noqa: F401
    import app.stats.report_tasks  # noqa: F401
    import app.stats.trend_tasks  # noqa: F401
    import app.triage.tasks  # noqa: F401
    import app.users.tasks  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from app.api import api
    from app.api import openapi as _openapi  # noqa: F401  (routes on the api blueprint)
    from app.cases import admin_views as _cases_admin  # noqa: F401  (routes on cases_bp)
    from app.cases import api as _cases_api  # noqa: F401  (routes on the api blueprint)
    from app.cases import desk_views as _desk_views  # noqa: F401  (routes on cases_bp)
    from app.cases import sla_admin_views as _sla_admin  # noqa: F401  (routes on cases_bp)
    from app.cases import sla_views as _sla_views  # noqa: F401  (routes on cases_bp)
    from app.cases.views import bp as cases_bp
    from app.collectors.views import bp as collectors_bp
    from app.core.views import bp as core_bp
    from app.notifications.views import bp as notifications_bp
    from app.public.open311 import bp as open311_bp
    from app.public.views import bp as public_bp
    from app.stats import api as _stats_api  # noqa: F401  (routes on the api blueprint)
    from app.stats import handling_views as _handling_views  # noqa: F401  (routes on stats_bp)
    from app.stats import map_views as _map_views  # noqa: F401  (routes on stats_bp)
    from app.stats import report_views as _report_views  # noqa: F401  (routes on stats_bp)
    from app.stats import reports_api as _reports_api  # noqa: F401  (routes on the api blueprint)
    from app.stats import trend_views as _trend_views  # noqa: F401  (routes on stats_bp)
    from app.stats import trends_api as _trends_api  # noqa: F401  (routes on the api blueprint)
    from app.stats.views import bp as stats_bp
    from app.triage import api as _triage_api  # noqa: F401  (routes on the api blueprint)
    from app.triage import model_views as _model_views  # noqa: F401  (routes on triage_bp)
    from app.triage.views import bp as triage_bp
    from app.units import api as _units_api  # noqa: F401
    from app.users.views import bp as auth_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(collectors_bp)
    app.register_blueprint(triage_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(api)
    app.register_blueprint(public_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(stats_bp)


def _register_cli(app: Flask) -> None:
    from app.cases.sla_cli import sla_cli
    from app.collectors.cli import collect_cli
    from app.core.cli import demo_cli, worker_command
    from app.stats.cli import stats_cli
    from app.stats.report_cli import reports_cli
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
