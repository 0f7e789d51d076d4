"""Vietnamese syllable helpers: canonical tone-mark placement and splitting run-together syllables.

Pure Python, no data files. Two jobs that `textnorm` needs:

* `fix_tone_placement` puts the tone mark where the usual ("old style") convention
  puts it, the fix `underthesea.text_normalize` applies: "hoà" -> "hòa",
  "thuý" -> "thúy", "tíếp" -> "tiếp". Official place names use that style
  ("Phường Chánh Phú Hòa"), so comparing with them gets simpler.
* `split_syllables` cuts a diacritics-free run such as a hashtag ("ngapnuoc") or a
  package key ("binhan") into syllables ("ngap nuoc", "binh an").
"""

import math
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# Tone marks in the order Vietnamese grammars list them; index 0 is "no tone".
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_VOWELS = "aăâeêioôơuưy"
_SHAPED_VOWELS = "ăâêôơư"

#: character -> (lowercase toneless vowel, tone index, is uppercase)
_DECOMPOSE: dict[str, tuple[str, int, bool]] = {}
#: (lowercase toneless vowel, tone index) -> lowercase character
_COMPOSE: dict[tuple[str, int], str] = {}
for _vowel in _VOWELS:
    for _tone, _mark in enumerate(_TONE_MARKS):
        _char = unicodedata.normalize("NFC", _vowel + _mark)
        _COMPOSE[(_vowel, _tone)] = _char
        _DECOMPOSE[_char] = (_vowel, _tone, False)
        _DECOMPOSE[_char.upper()] = (_vowel, _tone, True)

#: Every precomposed vowel that carries a tone mark, for a regex character class.
TONED_VOWELS = "".join(sorted(ch for ch, (_, tone, _) in _DECOMPOSE.items() if tone))
#: Every vowel letter, toned or not, either case.
ALL_VOWELS = "".join(sorted(_DECOMPOSE))

# "gi" and "qu" are onsets only when another vowel follows ("gìn": onset g, vowel i).
_SYLLABLE = re.compile(
    r"(ngh|ng|gh|gi(?=[aăâeêoôơuưy])|kh|nh|ph|th|tr|ch|qu(?=[aăâeêioôơuưy])|[bcdđghklmnpqrstvx])?"
    r"([aăâeêioôơuưy]{1,3})(ch|ng|nh|[cmnpt])?"
)


def _tone_position(vowels: str, has_coda: bool) -> int:
    """Index inside the vowel cluster that carries the tone (old-style convention)."""
    for index in range(len(vowels) - 1, -1, -1):
        # A shaped vowel always takes the tone; in "ươ" the second one does.
        if vowels[index] in _SHAPED_VOWELS:
            return index
    if len(vowels) == 3:
        return 1  # oai, oay, uyu, oeo
    if len(vowels) == 2:
        # Closed syllables put it on the second vowel (hoàng, toán); open ones on the
        # first (hòa, thúy, tài): the style of underthesea and of the official names.
        return 1 if has_coda else 0
    return 0


@lru_cache(maxsize=65536)
def fix_tone_placement(word: str) -> str:
    """Return `word` with its tone mark on the vowel the standard convention puts it on.

    Words that are not a single well-formed Vietnamese syllable, or that carry two
    different tones, are returned unchanged: guessing there would corrupt foreign words.
    """
    letters: list[tuple[str, int, bool]] = []
    tones = set()
    for char in word:
        info = _DECOMPOSE.get(char)
        if info is None:
            lower = char.lower()
            letters.append((lower, 0, char != lower))
        else:
            letters.append(info)
            if info[1]:
                tones.add(info[1])
    if len(tones) != 1:
        return word
    toneless = "".join(letter for letter, _, _ in letters)
    match = _SYLLABLE.fullmatch(toneless)
    if match is None:
        return word
    tone = tones.pop()
    vowels = match.group(2)
    if vowels[:2] in ("uơ", "ưo") and (match.group(3) or len(vowels) == 3):
        # A lost horn: "muợn", "nguời" are typed for "mượn", "người"; the cluster
        # "uơ"/"ưo" before a final sound does not exist, "ươ" does.
        first = match.start(2)
        letters[first] = ("ư", 0, letters[first][2])
        letters[first + 1] = ("ơ", 0, letters[first + 1][2])
        vowels = "ươ" + vowels[2:]
    target = match.start(2) + _tone_position(vowels, bool(match.group(3)))
    out = []
    for index, (letter, _, upper) in enumerate(letters):
        if letter in _VOWELS:
            letter = _COMPOSE[(letter, tone if index == target else 0)]
        out.append(letter.upper() if upper else letter)
    return "".join(out)


