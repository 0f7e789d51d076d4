"""A source's error in the user's language.

Adapters raise `ConfigError` and `SourceError` with English text, which is stored on the
source as it was (`Source.last_error`) and kept for the log and the CLI. The pages show what
went wrong in words the admin reads, recognising the known messages; the stored text stays
next to it as the detail.
"""

import re

from flask_babel import gettext as _

_SETTING_MISSING = re.compile(r"^[\w-]+: setting (?P<key>\w+) is required$")
_SETTING_NOT_NUMBER = re.compile(r"^[\w-]+: setting (?P<key>\w+) must be a number$")
_FEED_WITHOUT_URL = re.compile(r"^rss: a feed needs a url\b")
_NO_FEEDS = re.compile(r"^rss: RSS_FEEDS is empty$")
_FACEBOOK_IDS = re.compile(r"^facebook: set FACEBOOK_PAGE_IDS and/or FACEBOOK_GROUP_IDS$")
_HTTP = re.compile(r"^[\w-]+: HTTP (?P<status>\d{3}): (?P<detail>.*)$", re.DOTALL)
_NO_RESPONSE = re.compile(r"^[\w-]+: no response: ", re.DOTALL)


def _http_text(status: int, detail: str) -> str:
    if "response is not JSON" in detail or "unexpected response shape" in detail:
        return _(
            "The source answered with something it could not read (HTTP %(status)d).", status=status
        )
    if status in (401, 403):
        return _(
            "The source refused the credentials (HTTP %(status)d): check the token or key.",
            status=status,
        )
    if status == 404:
        return _("The source does not know the address asked for (HTTP %(status)d).", status=status)
    if status == 429:
        return _(
            "The source asked to slow down (HTTP %(status)d); it will be retried later.",
            status=status,
        )
    if status >= 500:
        return _("The source had a server error (HTTP %(status)d).", status=status)
    return _("The source refused the request (HTTP %(status)d).", status=status)


def error_text(message: str | None) -> str | None:
    """What a stored error means, translated; None when the message is not a known one."""
    if not message:
        return None
    message = message.strip()
    if match := _SETTING_MISSING.match(message):
        return _(
            "The setting %(key)s is missing: add it to the server's environment.",
            key=match["key"],
        )
    if match := _SETTING_NOT_NUMBER.match(message):
        return _("The setting %(key)s must be a number.", key=match["key"])
    if _FEED_WITHOUT_URL.match(message):
        return _("A news feed has no address.")
    if _NO_FEEDS.match(message):
        return _("No news feed is set.")
    if _FACEBOOK_IDS.match(message):
        return _("Set FACEBOOK_PAGE_IDS or FACEBOOK_GROUP_IDS.")
    if match := _HTTP.match(message):
        return _http_text(int(match["status"]), match["detail"])
    if _NO_RESPONSE.match(message):
        return _("The source did not answer (time-out or connection refused).")
    return None


def setup_text(message: str) -> str:
    """A source's setup problem, found before any run, in the user's language."""
    if match := _SETTING_MISSING.match(message.strip()):
        return _("Missing setting: %(key)s", key=match["key"])
    return error_text(message) or message
