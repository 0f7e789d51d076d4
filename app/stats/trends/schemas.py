"""The query arguments of the trends: the hot-topic `window`, and the `from`/`to` range of the
trends and of a topic's spread (API and pages).

Marshmallow schemas load them, or raise ValidationError whose `messages` map each bad
parameter to what is wrong with it, in the order the range is read (`to` before `from`). The
messages are translated lazily; the API answers the first of them in English, in its usual
shape for the trends ({"code": "bad_request", "message": …, "errors": {parameter: [text]}},
api.py); the pages fall back to the defaults with a message of their own.

As in app/stats/handling/schemas.py, an empty argument counts as missing. A bad one is quoted
as it was written.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, pre_load, validates_schema

from app.core.time import HCMC
from app.core.validation import check_date
from app.stats.handling.schemas import ArgsSchema
from app.stats.trends.maths import DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS, MAX_WINDOW_HOURS

#: The hot-topic window when none is asked for, in hours.
DEFAULT_WINDOW_HOURS = 24


# -- fields ---------------------------------------------------------------------------


class WindowHours(fields.Field):
    """Hours of the hot-topic window: "24", "24h" or "7d"; 1 to `MAX_WINDOW_HOURS` hours."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        raw = value if isinstance(value, str) else str(value)
        text = raw.strip().lower()
        factor = 24 if text.endswith("d") else 1
        number = text[:-1] if text[-1:] in ("d", "h") else text
        if not (number.isascii() and number.isdigit() and len(number) <= 6):
            raise ValidationError(
                [_l("must be hours like 24, 24h or 7d, got %(value)s", value=repr(raw[:40]))]
            )
        hours = int(number) * factor
        if not 1 <= hours <= MAX_WINDOW_HOURS:
            raise ValidationError(
                [_l("must be between 1 and %(hours)d hours", hours=MAX_WINDOW_HOURS)]
            )
        return hours


class Moment(fields.Field):
    """An ISO 8601 date (a local day in app.core.time.ZONE_NAME) or datetime (naive means
    local), loaded as a UTC datetime. With `end_of_day`, a date means the end of that day:
    the next local midnight."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        raw = value if isinstance(value, str) else str(value)
        text = raw.strip()
        try:
            if not text.isascii():
                raise ValueError(text)
            if len(text) == 10:
                day = datetime.fromisoformat(text).replace(tzinfo=HCMC)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                [_l("must be an ISO 8601 date or datetime, got %(value)s", value=repr(raw[:40]))]
            ) from None
        try:
            check_date(day if len(text) == 10 else moment)
        except ValueError as error:
            raise ValidationError([str(error)]) from None
        if len(text) == 10:
            return (day + timedelta(days=1) if self.end_of_day else day).astimezone(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=HCMC)
        return moment.astimezone(UTC)


# -- schemas --------------------------------------------------------------------------


class TrendArgsSchema(ArgsSchema):
    """Query arguments; an empty one is missing, the others are kept as written."""

    @pre_load
    def drop_empty(self, data, **kwargs) -> dict:
        names = [f.data_key or name for name, f in self.load_fields.items()]
        values = {name: data.get(name) for name in names}
        return {
            name: value
            for name, value in values.items()
            if value is not None and (not isinstance(value, str) or value.strip())
        }


class WindowSchema(TrendArgsSchema):
    """?window= of the hot topics; default 24 hours."""

    window = WindowHours(load_default=DEFAULT_WINDOW_HOURS)

    @post_load
    def make(self, data: dict, **kwargs) -> int:
        return data["window"]


class RangeSchema(TrendArgsSchema):
    """?from=&to=: [start, end). Either may be missing: `default_days` before the end, which
    defaults to `now`. The range must be positive and at most `max_days` long."""

    ORDER = ("to", "from")

    first = Moment(data_key="from", load_default=None)
    last = Moment(data_key="to", end_of_day=True, load_default=None)

    def __init__(
        self,
        *,
        now: datetime,
        default_days: int = DEFAULT_RANGE_DAYS,
        max_days: int = MAX_RANGE_DAYS,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.now, self.default_days, self.max_days = now, default_days, max_days

    def bounds(self, data: dict) -> tuple[datetime, datetime]:
        end = data["last"] or self.now
        start = data["first"] or end - timedelta(days=self.default_days)
        return start, end

    @validates_schema
    def check_range(self, data: dict, **kwargs) -> None:
        start, end = self.bounds(data)
        if start >= end:
            raise ValidationError([_l("must be before 'to'")], "from")
        if end - start > timedelta(days=self.max_days):
            raise ValidationError(
                [_l("the range is at most %(days)d days", days=self.max_days)], "from"
            )

    @post_load
    def make(self, data: dict, **kwargs) -> tuple[datetime, datetime]:
        return self.bounds(data)


# -- what the pages and the API call --------------------------------------------------


def parse_window(args: Mapping) -> int:
    """Hours of the hot-topic window (?window=); raises ValidationError."""
    return WindowSchema().load(args)


def parse_range(
    args: Mapping,
    now: datetime,
    *,
    default_days: int = DEFAULT_RANGE_DAYS,
    max_days: int = MAX_RANGE_DAYS,
) -> tuple[datetime, datetime]:
    """[start, end) from ?from= and ?to=; raises ValidationError."""
    return RangeSchema(now=now, default_days=default_days, max_days=max_days).load(args)
