"""A stored report, rendered in a language: `view(report, locale)` turns the language-neutral
snapshot (making.py) into translated sections — a title, key figures, a chart, a table (or
topics for the morning digest) — drawn by the section builders of each kind. The three outputs
(html.py, pdf.py, xlsx.py) are drawn from that one view.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from app.core import formatting
from app.stats.models import Report, ReportKind
from app.stats.reports import evening_sections, morning_sections, on_demand_sections
from app.stats.reports.labels import KIND_LABELS
from app.stats.reports.sections import Section, parse_time, summary

#: Section type -> the builder that translates it (one raw section may give several).
_BUILDERS = {
    "summary": summary,
    **morning_sections.BUILDERS,
    **evening_sections.BUILDERS,
    **on_demand_sections.BUILDERS,
}


@contextmanager
def report_locale(locale: str | None) -> Iterator[None]:
    """Render in `locale` ("vi" or "en"), or in the request's language when None."""
    if locale is None:
        yield
        return
    with force_locale(locale):
        yield


@dataclass
class View:
    report_id: int | None
    kind: str
    title: str
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    locale: str
    sections: list[Section]
    failed: bool = False
    error: str | None = None

    @property
    def period_text(self) -> str:
        return _(
            "From %(start)s to %(end)s",
            start=formatting.datetime_local(self.period_start),
            end=formatting.datetime_local(self.period_end),
        )

    @property
    def generated_text(self) -> str:
        return _("Made on %(time)s", time=formatting.datetime_local(self.generated_at))


def view(report: Report, locale: str | None = None) -> View:
    """The report's sections, translated; call inside report_locale(locale) to render them."""
    with report_locale(locale):
        data = report.data or {}
        generated = parse_time(data.get("generated_at")) or report.created_at
        sections = []
        for raw in data.get("sections", []):
            builder = _BUILDERS.get(raw.get("type"))
            if builder is not None:
                built = builder(raw)
                sections.extend(built if isinstance(built, list) else [built])
        return View(
            report_id=report.id,
            kind=report.kind,
            title=report_title(report),
            period_start=report.period_start,
            period_end=report.period_end,
            generated_at=generated,
            locale=locale or formatting.language(),
            sections=sections,
            failed=report.status == "failed",
            error=report.error,
        )


def report_title(report: Report) -> str:
    params = report.params or {}
    if report.kind != ReportKind.custom.value:
        return str(KIND_LABELS.get(report.kind, report.kind))
    if params.get("case"):
        return _("Report on case %(code)s", code=params["case"])
    if params.get("topic"):
        return _("Report on the topic “%(topic)s”", topic=params["topic"])
    return _(
        "Report from %(start)s to %(end)s",
        start=formatting.datetime_local(report.period_start),
        end=formatting.datetime_local(report.period_end),
    )


def cell_text(value, kind: str = "text") -> str:
    """A cell as text in the current language."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return formatting.datetime_local(value)
    if isinstance(value, date):
        return formatting.date_local(value)
    if kind == "hours" and isinstance(value, int | float):
        return formatting.number(value, 1, minimum=1)
    if kind == "ratio" and isinstance(value, int | float):
        return "×" + formatting.number(value, 1, minimum=1)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return formatting.number(value)
    return str(value)
