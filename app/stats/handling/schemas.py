"""The query arguments of the handling-time, backlog and map pages and of /api/v1/stats.

Marshmallow schemas load them into a Scope or a HandlingQuery, or raise ValidationError whose
`messages` map each bad parameter to what is wrong with it. The messages are translated lazily:
the pages show them in the user's language, the API in English, in its usual error shape
({"code": "invalid_parameter", "message": …, "errors": {parameter: [text, …]}}, api.py).

Every argument is stripped, and an empty one counts as missing (a form sends `unit=`).
Messages are raised as lists: marshmallow wraps a plain str in one, but not a lazy string.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validates_schema,
)
from sqlalchemy import select

from app.cases.models import STAGES, Stage
from app.core.time import HCMC, as_local, local_date, local_midnight_utc
from app.core.validation import check_date
from app.core.vocabulary import CATEGORIES
from app.extensions import db
from app.models import utcnow
from app.stats.handling.geography import WHICH
from app.stats.handling.periods import MAX_PERIODS, PERIODS, VOLUME_PERIODS, period_starts
from app.stats.handling.queries import BACKLOG_GROUPS, BASES, GROUPS, HandlingQuery, Scope
from app.units.models import Unit

#: The default date range: the last 30 local days, today included.
DEFAULT_DAYS = 30


# -- fields ---------------------------------------------------------------------------


class Choice(fields.String):
    """One of a few codes."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in self.choices:
            raise ValidationError(
                [_l("must be one of: %(choices)s", choices=", ".join(self.choices))]
            )
        return value


class DayOrMoment(fields.Field):
    """A local day (YYYY-MM-DD), or an ISO 8601 instant (without an offset: local time)."""

    def _deserialize(self, value, attr, data, **kwargs) -> date | datetime:
        try:
            if not isinstance(value, str) or not value.isascii():
                raise ValueError(value)
            if len(value) == 10:
                day = date.fromisoformat(value)
            else:
                day = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError([_l("not a date: write YYYY-MM-DD")]) from None
        try:
            check_date(day)
        except ValueError:
            raise ValidationError([_l("must be between 1900-01-01 and 2100-12-31")]) from None
        return as_local(day) if isinstance(day, datetime) else day


class UnitCode(fields.String):
    """A unit's code, loaded as the Unit."""

    def _deserialize(self, value, attr, data, **kwargs) -> Unit:
        code = super()._deserialize(value, attr, data, **kwargs)
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            raise ValidationError([_l("no unit with code %(code)s", code=code)])
        return unit


# -- schemas --------------------------------------------------------------------------


class ArgsSchema(Schema):
    """Query arguments: other arguments (page, sort, format, lang…) are the page's own."""

    class Meta:
        unknown = EXCLUDE

    #: The order of the parameters in an error (the API's JSON keeps it); default: the fields'.
    ORDER: tuple[str, ...] = ()

    def handle_error(self, error: ValidationError, data, **kwargs) -> None:
        order = self.ORDER or tuple(f.data_key or name for name, f in self.load_fields.items())
        rank = {name: number for number, name in enumerate(order)}
        messages = dict(
            sorted(error.messages.items(), key=lambda item: rank.get(item[0], len(rank)))
        )
        raise ValidationError(messages, data=error.data, valid_data=error.valid_data)

    @pre_load
    def drop_empty(self, data, **kwargs) -> dict:
        names = [f.data_key or name for name, f in self.load_fields.items()]
        values = {name: data.get(name) for name in names}
        return {
            name: value.strip() if isinstance(value, str) else value
            for name, value in values.items()
            if value is not None and (not isinstance(value, str) or value.strip())
        }


class FiltersSchema(ArgsSchema):
    """`unit` (a unit code: it and the units under it) and `category`; the default range."""

    unit = UnitCode(load_default=None)
    category = Choice(CATEGORIES, load_default=None)

    def __init__(self, *, now: datetime | None = None, **kwargs):
        super().__init__(**kwargs)
        self.now = now

    def bounds(self, data: dict) -> tuple[datetime, datetime, date, date]:
        """(start, end, first_day, last_day) of the range that `from` and `to` ask for."""
        first, last = data.get("first"), data.get("last")
        today = local_date(self.now or utcnow())
        if isinstance(last, datetime):
            end, last_day = last.astimezone(UTC), (last - timedelta(microseconds=1)).date()
        else:
            last_day = last or today
            end = local_midnight_utc(last_day + timedelta(days=1))
        if isinstance(first, datetime):
            start, first_day = first.astimezone(UTC), first.astimezone(HCMC).date()
        else:
            first_day = first or (last_day - timedelta(days=DEFAULT_DAYS - 1))
            start = local_midnight_utc(first_day)
        return start, end, first_day, last_day

    def scope(self, data: dict) -> Scope:
        start, end, first_day, last_day = self.bounds(data)
        return Scope(start, end, first_day, last_day, data.get("unit"), data.get("category"))

    @post_load
    def make(self, data: dict, **kwargs):
        return self.build(data)

    def build(self, data: dict):
        return self.scope(data)


