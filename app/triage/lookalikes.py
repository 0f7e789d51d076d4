"""Undo disguised spelling: look-alike letters and masked crime words.

People write around keyword filters: "áп ᴍạпɢ" (Cyrillic and small capitals for
"án mạng"), "𝐧𝐠𝐚̣̂𝐩" (mathematical bold), "ＴＰ．ＨＣＭ" (full width), "ch*t" and
"g!ết" (a symbol for a letter), "c.ư.ớ.p" (dots between the letters), "tuvong"
(run together), "Iừa đảo" (capital I for l). `textnorm.clean` calls the functions
here so every later step reads the plain spelling.

* `fold_lookalikes` maps single characters with one `str.translate` table built
  at import from Unicode's confusables data (UTS #39, shipped by the
  `confusable-homoglyphs` package) and, for full-width and mathematical letters,
  from NFKC. Real Vietnamese letters are never keys of that table.
* `unmask` rewrites a short, explicit list of words that people censor.
* `fix_capital_i` reads a capital I that starts a lowercase Vietnamese word as l.
"""

import re
import string
import unicodedata
from functools import lru_cache

from confusable_homoglyphs.categories import alias
from confusable_homoglyphs.confusables import confusables_data

from app.triage.syllables import ALL_VOWELS

# -- look-alike letters ------------------------------------------------------

# Scripts whose letters "fancy text" generators borrow to imitate Latin ones. Greek
# and Cyrillic text gets partly folded too, which is rare in an HCMC feed and
# harmless for matching; scripts with only a few Latin-shaped letters (Thai,
# Myanmar, Devanagari, Georgian...) are left out so their real text stays intact.
_SCRIPTS = frozenset(
    {"LATIN", "GREEK", "CYRILLIC", "ARMENIAN", "CHEROKEE", "COPTIC", "LISU", "CANADIAN_ABORIGINAL"}
)
_LETTER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lo"})
# Every letter of the Vietnamese alphabet, either case, stays as it is; so do "ð"/"Ð",
# which `textnorm` turns into "đ"/"Đ" (some keyboards send them).
_VIETNAMESE_LETTERS = frozenset(string.ascii_letters + ALL_VOWELS + "đĐðÐ")
_ASCII_LETTERS = frozenset(string.ascii_letters)
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])")
# Letters the confusables data does not tie to any Latin letter:
# - "п" (Cyrillic pe) is listed only as a look-alike of Greek "π", but in print it
#   reads as "n" and "áп ᴍạпɢ" is how it is used;
# - "ᴆ" (small capital eth) looks like "đ", which is not ASCII and so has no entry.
_SUPPLEMENT = {"п": "n", "ᴆ": "đ"}
# Compatibility letters where NFKC gives the plain letter: full-width forms,
# letterlike symbols ("ℎ", "ℂ") and mathematical alphanumerics ("𝐧", "𝟕").
_COMPATIBILITY_RANGES = (range(0xFF01, 0xFF5F), range(0x2100, 0x2150), range(0x1D400, 0x1D800))
# "ℹ" is a letter to Unicode but, followed by U+FE0F, the information emoji.
_NOT_FOLDED = frozenset("ℹ")


def _is_source(char: str) -> bool:
    return (
        len(char) == 1
        and not char.isascii()
        and char not in _VIETNAMESE_LETTERS
        and char not in _NOT_FOLDED
        and unicodedata.category(char) in _LETTER_CATEGORIES
        and alias(char) in _SCRIPTS
    )


def _unique(candidates: set[str]) -> str | None:
    return next(iter(candidates)) if len(candidates) == 1 else None


