"""Vietnamese text normalisation for triage: clean Unicode, fold, expand abbreviations.

Pure Python and fast enough for the collector firehose: the heavy lifting is
`str.translate`, precompiled regexes and dict lookups; per-word work is cached.

* `clean` gives the display text: look-alike letters folded to Vietnamese
  ("áп ᴍạпɢ" -> "án mạng", "ＴＰ．ＨＣＭ" -> "TP.HCM"), NFC, combining marks in the
  right order, tone marks where the standard convention puts them ("hoà" ->
  "hòa"), masked crime words written out ("ch*t" -> "chết"), no invisible
  characters, tidy whitespace.
* `fold` gives the matching form: lowercase, no diacritics, "đ" -> "d".
* `normalize` does both and also pulls out URLs, e-mail addresses, @mentions,
  hashtags and emoji, and turns the words into `Token`s with abbreviations and
  teencode expanded ("Q7" -> "quận 7", "ko" -> "không") for the later steps.

underthesea's `text_normalize` does the tone fix too, but importing underthesea
pulls its tokenizer, Rust core and model-fetching modules; the rule is small, so
it lives in `syllables.fix_tone_placement`.
"""

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from app.triage.lookalikes import fix_capital_i, fold_lookalikes, unmask
from app.triage.syllables import ALL_VOWELS, TONED_VOWELS, fix_tone_placement, split_syllables


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # Latin-1, Latin Extended-A/B and Latin Extended Additional hold every
    # precomposed Vietnamese letter (and the French/German ones in loanwords).
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        decomposed = unicodedata.normalize("NFD", chr(code))
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if len(base) == 1 and base.isascii() and base.isalpha():
            table[code] = base.lower()
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code).lower()
    # No decomposition exists for these; "ð"/"Ð" are what some keyboards send for đ.
    table.update({ord("đ"): "d", ord("Đ"): "d", ord("ð"): "d", ord("Ð"): "d"})
    for code in range(0x300, 0x370):  # stray combining marks: drop
        table[code] = None
    return table


_FOLD_TABLE = _build_fold_table()


def fold(text: str) -> str:
    """Lowercase `text` and strip its diacritics ("Quận Gò Vấp" -> "quan go vap")."""
    return text.translate(_FOLD_TABLE).lower()


# -- cleaning -----------------------------------------------------------------

# Zero-width joiners glue emoji sequences together; only drop them next to letters.
_STRAY_JOINER = re.compile("(?<=\\w)\u200d|\u200d(?=\\w)")
_CHAR_FIXES = str.maketrans(
    {"ð": "đ", "Ð": "Đ", **dict.fromkeys("\u00ad\u200b\u200c\u2060\ufeff\u180e")}
)
_SPACES = re.compile(r"[^\S\n]{2,}|[^\S \n]")
_NEWLINES = re.compile(r"\s*\n\s*")
_ANY_MARK = re.compile("[\u0300-\u036f]")
_MARK_RUN = re.compile("[\u0300-\u036f]{2,}")
# Vowel shape marks (circumflex, breve, horn) must precede the tone mark or NFC
# cannot compose them; NFD leaves "a + grave + circumflex" in that wrong order.
_SHAPE_MARKS = {"\u0302": 0, "\u0306": 0, "\u031b": 0}
# Only a toned vowel next to another vowel can sit on the wrong one ("hoà", "tíếp");
# skipping the other words keeps the callback off most of the text.
_TONED_WORD = re.compile(
    rf"(?<![^\W\d_])[^\W\d_]*"
    rf"(?:[{TONED_VOWELS}][{ALL_VOWELS}]|[{ALL_VOWELS}][{TONED_VOWELS}])[^\W\d_]*"
)


def _reorder_marks(match: re.Match) -> str:
    return "".join(
        sorted(match.group(), key=lambda m: (unicodedata.combining(m), _SHAPE_MARKS.get(m, 1)))
    )


