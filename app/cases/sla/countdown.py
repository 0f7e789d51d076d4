"""An SLA countdown: what it says in words and its shape per level (for the queue, the case page
and the SLA dashboard, whose templates get these through sla/views.py's context processor), and
what a page needs to let it tick in the browser (app/static/js/countdown.js).

The server renders the countdown's text; the script only recomputes the time left. A clock
counting working time loses time only inside the calendar's working slots, so the page is given
those slots for the next hours: outside them the countdown stands still, as it does here.

A page shows many countdowns at one instant (`PageClocks`): each calendar is walked once per
page, not once per row, and the working slots ahead are the same for every clock of a calendar.
"""

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import takewhile

from flask import g, has_request_context
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.cases.sla.clocks import WORKING, ClockView, view
from app.cases.sla.store import calendar_for
from app.cases.sla.working_time import WorkingTimeIndex
from app.models import utcnow

#: A shape per level, so the countdown does not rely on colour alone.
LEVEL_SYMBOLS = {"ok": "●", "risk": "▲", "late": "■", "paused": "Ⅱ", "met": "✓", "cancelled": "–"}

#: How far ahead the working slots are given; past it a page left open stops counting down.
HORIZON = timedelta(hours=48)
#: An index starts this much before the earliest instant first asked about, so that a few
#: clocks due a little earlier do not make it walk the calendar again.
INDEX_MARGIN = timedelta(days=7)


def format_duration(seconds: int) -> str:
    """Whole hours and minutes of (working) time: "37 h 05 min", "12 min"."""
    minutes = abs(int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min", hours=hours, minutes=minutes)
    return _("%(minutes)d min", minutes=minutes)


def countdown_text(view: ClockView) -> str:
    """What a countdown says, in words: the colour only repeats it."""
    time = format_duration(view.remaining_seconds)
    if view.stopped_at is not None:
        return {
            "met": _("Met"),
            "breached": _("Finished late"),
        }.get(view.state, _("Not needed"))
    if view.level == "late":
        if view.remaining_seconds < 0:
            return _("Overdue by %(time)s", time=time)
        return _("Overdue")
    if view.level == "paused":
        return _("Paused, %(time)s left", time=time)
    if view.level == "risk":
        return _("At risk, %(time)s left", time=time)
    return _("%(time)s left", time=time)


class PageClocks:
    """The countdowns of one page, all at the same instant `now`."""

    def __init__(self, now: datetime):
        self.now = now
        self._indexes: dict[int | None, WorkingTimeIndex] = {}
        self._windows: dict[int | None, str] = {}
        self._escaped_windows: dict[str, Markup] = {}

    def view(self, clock) -> ClockView:
        """clocks.view at `now`, the working time counted on the page's indexes."""
        return view(clock, self.now, counted=self._counted)

    def next_view(self, clocks: Iterable) -> ClockView | None:
        """The open clock due first among `clocks` (what the queue shows), or None."""
        open_clocks = [clock for clock in clocks if clock.stopped_at is None]
        if not open_clocks:
            return None
        return self.view(min(open_clocks, key=lambda clock: clock.due_at))

    def tick(self, view: ClockView | None) -> dict[str, str]:
        """tick_attributes at `now`, the working slots ahead computed once per calendar."""
        return tick_attributes(view, self.now, windows=self._windows_json)

    def tick_markup(self, view: ClockView | None) -> Markup:
        """tick() as the template filter |xmlattr writes it, the working slots escaped once."""
        parts = []
        for key, value in self.tick(view).items():
            if key == "data-windows":
                if value not in self._escaped_windows:
                    self._escaped_windows[value] = escape(value)
                text = self._escaped_windows[value]
            else:
                text = escape(value)
            parts.append(f'{key}="{text}"')
        return Markup(" " + " ".join(parts)) if parts else Markup("")

    def _windows_json(self, view: ClockView) -> str:
        if view.calendar_id not in self._windows:
            self._windows[view.calendar_id] = _windows_json(working_windows(view, self.now))
        return self._windows[view.calendar_id]

    def _counted(self, clock, start: datetime, end: datetime) -> int:
        """Counted seconds from start to end (negative when end is earlier), as clocks does."""
        if clock.counting != WORKING:
            return int((end - start).total_seconds() // 1)
        earliest = min(start, end)
        index = self._indexes.get(clock.calendar_id)
        if index is None or not index.covers(earliest):
            index = WorkingTimeIndex(
                calendar_for(clock.calendar_id), min(earliest, self.now) - INDEX_MARGIN
            )
            self._indexes[clock.calendar_id] = index
        return index.seconds_between(start, end)


def for_request() -> PageClocks:
    """The page's PageClocks: one instant and one walk per calendar for a whole request.

    Outside a request (a job), a new one each time: a job's `now` moves on.
    """
    if not has_request_context():
        return PageClocks(utcnow())
    if "page_clocks" not in g:
        g.page_clocks = PageClocks(utcnow())
    return g.page_clocks


def tick_attributes(view: ClockView | None, now: datetime, windows=None) -> dict[str, str]:
    """data- attributes for a countdown element; empty when the countdown cannot move.

    A stopped clock (met, cancelled, finished late) or a paused one stands still.
    `windows(view)` may give data-windows (the JSON of the working slots ahead) ready-made.
    """
    if view is None or view.stopped_at is not None or view.paused:
        return {}
    attributes = {
        "data-countdown": "",
        "data-now": now.isoformat(),
        "data-due": view.due_at.isoformat(),
        "data-remaining": str(view.remaining_seconds),
        "data-level": view.level,
    }
    if view.warn_at is not None:
        attributes["data-warn"] = view.warn_at.isoformat()
    if view.counting == WORKING:
        attributes["data-windows"] = (
            windows(view) if windows else _windows_json(working_windows(view, now))
        )
    return attributes


def _windows_json(windows: list[tuple[datetime, datetime]]) -> str:
    return json.dumps([[start.isoformat(), end.isoformat()] for start, end in windows])


def working_windows(view: ClockView, now: datetime) -> list[tuple[datetime, datetime]]:
    """The working slots from now to now + HORIZON in the clock's calendar."""
    until = now + HORIZON
    slots = takewhile(
        lambda slot: slot[0] < until, calendar_for(view.calendar_id).working_intervals(now)
    )
    return [(start, min(end, until)) for start, end in slots]
