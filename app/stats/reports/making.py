"""What a report says: a language-neutral snapshot of the live data, stored in Report.data.

Three kinds (ReportKind): the morning digest (morning.py), the evening report (evening.py) and
custom reports on one topic, one case or a date range (on_demand.py).

The snapshot keeps codes, ids, numbers and ISO 8601 UTC times — never translated text — so that
one stored report renders in Vietnamese or in English (view.py). Names of units are kept in
both languages, as they were when the report was made.

    data = {"schema": 1, "kind": …, "generated_at": iso, "period": {"start": iso, "end": iso},
            "params": {…}, "sections": [{"type": "summary", …}, {"type": "press_topics", …}, …]}
"""

from datetime import datetime, timedelta

from app.extensions import db
from app.models import utcnow
from app.stats.models import Report, ReportKind, ReportStatus
from app.stats.reports import evening, morning, on_demand
from app.stats.reports.common import ReportInputError, iso, parse_iso
from app.users.models import User

SCHEMA_VERSION = 1
#: The morning digest and the evening report cover the 24 h before they are made.
DAILY_WINDOW = timedelta(hours=24)


def generate(
    kind: str,
    *,
    at: datetime | None = None,
    params: dict | None = None,
    user: User | None = None,
) -> Report:
    """Compute a report as of `at` (default now) and store it; raises ReportInputError."""
    at = at or utcnow()
    params = dict(params or {})
    data = build(kind, at, params, user=user)
    report = Report(
        kind=kind,
        status=ReportStatus.ready.value,
        period_start=parse_iso(data["period"]["start"]),
        period_end=parse_iso(data["period"]["end"]),
        params=data["params"],
        data=data,
        created_by=user,
    )
    db.session.add(report)
    db.session.commit()
    return report


def store_failure(kind: str, at: datetime, error: str, params: dict | None = None) -> Report:
    """Keep a trace of a report that could not be made, so the admin sees why."""
    report = Report(
        kind=kind,
        status=ReportStatus.failed.value,
        period_start=at - DAILY_WINDOW,
        period_end=at,
        params=params or {},
        data={},
        error=error[:4000],
    )
    db.session.add(report)
    db.session.commit()
    return report


def build(kind: str, at: datetime, params: dict, *, user: User | None = None) -> dict:
    """The snapshot of one report (not stored)."""
    if kind == ReportKind.morning_digest:
        start, end = at - DAILY_WINDOW, at
        sections = morning.morning_digest_sections(start, end)
        stored = {}
    elif kind == ReportKind.evening_report:
        start, end = at - DAILY_WINDOW, at
        sections = evening.evening_report_sections(start, end, at)
        stored = {}
    elif kind == ReportKind.custom:
        start, end, sections, stored = on_demand.custom_sections(params, at, user)
    else:
        raise ReportInputError("kind", f"unknown report kind {kind!r}")
    return {
        "schema": SCHEMA_VERSION,
        "kind": str(kind),
        "generated_at": iso(at),
        "period": {"start": iso(start), "end": iso(end)},
        "params": stored,
        "sections": sections,
    }