_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")


def clean(text: str) -> str:
    """NFC `text`, fix mixed Unicode forms and tone placement, tidy whitespace.

    Look-alike letters are folded first ("áп ᴍạпɢ" -> "án mạng", see `lookalikes`),
    so that their combining marks compose like any others; masked crime words
    are written out last ("ch*t" -> "chết").
    """
    if not text:
        return ""
    if "&" in text and _HTML_ENTITY.search(text):
        # Some feeds and crawlers leave HTML entities in ("b&ecirc; t&ocirc;ng").
        text = html.unescape(text)
    if not text.isascii():
        text = fold_lookalikes(text)
        if _ANY_MARK.search(text):  # only decomposed input needs the slow path
            decomposed = _MARK_RUN.sub(_reorder_marks, unicodedata.normalize("NFD", text))
            text = unicodedata.normalize("NFC", decomposed)
        else:
            text = unicodedata.normalize("NFC", text)
        text = text.translate(_CHAR_FIXES)
        if "\u200d" in text:
            text = _STRAY_JOINER.sub("", text)
        text = _TONED_WORD.sub(lambda m: fix_tone_placement(m.group()), text)
        text = fix_capital_i(text)
    text = unmask(text)
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


# -- abbreviations -----------------------------------------------------------

#: Whole-word abbreviations and teencode, keyed by lowercase form with "đ" -> "d".
ABBREVIATIONS: dict[str, str] = {
    # negation and particles
    "ko": "không", "k": "không", "kg": "không", "khg": "không", "hok": "không",
    "khong": "không", "hk": "không",
    "dc": "được", "dk": "được", "dx": "được",
    "j": "gì", "ng": "người", "ngta": "người ta", "mn": "mọi người", "mng": "mọi người",
    "vs": "với", "trc": "trước", "cx": "cũng", "bik": "biết", "ntn": "như thế nào",
    "sdt": "số điện thoại", "dg": "đường",
    # the city
    "tp": "thành phố", "tphcm": "thành phố hồ chí minh", "hcm": "hồ chí minh",
    "hcmc": "hồ chí minh", "sg": "sài gòn", "tx": "thị xã",
    # public bodies and services
    "ubnd": "ủy ban nhân dân", "hdnd": "hội đồng nhân dân", "bv": "bệnh viện",
    "csgt": "cảnh sát giao thông", "cstt": "cảnh sát trật tự", "cskv": "cảnh sát khu vực",
    "pccc": "phòng cháy chữa cháy", "tngt": "tai nạn giao thông", "atgt": "an toàn giao thông",
    "attp": "an toàn thực phẩm", "sxh": "sốt xuất huyết", "bhxh": "bảo hiểm xã hội",
    "bhyt": "bảo hiểm y tế", "gplx": "giấy phép lái xe", "cccd": "căn cước công dân",
    "cmnd": "chứng minh nhân dân", "kdc": "khu dân cư", "kcn": "khu công nghiệp",
    "thpt": "trung học phổ thông", "thcs": "trung học cơ sở",
}  # fmt: skip

#: Letters that abbreviate an administrative level when a dot or a number follows.
LEVEL_PREFIXES: dict[str, str] = {
    "q": "quận", "p": "phường", "h": "huyện", "x": "xã", "tt": "thị trấn", "tx": "thị xã",
    "tp": "thành phố",
}  # fmt: skip
_PREFIX_NUMBER = re.compile(r"([qp])0*(\d{1,2})")
_NUMBERED_LEVELS = ("q", "p")
_EXPANDABLE = frozenset(ABBREVIATIONS) | frozenset(LEVEL_PREFIXES)


# -- tokens ------------------------------------------------------------------


class Token(NamedTuple):
    """One word for matching: `folded` form, `surface` (lowercase, with diacritics),
    and where it came from in `NormalizedText.text` (an abbreviation's words share its span)."""

    folded: str
    surface: str
    start: int
    end: int


