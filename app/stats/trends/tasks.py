"""Background jobs of the trends: the hourly spike check."""

import logging

from app.jobs import periodic
from app.models import utcnow
from app.stats.trends import spikes

log = logging.getLogger(__name__)


@periodic(cron="7 * * * *")
def check_spikes() -> int:
    """Every hour (at :07, UTC): store spike alerts for the 24 h ending at the hour and notify
    the analysts; returns how many alerts were new."""
    alerts = spikes.detect_spikes(utcnow())
    if alerts:
        log.info(
            "spike alerts: %s", ", ".join(f"{a.dimension}={a.key} ({a.volume})" for a in alerts)
        )
    return len(alerts)
