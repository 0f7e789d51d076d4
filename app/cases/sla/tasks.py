"""Background jobs of the SLA: the scan and the recompute after admin edits."""

import logging

from app.cases.sla import clocks, escalation
from app.jobs import QueueUnavailable, enqueue, job, periodic
from app.notifications.tasks import dispatch_emails

log = logging.getLogger(__name__)


@periodic(interval=60)
def scan_sla_clocks() -> dict:
    """Every minute: flag clocks at risk and breached, then send what is due at once."""
    result = escalation.scan()
    dispatch_emails()
    return result.as_dict()


@job(queue="default", timeout=3600)
def recompute_clocks(calendar_ids: list[int] | None = None, rematch: bool = False) -> int:
    """Recompute the open clocks after a calendar or policy change."""
    return clocks.recompute_open_clocks(calendar_ids=calendar_ids, rematch=rematch)


def schedule_recompute(calendar_ids: list[int] | None = None, rematch: bool = False) -> None:
    """Recompute in the background (inline without Redis); never fail the admin's edit."""
    try:
        enqueue(recompute_clocks, calendar_ids=calendar_ids, rematch=rematch)
    except QueueUnavailable as error:
        log.warning("recompute not queued (%s); running it now", error)
        recompute_clocks(calendar_ids=calendar_ids, rematch=rematch)
