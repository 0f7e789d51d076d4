"""A stored report as PDF, printed by WeasyPrint from its HTML document (html.py).

The PDF fetches nothing: styles and charts are inline, and the URL fetcher refuses every address
that is not a data: URI. Fonts are the system's DejaVu, which covers Vietnamese.
"""

from app.stats import charts
from app.stats.models import Report
from app.stats.reports import html

MIMETYPE = "application/pdf"


def render(report: Report, locale: str | None = None) -> bytes:
    from weasyprint import CSS, HTML

    document = html.render(report, locale)
    # The charts' styles live in a stylesheet (pages allow no inline style); give it to the PDF too.
    chart_styles = CSS(string=charts.stylesheet(), url_fetcher=offline_fetcher())
    return HTML(string=document, url_fetcher=offline_fetcher(), base_url=None).write_pdf(
        stylesheets=[chart_styles]
    )


def offline_fetcher():
    """WeasyPrint's fetcher, allowed to read inline data: URIs only: nothing leaves the machine."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))