@dataclass(frozen=True)
class NormalizedText:
    """The result of `normalize`: display text, matching forms and extracted entities."""

    text: str
    expanded: str
    folded: str
    tokens: tuple[Token, ...]
    urls: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    emojis: tuple[str, ...] = ()


_EMOJI_CHARS = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u3030\u303d"
_EMOJI = re.compile(rf"[{_EMOJI_CHARS}](?:[\ufe0f\U0001f3fb-\U0001f3ff]|\u200d[{_EMOJI_CHARS}])*")
_TLDS = "com|net|org|vn|gov|edu|info|io|me|ly|co|tv|link|gl|be"
# (kind, a character the text must contain for it to occur, pattern). Each pattern
# runs only when its character is present: a single alternation tried at every
# position of every post costs several times more.
_SPECIALS = (
    ("url", "/", re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)),
    ("url", ".", re.compile(
        rf"(?<![\w.@/-])(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s<>\"']*)?", re.IGNORECASE)),
    ("email", "@", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("mention", "@", re.compile(r"(?<![\w@])@\w(?:[\w.]*\w)?")),
    ("hashtag", "#", re.compile(r"(?<![\w&#])#[^\W_]\w*")),
)  # fmt: skip
_URL_TAIL = ".,;:!?)]}'\""
_WORD = re.compile(r"[^\W_]+")
_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|\d+")


class _Raw(NamedTuple):
    word: str
    start: int
    end: int
    dot: bool  # a "." right after: "Q." / "TP." abbreviate a level


@lru_cache(maxsize=65536)
def _word_forms(word: str) -> tuple[str, str, str]:
    """(folded, lowercase, abbreviation key) of one word; words repeat, so cache."""
    lower = word.lower()
    return fold(word), lower, lower.replace("đ", "d")


def _special_spans(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) of URLs, e-mails, mentions and hashtags."""
    spans = []
    for kind, needle, pattern in _SPECIALS:
        if needle in text:
            for match in pattern.finditer(text):
                end = match.end()
                if kind == "url":  # a sentence's full stop is not part of the link
                    end -= len(match.group()) - len(match.group().rstrip(_URL_TAIL))
                spans.append((match.start(), end, kind))
    if len(spans) < 2:
        return spans
    spans.sort(key=lambda span: (span[0], -span[1]))
    kept = [spans[0]]
    for span in spans[1:]:
        if span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _words(text: str, start: int, end: int, out: list[_Raw]) -> None:
    for match in _WORD.finditer(text, start, end):
        word_end = match.end()
        out.append(
            _Raw(match.group(), match.start(), word_end, text[word_end : word_end + 1] == ".")
        )


def _humps(run: str) -> list[tuple[int, str]]:
    """Split camelCase ("NgapNuoc"), but not all-caps ("HCM"), into (offset, part)."""
    if run.isupper() or run.islower():
        return [(0, run)]
    cuts = [0] + [i for i in range(1, len(run)) if run[i].isupper() and run[i - 1].islower()]
    return [(a, run[a:b]) for a, b in zip(cuts, [*cuts[1:], len(run)], strict=True)]


def _hashtag_words(body: str, start: int, out: list[_Raw]) -> None:
    """Split a hashtag body on "_", camelCase and syllables: #NgapNuocQ7 -> ngap nuoc q 7."""
    offset = start
    for chunk in body.split("_"):
        runs = _LETTERS_OR_DIGITS.finditer(chunk)
        for hump_start, part in [(m.start() + a, p) for m in runs for a, p in _humps(m.group())]:
            base = offset + hump_start
            folded = fold(part)
            pieces = split_syllables(folded) if len(folded) == len(part) else None
            if not pieces or len(pieces) == 1:
                out.append(_Raw(part, base, base + len(part), False))
                continue
            position = 0
            for piece in pieces:
                end = position + len(piece)
                out.append(_Raw(part[position:end], base + position, base + end, False))
                position = end
        offset += len(chunk) + 1


