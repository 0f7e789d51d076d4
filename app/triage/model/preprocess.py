"""How a post's text is prepared for the classifier, and the training-time augmentation.

The same `prepare_text` runs in training and at inference (the form is stored in
the model's config), so what the model saw in training is what it sees later.
"""

import dataclasses
import hashlib
import unicodedata

from app.triage.model.labels import Example
from app.triage.textnorm import clean, normalize

#: "raw": as written; "clean": NFC, tone marks, whitespace; "expanded": clean with
#: abbreviations and teencode written out ("Q7" -> "quận 7", "ko" -> "không").
TEXT_FORMS = ("raw", "clean", "expanded")


def prepare_text(text: str, form: str = "expanded") -> str:
    """`text` in the given form (see `TEXT_FORMS`), without the model's prefix."""
    if form == "expanded":
        return normalize(text or "").expanded
    if form == "clean":
        return clean(text or "")
    if form == "raw":
        return text or ""
    raise ValueError(f"unknown text form {form!r}; expected one of {TEXT_FORMS}")


_STRIP = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """`text` as typed on a keyboard without Vietnamese input: no tone or vowel marks, case kept."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STRIP))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", stripped)


def has_diacritics(text: str) -> bool:
    """True when stripping diacritics would change `text`."""
    return strip_diacritics(text) != text


def augment(examples: list[Example], share: float = 1.0) -> list[Example]:
    """`examples` plus a diacritics-free copy of `share` of those written with diacritics
    (the copy keeps the example's provenance, so it weighs what the original weighs)."""
    copies = [
        dataclasses.replace(e, text=strip_diacritics(e.text), id=e.id + "#nodiac")
        for e in examples
        if has_diacritics(e.text) and _fraction(e.id or e.text) < share
    ]
    return examples + copies


def _fraction(key: str) -> float:
    """A number in [0, 1) fixed by `key`."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 2**32
