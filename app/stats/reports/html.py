"""A stored report as HTML: the whole document for print (and the PDF), or the context of the
report inside an app page. Both draw stats/report_document.html from the view (view.py)."""

from flask import current_app, render_template, url_for

from app.stats.models import Report
from app.stats.reports.view import cell_text, report_locale, view


def _case_href(in_app: bool):
    base = current_app.config.get("APP_BASE_URL", "").rstrip("/")

    def href(case_id: int | None) -> str | None:
        if case_id is None:
            return None
        if in_app:
            return url_for("cases.detail", case_id=case_id)
        return f"{base}/cases/{case_id}" if base else None

    return href


def render(report: Report, locale: str | None = None, *, in_app: bool = False) -> str:
    """The report as a whole HTML document for print (and the PDF)."""
    with report_locale(locale):
        return render_template(
            "stats/report_print.html",
            view=view(report),
            cell=cell_text,
            case_href=_case_href(in_app),
            in_app=in_app,
        )


def page_context(report: Report) -> dict:
    """What stats/report_document.html needs inside an app page, in the request's language."""
    return {
        "view": view(report),
        "cell": cell_text,
        "case_href": _case_href(True),
        "in_app": True,
    }
