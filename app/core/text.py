"""Text folding for diacritics-insensitive search (pure, no Flask)."""

import unicodedata

# đ/Đ are letters of their own, not d plus a combining mark, so NFD leaves them.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """Lower-case `text` and strip Vietnamese diacritics: "Quận Gò Vấp" -> "quan go vap"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
