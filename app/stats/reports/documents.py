"""A stored report as a file to download or attach: its formats, languages and file name."""

from app.stats.models import Report
from app.stats.reports import pdf, xlsx

FORMATS = ("pdf", "xlsx")
LOCALES = ("vi", "en")


def filename(report: Report, fmt: str, locale: str | None = None) -> str:
    day = report.period_end.strftime("%Y-%m-%d")
    suffix = f"-{locale}" if locale else ""
    return f"socialbeat-{report.kind.replace('_', '-')}-{report.id}-{day}{suffix}.{fmt}"


def render(report: Report, fmt: str, locale: str | None = None) -> tuple[bytes, str]:
    """(body, mimetype) of the report as `fmt` (pdf or xlsx)."""
    if fmt == "pdf":
        return pdf.render(report, locale), pdf.MIMETYPE
    if fmt == "xlsx":
        return xlsx.render(report, locale), xlsx.MIMETYPE
    raise ValueError(f"unknown format {fmt!r}")