class ScopeSchema(FiltersSchema):
    """Adds `from` and `to`: local dates, both included, or ISO instants (`to` excluded).
    Default range: the last 30 local days, today included."""

    ORDER = ("from", "to", "unit", "category")

    first = DayOrMoment(data_key="from", load_default=None)
    last = DayOrMoment(data_key="to", load_default=None)

    # Schema-wide checks run even when a field is bad: they look at what did load.
    @validates_schema(skip_on_field_errors=False)
    def check_range(self, data: dict, **kwargs) -> None:
        if "first" not in data or "last" not in data:
            return  # a bad date is reported as such
        start, end, _, _ = self.bounds(data)
        if start >= end:
            raise ValidationError([_l("must be after the start of the range")], "to")


class HandlingSchema(ScopeSchema):
    """?stage=&group_by=&period= and the range and filters: the handling-time page."""

    ORDER = ("stage", "group_by", "period", *ScopeSchema.ORDER)

    stage = Choice([s.value for s in STAGES], load_default=Stage.resolved.value)
    group_by = Choice(GROUPS, load_default="unit")
    period = Choice(PERIODS, load_default="day")

    # Schema-wide checks run even when a field is bad: they look at what did load.
    @validates_schema(skip_on_field_errors=False)
    def check_periods(self, data: dict, **kwargs) -> None:
        names = ("stage", "group_by", "period", "first", "last", "unit", "category")
        if data.get("group_by") != "period" or any(name not in data for name in names):
            return
        _, _, first_day, last_day = self.bounds(data)
        if len(period_starts(first_day, last_day, data["period"])) > MAX_PERIODS:
            raise ValidationError(
                [_l("too many periods for this range: choose a longer period or a shorter range")],
                "period",
            )

    def build(self, data: dict) -> HandlingQuery:
        return HandlingQuery(
            scope=self.scope(data),
            stage=data["stage"],
            group_by=data["group_by"],
            period=data["period"],
        )


class HandlingApiSchema(HandlingSchema):
    """GET /api/v1/stats/handling-time: adds `hours`, the basis of the top-level figures."""

    ORDER = (*HandlingSchema.ORDER, "hours")

    hours = Choice(BASES, load_default="working")

    def build(self, data: dict) -> tuple[HandlingQuery, str]:
        return super().build(data), data["hours"]


class BacklogSchema(FiltersSchema):
    """?group_by=unit|category|ward&unit=&category= (the backlog has no date range)."""

    ORDER = ("group_by", "unit", "category")

    group_by = Choice(BACKLOG_GROUPS, load_default="unit")

    def build(self, data: dict) -> tuple[str, Scope]:
        return data["group_by"], self.scope(data)


class VolumesSchema(ArgsSchema):
    """?period=day|week of the volumes on the backlog page."""

    period = Choice(VOLUME_PERIODS, load_default="day")

    @post_load
    def make(self, data: dict, **kwargs) -> str:
        return data["period"]


class MapSchema(ArgsSchema):
    """?which=open|new of the map."""

    which = Choice(WHICH, load_default="open")

    @post_load
    def make(self, data: dict, **kwargs) -> str:
        return data["which"]


# -- what the pages and the API call --------------------------------------------------


def parse_scope(args: Mapping, now: datetime | None = None) -> Scope:
    """`from`, `to`, `unit` and `category`; raises ValidationError."""
    return ScopeSchema(now=now).load(args)


def parse_handling(args: Mapping, now: datetime | None = None) -> HandlingQuery:
    """?stage=&group_by=&period=&from=&to=&unit=&category=; raises ValidationError."""
    return HandlingSchema(now=now).load(args)


def parse_handling_api(args: Mapping) -> tuple[HandlingQuery, str]:
    """The handling-time arguments and `hours` (working or calendar); raises ValidationError."""
    return HandlingApiSchema().load(args)


def parse_backlog(args: Mapping) -> tuple[str, Scope]:
    """?group_by=unit|category|ward&unit=&category=; raises ValidationError."""
    return BacklogSchema().load(args)


def parse_volume_period(args: Mapping) -> str:
    return VolumesSchema().load(args)


def parse_which(args: Mapping) -> str:
    return MapSchema().load(args)