def _build_table() -> dict[int, str]:
    """Look-alike character -> the Latin letter (or Vietnamese letter) it imitates."""
    sources = [char for char in confusables_data if _is_source(char)]
    target: dict[str, str] = {}
    # Small capitals by their Unicode name: the data pairs most of them with
    # Cyrillic or Cherokee letters ("ʜ" ~ "н"), not with the Latin letter.
    for code in (*range(0x250, 0x2B0), *range(0x1D00, 0x1D80), *range(0xA720, 0xA800)):
        if match := _SMALL_CAPITAL.fullmatch(unicodedata.name(chr(code), "")):
            target[chr(code)] = match.group(1).lower()
    # Characters the data pairs with exactly one ASCII letter ("а" ~ "a", "ι" ~ "i").
    for char in sources:
        if char not in target:
            letters = {h["c"] for h in confusables_data[char] if h["c"] in _ASCII_LETTERS}
            if letter := _unique(letters):
                target[char] = letter
    # One step further: "т" ~ "ᴛ" ~ "t", "в" ~ "ʙ" ~ "b".
    for char in sources:
        if char not in target:
            letters = {target[h["c"]] for h in confusables_data[char] if h["c"] in target}
            if letter := _unique(letters):
                target[char] = letter
    # Unicode takes "l" as the shape of I, l and 1; an upper-case one reads as I.
    for char, letter in target.items():
        if letter == "l" and char.isupper():
            target[char] = "I"
    target.update(_SUPPLEMENT)
    # Precomposed letters over a look-alike ("ӑ" is Cyrillic а + breve): the
    # Latin base plus the same marks, which `clean` then composes ("ă").
    for code in range(0x80, 0x2000):
        char = chr(code)
        decomposed = unicodedata.normalize("NFD", char)
        if len(decomposed) > 1 and decomposed[0] in target and _is_letter_with_marks(char):
            target[char] = target[decomposed[0]] + decomposed[1:]
    for code in (code for block in _COMPATIBILITY_RANGES for code in block):
        char = chr(code)
        if char in _NOT_FOLDED:
            continue
        compatible = unicodedata.normalize("NFKC", char)
        if len(compatible) != 1:
            continue
        # Full-width ASCII keeps its punctuation ("．" -> "."); elsewhere only letters
        # and digits ("𝐧" -> "n", "ℎ" -> "h").
        full_width = 0xFF01 <= code <= 0xFF5E
        if full_width or (compatible.isascii() and compatible.isalnum()):
            target[char] = compatible
        elif compatible in target:  # mathematical Greek: "𝛂" -> "α" -> "a"
            target[char] = target[compatible]
    return {ord(char): letter for char, letter in target.items()}


def _is_letter_with_marks(char: str) -> bool:
    decomposed = unicodedata.normalize("NFD", char)
    return _is_source(char) and all(unicodedata.combining(mark) for mark in decomposed[1:])


def _character_class(codes: list[int]) -> str:
    """A regex character class for `codes`, as ranges so that it stays short."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = (
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return f"[{''.join(parts)}]"


LOOKALIKE_TABLE: dict[int, str] = _build_table()
# The fast path: one search per post. A class of BMP characters compiles to a
# bitmap; astral ranges would turn it into a slow list of ranges, so the
# mathematical letters (the only astral keys) get one range of their own.
_ASTRAL = [code for code in LOOKALIKE_TABLE if code > 0xFFFF]
_LOOKALIKE = re.compile(
    _character_class([code for code in LOOKALIKE_TABLE if code <= 0xFFFF])
    + f"|[{chr(min(_ASTRAL))}-{chr(max(_ASTRAL))}]"
)


def fold_lookalikes(text: str) -> str:
    """Replace look-alike characters with the Latin letters they imitate.

    Combining marks that followed a look-alike stay, so "а\u0301" (Cyrillic a +
    acute) becomes "a\u0301"; NFC afterwards makes it "á". Pure ASCII text and
    text without look-alikes come back unchanged after one regex search.
    """
    if text.isascii() or not _LOOKALIKE.search(text):
        return text
    return text.translate(LOOKALIKE_TABLE)


# -- capital I for l ---------------------------------------------------------

_MARKED_LOWER_VOWELS = "".join(v for v in ALL_VOWELS if v.islower() and not v.isascii())
# "Iừa", "Iên", "Ioại": Vietnamese has no syllable "i" + marked vowel, so an I
# that starts a lowercase word before one is an l. "Ia Grai", "Iu" stay.
_CAPITAL_I = re.compile(rf"(?<![^\W\d_])I(?=[aeiouy]{{0,2}}[{_MARKED_LOWER_VOWELS}])")


def fix_capital_i(text: str) -> str:
    """Read a capital I that starts a lowercase Vietnamese word as l ("Iừa" -> "lừa")."""
    if "I" not in text:
        return text
    return _CAPITAL_I.sub("l", text)


# -- masked and run-together words -------------------------------------------

#: Words people disguise to get past filters: death, killing, assault, robbery,
#: theft, scams, drugs, fire, accidents.
MASKED_WORDS: tuple[str, ...] = (
    "chết", "giết", "tử vong", "hành hung", "cướp", "trộm", "lừa đảo", "ma túy", "cháy",
    "tai nạn",
)  # fmt: skip

# Inside a word these stand for letters ("ch*t", "g!ết", "c.ư.ớ.p"); a tone
# sign may follow ("ch*'t", "h*`nh"). At the end of a word only the symbols
# that never end a sentence count ("m* t*y").
_MASK = r"[*!#$%.\-_]+['`´’~]?"
_END_MASK = r"[*#$%]+"
# Possessive quantifiers: a word never needs to give letters back, and not
# backtracking halves the time on texts that pass `_HAS_MASK`.
_WORD_RUN = rf"[^\W\d_]++(?:{_MASK}[^\W\d_]++)*+(?:{_END_MASK})?+"
_MASKED_RUN = rf"[^\W\d_]++(?:(?:{_MASK}[^\W\d_]++)++(?:{_END_MASK})?+|{_END_MASK})"
#: Cheap test that a text may hold a masked word (a mask right after a letter). It
#: starts with a plain character class, which the regex engine scans for quickly.
_HAS_MASK = re.compile(r"[*!#$%.\-_](?<=[^\W\d_].)(?:[*!#$%.\-_'`´’~]*[^\W\d_]|(?<=[*#$%])(?!\w))")
#: A masked word with the words on either side (a masked phrase may span them).
_MASKED = re.compile(
    rf"(?<![\w*!#$%.\-/@])(?:({_WORD_RUN}) )?({_MASKED_RUN})(?: ({_WORD_RUN}))?(?![\w*#$%/@])"
)
_MASK_CHARS = re.compile(_MASK)


def _plain(text: str) -> str:
    """Lowercase without diacritics, "đ" -> "d" (what the targets are compared in)."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_TARGETS: dict[str, str] = {_plain(word): word for word in MASKED_WORDS}
