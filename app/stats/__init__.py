"""Statistics, trends and the daily reports, all computed from the live data.

- handling/: handling time per stage (receipt → verified / resolved / responded),
  backlog by age, volumes and the map of cases by ward (a sub-package: see its __init__.py);
- trends/: hot topics, spike alerts, sentiment share, the hourly counts they read and the
  press-versus-social spread (a sub-package: see its __init__.py);
- reports/: the morning press digest, the evening public-opinion report and on-demand reports,
  rendered to HTML, PDF and XLSX (a sub-package: see its __init__.py);
- charts.py and export.py: SVG charts (no CDN, also inside PDFs) and CSV/XLSX downloads.
"""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The `stats` blueprint with all its pages; also puts /api/v1/stats, /trends and /reports
    on `api` and adds them to the API's document."""
    from app.api import openapi
    from app.stats import views
    from app.stats.handling import api as handling_api
    from app.stats.handling import views as handling_views  # noqa: F401  (pages on stats.bp)
    from app.stats.reports import api as reports_api
    from app.stats.reports import views as report_views  # noqa: F401  (pages on stats.bp)
    from app.stats.trends import api as trends_api
    from app.stats.trends import views as trend_views  # noqa: F401  (pages on stats.bp)

    openapi.add_paths("stats", handling_api.stats_paths, rank=20)
    openapi.add_paths("trends", trends_api.openapi_paths, rank=30)
    openapi.add_paths(
        "reports",
        reports_api.openapi_paths,
        rank=40,
        components=reports_api.openapi_components,
    )
    return [views.bp]
