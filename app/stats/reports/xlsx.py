"""A stored report as an XLSX workbook (export.xlsx_bytes): one sheet for the report's facts,
then one per section, with every column (the page and the PDF leave some out)."""

from flask_babel import gettext as _

from app.stats.export import XLSX_MIMETYPE, xlsx_bytes
from app.stats.models import Report
from app.stats.reports.view import report_locale, view

MIMETYPE = XLSX_MIMETYPE


def render(report: Report, locale: str | None = None) -> bytes:
    """One sheet for the report's facts, then one per section."""
    with report_locale(locale):
        current = view(report)
        about = [
            {"label": _("Report"), "value": current.title},
            {"label": _("Period start"), "value": current.period_start},
            {"label": _("Period end"), "value": current.period_end},
            {"label": _("Made on"), "value": current.generated_at},
        ]
        sheets = [(_("Report"), [("label", _("Field")), ("value", _("Value"))], about)]
        for section in current.sections:
            columns = [(c.key, c.label) for c in section.columns]
            sheets.append((section.title, columns, section.rows))
        return xlsx_bytes(sheets)
