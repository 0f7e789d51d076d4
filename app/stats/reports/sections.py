"""What the section builders of every kind share: the parts of a rendered section (columns,
topics), the cells of a case, horizontal bar charts, and the key figures (summary) that every
report opens with."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from app.cases.labels import CATEGORY_LABELS, STATUS_LABELS, label
from app.core import formatting
from app.core.vocabulary import CHANNELS
from app.stats import charts
from app.stats.reports.labels import FIGURE_LABELS, SECTION_TITLES


@dataclass
class Column:
    key: str
    label: str
    #: text, number, hours, ratio, datetime, case (a code linked to the case), link (text
    #: linked to _url) or url (an address).
    kind: str = "text"
    #: Shown in the page and the PDF; False: in the workbook only (the page has it otherwise:
    #: a link on the title, a chart).
    document: bool = True


@dataclass
class Topic:
    title: str
    kind_label: str
    cases: list[dict]
    articles: list[dict]


@dataclass
class Section:
    type: str
    title: str
    columns: list[Column] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    #: figures (a list of key figures), pairs (label: value), table, or topics.
    layout: str = "table"
    chart: Markup | None = None
    topics: list[Topic] = field(default_factory=list)
    note: str | None = None
    empty: str = ""
    #: In the page and the PDF, leave out the rows where this column is 0 (the workbook keeps
    #: them all): an hourly series is mostly empty hours.
    hide_zero: str | None = None

    @property
    def anchor(self) -> str:
        return f"section-{self.type.replace('_', '-')}"


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def unit_name(ref: dict | None) -> str:
    if not ref:
        return "—"
    return ref["name_en"] if formatting.language() == "en" else ref["name_vi"]


def case_cells(case: dict) -> dict:
    return {
        "code": case["code"],
        "_case_id": case["id"],
        "title": case["title"],
        "status": label(STATUS_LABELS, case["status"]),
        "category": label(CATEGORY_LABELS, case["category"]),
        "priority": case["priority"],
        "unit": unit_name(case.get("unit")),
        "ward": unit_name(case.get("ward")) if case.get("ward") else "—",
    }


def case_columns(*extra: Column, with_category: bool = False) -> list[Column]:
    columns = [Column("code", _("Case"), "case"), Column("title", _("Title"))]
    if with_category:
        columns.append(Column("category", _("Category")))
    return columns + [
        Column("status", _("Status")),
        Column("unit", _("Responsible unit")),
        *extra,
    ]


def more_note(shown: int, total: int) -> str | None:
    if total > shown:
        return _("Showing the first %(shown)d of %(total)d.", shown=shown, total=total)
    return None


def summary(raw: dict) -> Section:
    figures = raw.get("figures", {})
    rows = [
        # "posts_press", "new_cases_filed"…: a part of the figure above, shown indented.
        {
            "label": str(FIGURE_LABELS.get(key, key)),
            "value": value,
            "_part": key.startswith("new_cases_") or key.rpartition("_")[2] in CHANNELS,
        }
        for key, value in figures.items()
    ]
    return Section(
        "summary",
        str(SECTION_TITLES["summary"]),
        [Column("label", _("Figure")), Column("value", _("Value"), "number")],
        rows,
        layout="figures",
        note=_new_cases_note(figures),
    )


def _new_cases_note(figures: dict) -> str | None:
    """How the new cases and the posts fit together (evening reports made since it is counted)."""
    if "new_cases_filed" not in figures:
        return None
    return " ".join(
        (
            ngettext(
                "%(num)d new case: %(posts)d opened from posts collected, %(direct)d from "
                "citizens' reports, %(filed)d filed by staff or imported.",
                "%(num)d new cases: %(posts)d opened from posts collected, %(direct)d from "
                "citizens' reports, %(filed)d filed by staff or imported.",
                figures["new_cases"],
                posts=figures["new_cases_posts"],
                direct=figures["new_cases_direct"],
                filed=figures["new_cases_filed"],
            ),
            _(
                "A case gathers every post about the same problem, and a case filed by staff "
                "has no collected post, so posts and new cases are not the same count; each "
                "case's public response is counted once."
            ),
        )
    )


def bars(title: str, labels: list[str], series: dict, *, stacked: bool = False) -> Markup:
    """Horizontal bars, first label on top (pygal draws the first at the bottom)."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    legend = 30 * ((len(series) + 1) // 2) if len(series) > 1 else 0
    return charts.bar_chart(
        title,
        list(reversed(labels)),
        {name: list(reversed(values)) for name, values in series.items()},
        horizontal=True,
        stacked=stacked,
        height=90 + 34 * len(labels) + legend,
        **whole_numbers(totals),
    )


def whole_numbers(values: list[int]) -> dict:
    """Chart options for small counts: whole numbers on the axis, not 0.1 steps."""
    largest = max(values, default=0)
    return {"y_labels": list(range(0, largest + 1))} if largest <= 10 else {}


def shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