def _emit(words: str, raw: _Raw, end: int, out: list[Token]) -> None:
    for word in words.split():
        out.append(Token(_word_forms(word)[0], word, raw.start, end))


def _expand(raws: list[_Raw]) -> tuple[list[Token], list[tuple[int, int, str]]]:
    tokens: list[Token] = []
    replacements: list[tuple[int, int, str]] = []
    for index, raw in enumerate(raws):
        folded, lower, key = _word_forms(raw.word)
        if key not in _EXPANDABLE and not (key[0] in "qp" and key[-1].isdigit()):
            tokens.append(Token(folded, lower, raw.start, raw.end))  # the common case
            continue
        following = raws[index + 1] if index + 1 < len(raws) else None
        if number := _PREFIX_NUMBER.fullmatch(key):  # "Q7", "p12", "q07"
            words = f"{LEVEL_PREFIXES[number.group(1)]} {number.group(2)}"
            _emit(words, raw, raw.end, tokens)
            replacements.append((raw.start, raw.end, words))
            continue
        if key in LEVEL_PREFIXES and (
            raw.dot or (key in _NUMBERED_LEVELS and following and following.word.isdigit())
        ):  # "Q.7", "Q. Gò Vấp", "p 12", "TP.HCM"
            end = raw.end + 1 if raw.dot else raw.end
            _emit(LEVEL_PREFIXES[key], raw, end, tokens)
            replacements.append((raw.start, end, LEVEL_PREFIXES[key] + " "))
            continue
        expansion = ABBREVIATIONS.get(key)
        # "50 k" is fifty thousand, not "không".
        if expansion and not (key == "k" and index and raws[index - 1].word.isdigit()):
            _emit(expansion, raw, raw.end, tokens)
            replacements.append((raw.start, raw.end, expansion))
            continue
        tokens.append(Token(folded, lower, raw.start, raw.end))
    return tokens, replacements


def _splice(text: str, replacements: list[tuple[int, int, str]]) -> str:
    if not replacements:
        return text
    parts, position = [], 0
    for start, end, words in replacements:
        parts.append(text[position:start])
        parts.append(words)
        position = end
    parts.append(text[position:])
    return _SPACES.sub(" ", "".join(parts)).strip()


def normalize(text: str) -> NormalizedText:
    """Clean `text` and derive everything later triage steps match on.

    `.text` is the cleaned display text (offsets in `.tokens` point into it),
    `.expanded` the same with abbreviations written out, `.folded` the tokens'
    folded forms joined by spaces (no URLs, e-mails, mentions or emoji; hashtags
    split into words).
    """
    text = clean(text or "")
    raws: list[_Raw] = []
    found: dict[str, list[str]] = {"url": [], "email": [], "mention": [], "hashtag": []}
    position = 0
    for start, end, kind in _special_spans(text):
        _words(text, position, start, raws)
        position = end
        value = text[start:end]
        if kind == "hashtag":
            value = value[1:]
            _hashtag_words(value, start + 1, raws)
        elif kind == "mention":
            value = value[1:]
        found[kind].append(value)
    _words(text, position, len(text), raws)
    tokens, replacements = _expand(raws)
    return NormalizedText(
        text=text,
        expanded=_splice(text, replacements),
        folded=" ".join(token.folded for token in tokens),
        tokens=tuple(tokens),
        urls=tuple(found["url"]),
        hashtags=tuple(found["hashtag"]),
        mentions=tuple(found["mention"]),
        emails=tuple(found["email"]),
        emojis=() if text.isascii() else tuple(_EMOJI.findall(text)),
    )


def expand_abbreviations(text: str) -> str:
    """`text` cleaned, with abbreviations and teencode written out ("Q7 ko" -> "quận 7 không")."""
    return normalize(text).expanded
