"""A fast diacritics-insensitive fold for search and keyword matching (pure, no Flask).

`fold("Đường Nguyễn Hữu Cảnh NGẬP  nặng")` -> `"duong nguyen huu canh ngap nang"`.

For Latin text it equals the plain recipe (NFD, drop combining marks, đ -> d,
lower-case, collapse whitespace); a character with no Latin base (emoji,
other scripts, typographic quotes) becomes a space, so the result is always
ASCII. For matching words that changes nothing: such characters were word
separators already.

Why not the plain recipe: watchlist matching folds every collected post, and
its per-character Python loop dominated the matcher's cost. Here the work is
done in C: `str.lower`, then a charmap codec that maps each lower-case
Vietnamese letter to a byte, then `bytes.translate` from those bytes to the
base letters. Only characters outside the map reach Python, one run at a time.
"""

from __future__ import annotations

import codecs
import unicodedata

_ERRORS = "socialbeat.fold"


def _latin_base(char: str) -> str | None:
    """The ASCII letter under a Latin letter's diacritics ("ệ" -> "e"), else None."""
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base if len(base) == 1 and base.isascii() and base != char else None


def _build_codec() -> tuple[object, bytes]:
    """A charmap for ASCII plus 128 lower-case letters, and the byte table to their bases.

    Vietnamese letters come first so all of them get a byte; the rest of the
    128 slots go to other Latin letters (loanwords, names).
    """
    vietnamese = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    others = [
        chr(code)
        for code in range(0x80, 0x250)
        if chr(code).islower() and _latin_base(chr(code)) and chr(code) not in vietnamese
    ]
    letters = (list(vietnamese) + ["ð"] + others)[:128]
    bases = ["d" if letter in "đð" else _latin_base(letter) for letter in letters]
    decoding_table = "".join(map(chr, range(128))) + "".join(letters)
    decoding_table += "\ufffe" * (256 - len(decoding_table))  # unused byte values
    to_base = bytes(range(128)) + "".join(bases).encode("ascii")
    to_base += bytes(256 - len(to_base))
    return codecs.charmap_build(decoding_table), to_base


def _fold_unmapped(error: UnicodeEncodeError) -> tuple[str, int]:
    """Fold a run of characters the charmap lacks: marks vanish, the rest -> base or space."""
    folded = []
    for char in error.object[error.start : error.end]:
        if unicodedata.combining(char):
            continue
        base = _latin_base(char)
        folded.append(base if base else char if char.isascii() else " ")
    return "".join(folded), error.end


_ENCODING_MAP, _TO_BASE = _build_codec()
codecs.register_error(_ERRORS, _fold_unmapped)
_charmap_encode = codecs.charmap_encode


def fold(text: str | None) -> str:
    """Lower-case ASCII form of `text`: diacritics stripped (đ -> d), whitespace collapsed."""
    if not text:
        return ""
    if text.isascii():
        folded = text.lower()
    else:
        encoded = _charmap_encode(text.lower(), _ERRORS, _ENCODING_MAP)[0]
        folded = encoded.translate(_TO_BASE).decode("ascii")
    # split/join is costly; most posts have neither double nor unusual whitespace.
    if "  " in folded or not folded.isprintable():
        return " ".join(folded.split())
    return folded.strip(" ")
