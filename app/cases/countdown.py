"""What a page needs to let an SLA countdown tick in the browser (app/static/js/countdown.js).

The server renders the countdown's text; the script only recomputes the time left. A clock
counting working time loses time only inside the calendar's working slots, so the page is given
those slots for the next hours: outside them the countdown stands still, as it does here.
"""

import json
from datetime import datetime, timedelta
from itertools import takewhile

from app.cases.calendar_store import calendar_for
from app.cases.clocks import WORKING, ClockView

#: How far ahead the working slots are given; past it a page left open stops counting down.
HORIZON = timedelta(hours=48)


def tick_attributes(view: ClockView | None, now: datetime) -> dict[str, str]:
    """data- attributes for a countdown element; empty when the countdown cannot move.

    A stopped clock (met, cancelled, finished late) or a paused one stands still.
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
        attributes["data-windows"] = json.dumps(
            [[start.isoformat(), end.isoformat()] for start, end in working_windows(view, now)]
        )
    return attributes


def working_windows(view: ClockView, now: datetime) -> list[tuple[datetime, datetime]]:
    """The working slots from now to now + HORIZON in the clock's calendar."""
    until = now + HORIZON
    slots = takewhile(
        lambda slot: slot[0] < until, calendar_for(view.calendar_id).working_intervals(now)
    )
    return [(start, min(end, until)) for start, end in slots]