_RUN_TOGETHER: dict[str, str] = {}
for _word in MASKED_WORDS:
    if " " in _word:
        _RUN_TOGETHER[_word.replace(" ", "")] = _word  # "tửvong"
        _RUN_TOGETHER[_plain(_word).replace(" ", "")] = _word  # "tuvong"
_RUN_TOGETHER_ALTERNATIVES = "|".join(sorted(_RUN_TOGETHER, key=len, reverse=True))
#: Cheap test first: without a look-behind in front the engine skips ahead quickly.
_HAS_RUN_TOGETHER = re.compile(_RUN_TOGETHER_ALTERNATIVES)
_RUN_TOGETHER_WORD = re.compile(rf"(?<![^\W_])(?:{_RUN_TOGETHER_ALTERNATIVES})(?![^\W_])")


@lru_cache(maxsize=4096)
def _unmasked(written: str) -> str | None:
    """The target `written` ("ch*t", "h*`nh h*ng") stands for, or None."""
    pieces = _MASK_CHARS.split(_plain(written))
    if len(pieces) < 2:
        return None
    # More than half of the letters must be shown: "C.P" (a company) is not "cướp".
    letters = sum(len(piece.replace(" ", "")) for piece in pieces)
    # A mask stands for at most two letters; "c.ư.ớ.p" separates letters, so none.
    pattern = re.compile(".{0,2}".join(re.escape(piece) for piece in pieces))
    found = {
        word
        for plain, word in _TARGETS.items()
        if (" " in plain) == (" " in written)
        and 2 * letters > len(plain.replace(" ", ""))
        and pattern.fullmatch(plain)
    }
    if len(found) != 1:
        return None
    word = found.pop()
    first = next(char for char in written if char.isalpha())
    shown = [char for char in written if char.isalpha()]
    if len(shown) > 1 and all(char.isupper() for char in shown):
        return word.upper()
    return word[0].upper() + word[1:] if first.isupper() else word


def _unmask_match(match: re.Match) -> str:
    before, masked, after = match.groups()
    if before and (word := _unmasked(f"{before} {masked}")):
        return word + (f" {after}" if after else "")
    if after and (word := _unmasked(f"{masked} {after}")):
        return (f"{before} " if before else "") + word
    parts = (before, masked, after)  # each on its own: "ch*t g!ết"
    return " ".join(_unmasked(part) or part for part in parts if part)


def unmask(text: str) -> str:
    """Write out masked and run-together crime words ("ch*t" -> "chết", "tuvong" -> "tử vong")."""
    if _HAS_MASK.search(text):
        text = _MASKED.sub(_unmask_match, text)
    if _HAS_RUN_TOGETHER.search(text):
        text = _RUN_TOGETHER_WORD.sub(lambda m: _RUN_TOGETHER[m.group()], text)
    return text
