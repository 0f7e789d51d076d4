"""Background jobs of the users domain."""

from app.jobs import periodic
from app.users.operations import prune_sign_in_throttles


@periodic(cron="23 3 * * *")
def prune_sign_in_failures() -> int:
    """Forget failed sign-ins older than a day, whose waits are long over."""
    return prune_sign_in_throttles()