# Syllables as they look without diacritics; only used to enumerate candidate cuts.
_FOLDED_SYLLABLE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)
_MAX_SYLLABLE = 7  # "nghiêng" folded is the longest

#: Frequent syllables of city complaints; they only break ties such as "tanhung"
#: (tan hung / tanh ung). Callers with better knowledge pass their own lexicon.
_COMMON = (
    "an anh ba bao be ben benh binh cay chi chanh chay cho chua cong cu cuu dan dien dinh dong "
    "duong duc gao giao gio go hang hanh hoa hoc hung khong khu kien ket la lai lam lo loc long "
    "mat minh moi mua my nam ngap nguoi nha nhan nhieu nuoc o phong pho phu phuoc phuong quan "
    "rac sai gon son tai tan thanh thuan thong thu tien toi trung truong tuyen uy van vien vinh "
    "xa xe xuan y yen"
)
DEFAULT_LEXICON: Mapping[str, float] = {syllable: 1.0 for syllable in _COMMON.split()}


def _cost(piece: str, lexicon: Mapping[str, float]) -> float:
    if piece.isdigit():
        return 0.0
    weight = lexicon.get(piece)
    cost = 1.6 if weight is None else 1.0 - min(0.5, 0.25 * math.log1p(weight))
    # Onset-less syllables exist ("an") but a cut that makes one is usually wrong.
    if piece[0] in "aeiouy":
        cost += 0.4
    return cost


def split_syllables(text: str, lexicon: Mapping[str, float] | None = None) -> list[str] | None:
    """Cut a lowercase, diacritics-free run into syllables and digit groups.

    Returns None when `text` cannot be read as Vietnamese syllables (an English
    word, a brand), so the caller keeps it whole. The cheapest cut wins: known
    syllables in `lexicon` (syllable -> frequency) cost less than unknown ones.
    """
    if lexicon is None:
        cached = _split_default(text)
        return list(cached) if cached is not None else None
    return _split(text, lexicon)


@lru_cache(maxsize=8192)
def _split_default(text: str) -> tuple[str, ...] | None:
    pieces = _split(text, DEFAULT_LEXICON)
    return tuple(pieces) if pieces is not None else None


def _split(text: str, lexicon: Mapping[str, float]) -> list[str] | None:
    size = len(text)
    best: list[tuple[float, int] | None] = [None] * (size + 1)
    best[0] = (0.0, 0)
    for start in range(size):
        if best[start] is None:
            continue
        ends = []
        if text[start].isdigit():
            end = start
            while end < size and text[end].isdigit():
                end += 1
            ends.append(end)
        else:
            for end in range(start + 1, min(size, start + _MAX_SYLLABLE) + 1):
                if _FOLDED_SYLLABLE.fullmatch(text, start, end):
                    ends.append(end)
        for end in ends:
            cost = best[start][0] + _cost(text[start:end], lexicon)
            if best[end] is None or cost < best[end][0]:
                best[end] = (cost, start)
    if best[size] is None:
        return None
    pieces = []
    end = size
    while end:
        start = best[end][1]
        pieces.append(text[start:end])
        end = start
    return pieces[::-1]
