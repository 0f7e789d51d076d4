"""Numbers, percentages, dates and times in the user's language, in one place.

Everything goes through Babel, in flask_babel's locale and time zone for the request (a UTC
time is shown in the city's time, app.core.time); outside a request, in Vietnamese. Vietnamese writes 3,4 and 04/12/2026 07:30; English writes 3.4 and an
unambiguous "4 Dec 2026, 07:30" rather than the US 12/4/26. Templates use these as filters
(app/core/templating.py); charts, the PDF reports and the e-mails call them directly.
"""

from datetime import UTC, date, datetime

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask_babel import get_locale, get_timezone

from app.core.time import HCMC

#: Patterns per language (CLDR syntax); a language not listed uses the English ones.
DATETIME_PATTERNS = {"vi": "dd/MM/y HH:mm", "en": "d MMM y, HH:mm"}
DATE_PATTERNS = {"vi": "dd/MM/y", "en": "d MMM y"}
#: Chart axes: short, without the year.
DAY_PATTERNS = {"vi": "dd/MM", "en": "d MMM"}
HOUR_PATTERNS = {"vi": "HH:mm dd/MM", "en": "d MMM, HH:mm"}
MONTH_PATTERNS = {"vi": "MM/y", "en": "MMM y"}

#: What is shown for a missing value.
EMPTY = "—"
#: The language and time zone used outside a request (a job, a CLI run, a chart alone).
FALLBACK_LOCALE = "vi"
FALLBACK_TIMEZONE = HCMC


def _babel_locale() -> Locale:
    """flask_babel's locale for this request (or the one forced), else Vietnamese."""
    try:
        locale = get_locale()
    except RuntimeError:  # an app context without a request: the locale selector needs one
        locale = None
    return locale or Locale.parse(FALLBACK_LOCALE)


def _timezone():
    try:
        return get_timezone() or FALLBACK_TIMEZONE
    except RuntimeError:
        return FALLBACK_TIMEZONE


def _local(value: datetime) -> datetime:
    """A stored time (UTC; naive means UTC) in local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_timezone())


def language() -> str:
    """The user's language code ("vi", "en"): flask_babel's for the request, else Vietnamese.
    The one helper for "which language is this request in" (views, API, Open311)."""
    return _babel_locale().language


def _pattern(patterns: dict[str, str]) -> str:
    return patterns.get(language(), patterns["en"])


def _decimal_pattern(digits: int | None, minimum: int | None = None) -> str | None:
    if digits is None:
        return None
    minimum = digits if minimum is None else minimum
    return "#,##0" + ("." + "0" * minimum + "#" * (digits - minimum) if digits else "")


def number(value, digits: int | None = None, *, minimum: int | None = None) -> str:
    """3,43 or 3.43: `digits` decimals (Babel's default: up to 3), at least `minimum` of them."""
    if value is None or value == "":
        return EMPTY
    return babel_numbers.format_decimal(
        value, format=_decimal_pattern(digits, minimum), locale=_babel_locale()
    )


def percent(value, digits: int = 0, *, scale: float = 1) -> str:
    """A share as a percentage: 0.905 → "90,5%" (vi) or "90.5%" (en).

    `scale=100` takes a value already in percent (90.5).
    """
    if value is None or value == "":
        return EMPTY
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return babel_numbers.format_percent(value / scale, format=pattern, locale=_babel_locale())


def datetime_local(value: datetime | None) -> str:
    """A UTC time as local date and time: "04/12/2026 07:30" or "4 Dec 2026, 07:30"."""
    if value is None:
        return EMPTY
    if not isinstance(value, datetime):
        return date_local(value)
    return _format_datetime(value, DATETIME_PATTERNS)


def date_local(value: date | datetime | None) -> str:
    """A day: "04/12/2026" or "4 Dec 2026" (a UTC time is moved to local time first)."""
    if value is None:
        return EMPTY
    return _format_date(value, DATE_PATTERNS)


def axis_label(value: date | datetime, period: str = "day") -> str:
    """A compact chart-axis label for a day ("04/12", "4 Dec"), an hour or a month."""
    if period == "month":
        return _format_date(value, MONTH_PATTERNS)
    if period == "hour" and isinstance(value, datetime):
        return _format_datetime(value, HOUR_PATTERNS)
    return _format_date(value, DAY_PATTERNS)


def _format_datetime(value: datetime, patterns: dict[str, str]) -> str:
    return babel_dates.format_datetime(_local(value), _pattern(patterns), locale=_babel_locale())


def _format_date(value: date | datetime, patterns: dict[str, str]) -> str:
    if isinstance(value, datetime):
        value = _local(value).date()
    return babel_dates.format_date(value, _pattern(patterns), locale=_babel_locale())


def local(value) -> str:
    """Any table cell as text: a time, a day, a number (at most one decimal) or the text."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime):
        return datetime_local(value)
    if isinstance(value, date):
        return date_local(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return number(value)
    if isinstance(value, float):
        return number(value, 1)
    return str(value)
