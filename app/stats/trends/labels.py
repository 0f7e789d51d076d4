"""The labels of the trends (translated when read): channels, sentiments, spike dimensions."""

from flask_babel import lazy_gettext as _l

from app.cases.labels import CATEGORY_LABELS
from app.core.vocabulary import DIRECT, PRESS, SOCIAL

DIMENSION_LABELS = {
    "category": _l("Category"),
    "place": _l("Ward"),
    "watchlist": _l("Watchlist"),
}
CHANNEL_LABELS = {
    PRESS: _l("Press"),
    SOCIAL: _l("Social media"),
    DIRECT: _l("Direct reports"),
}
SENTIMENT_LABELS = {
    "positive": _l("Positive"),
    "neutral": _l("Neutral"),
    "negative": _l("Negative"),
}


def spike_label(dimension: str, key: str, label: str) -> str:
    """What people read for a spike's key, in the current language (categories translated)."""
    if dimension == "category":
        return str(CATEGORY_LABELS.get(key, key))
    return label


def dimension_label(dimension: str) -> str:
    return str(DIMENSION_LABELS.get(dimension, dimension))
