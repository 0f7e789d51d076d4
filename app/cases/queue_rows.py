"""What each row of the officers' queue shows, worked out once per page.

Fifty rows repeat the same few words (statuses, categories, the countdown's wordings). They
are looked up in the user's catalogue once per page instead of through flask_babel on every
use (which finds the request's language again each time), and each row's SLA countdown is
counted from the stored due time on the page's working-time index (countdown.PageClocks)
rather than by walking the calendar row by row. The template renders the same markup as
before (cases/_macros.html).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from babel import Locale
from babel import dates as babel_dates
from flask import url_for
from flask_babel import get_locale, get_timezone, get_translations
from markupsafe import Markup

from app.cases import labels
from app.cases.sla.clocks import ClockView
from app.cases.sla.countdown import LEVEL_SYMBOLS, PageClocks, countdown_text
from app.core import formatting


class PageWords:
    """The page's translations, as a template's _() and ngettext() give them.

    The text is Markup and the values are escaped into it, as with Jinja's autoescape. The
    methods are called gettext and ngettext so that `pybabel extract` finds their msgids.
    """

    def __init__(self):
        self._catalogue = get_translations()
        self._labels: dict[tuple[int, str], str] = {}

    def gettext(self, string: str, **variables) -> Markup:
        return Markup(self._catalogue.ugettext(string)) % variables

    def ngettext(self, singular: str, plural: str, num: int, **variables) -> Markup:
        variables.setdefault("num", num)
        return Markup(self._catalogue.ungettext(singular, plural, num)) % variables

    def label(self, mapping: dict, code: str | None) -> str:
        """labels.label, each code translated once per page."""
        key = (id(mapping), code)
        if key not in self._labels:
            self._labels[key] = labels.label(mapping, code)
        return self._labels[key]


class PageDates:
    """formatting.datetime_local with the page's language and time zone looked up once."""

    def __init__(self):
        locale = get_locale() or Locale.parse(formatting.FALLBACK_LOCALE)
        self._locale = locale
        self._zone = get_timezone() or formatting.FALLBACK_TIMEZONE
        patterns = formatting.DATETIME_PATTERNS
        self._pattern = patterns.get(locale.language, patterns["en"])

    def __call__(self, value: datetime | None) -> str:
        if value is None:
            return formatting.EMPTY
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return babel_dates.format_datetime(
            value.astimezone(self._zone), self._pattern, locale=self._locale
        )


@dataclass(frozen=True)
class CountdownCell:
    """What the countdown macro (cases/_macros.html, sla_span) shows for one clock."""

    level: str
    #: "Due 04/12/2026 07:30".
    title: Markup
    #: The data- attributes countdown.js ticks with, written out (countdown.tick_attributes).
    attributes: Markup
    symbol: str
    #: The metric's name ("Resolution"); None leaves it out.
    metric: str | None
    text: str


def countdown_cell(
    view: ClockView,
    page_clocks: PageClocks,
    words: PageWords,
    dates: PageDates,
    with_metric: bool = True,
) -> CountdownCell:
    return CountdownCell(
        level=view.level,
        title=words.gettext("Due %(time)s", time=dates(view.due_at)),
        attributes=page_clocks.tick_markup(view),
        symbol=LEVEL_SYMBOLS.get(view.level, ""),
        metric=words.label(labels.METRIC_LABELS, view.metric) if with_metric else None,
        text=countdown_text(view),
    )


@dataclass(frozen=True)
class QueueRow:
    case: object
    url: str
    #: The checkbox's label: "Select HCM-7K3M-Q9XW".
    select_label: Markup
    #: "3 mentions"; None for a single one.
    mentions: Markup | None
    deadline: CountdownCell | None
    status: str
    priority: str
    category: str
    opened: str


def rows(cases: Iterable, clocks: dict[int, list], page_clocks: PageClocks) -> list[QueueRow]:
    """The queue's rows for `cases`, with their open SLA clocks by case id."""
    words, dates = PageWords(), PageDates()
    out = []
    for case in cases:
        view = page_clocks.next_view(clocks.get(case.id, ()))
        out.append(
            QueueRow(
                case=case,
                url=url_for("cases.detail", case_id=case.id),
                select_label=words.gettext("Select %(code)s", code=case.code),
                mentions=words.ngettext("%(num)d mention", "%(num)d mentions", case.mention_count)
                if case.mention_count > 1
                else None,
                deadline=countdown_cell(view, page_clocks, words, dates) if view else None,
                status=words.label(labels.STATUS_LABELS, case.status),
                priority=words.label(labels.PRIORITY_LABELS, case.priority),
                category=words.label(labels.CATEGORY_LABELS, case.category),
                opened=dates(case.created_at),
            )
        )
    return out
