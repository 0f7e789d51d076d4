"""Source adapters. Pull sources are built by name; push sources expose functions.

Pull (scheduled, checkpointed): facebook, youtube, x, zalo, rss.
Push / one-off: `webhook.parse_webhook`, `zalo.parse_zalo_event`,
`citizen.citizen_report_to_post`, `file_import.iter_import_file`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.collectors.base import Adapter
from app.collectors.sources.facebook import FacebookAdapter
from app.collectors.sources.rss import RssAdapter
from app.collectors.sources.x import XAdapter
from app.collectors.sources.youtube import YouTubeAdapter
from app.collectors.sources.zalo import ZaloAdapter

PULL_ADAPTERS: dict[str, type[Adapter]] = {
    adapter.name: adapter
    for adapter in (FacebookAdapter, YouTubeAdapter, XAdapter, ZaloAdapter, RssAdapter)
}


def build_adapter(name: str, settings: Mapping[str, Any] | None = None, **kwargs: Any) -> Adapter:
    """The pull adapter called `name`, configured from `settings` (default: the environment)."""
    try:
        adapter_class = PULL_ADAPTERS[name]
    except KeyError:
        raise ValueError(
            f"unknown source {name!r}; known: {', '.join(sorted(PULL_ADAPTERS))}"
        ) from None
    return adapter_class(settings, **kwargs)
