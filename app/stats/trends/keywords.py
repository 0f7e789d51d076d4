"""Keywords of posts: words and phrases, not syllables (pure Python, no Flask).

A Vietnamese word is one or more syllables ("ngập nước", "kẹt xe", "Thủ Đức"), and the same
word is typed with or without diacritics. `Segmenter` turns a post into its words:

1. `textnorm.normalize` cleans the text and expands abbreviations ("Q7" -> "quận 7",
   "ko" -> "không");
2. the gazetteer finds the places it names: a ward, a former district, a street or a landmark
   is one keyword, keyed by its name ("Q7", "quận 7" and "quan 7" are all "Quận 7"; "thu duc"
   and "Thủ Đức" are "Thủ Đức");
3. the other syllables are read as words by the longest match in a `Lexicon` of compounds:
   the phrases of data/phrases_vi.txt, the compounds that underthesea's `word_tokenize`
   finds in the posts written with diacritics (`learn_compounds`), and pairs of words that
   keep appearing side by side (`collocations`, by pointwise mutual information); the app
   keeps what it learned in its lexicon (lexicon.py). A syllable typed without
   diacritics matches the same syllable with them, so "ngap nuoc" and "ngập nước" are one
   keyword;
4. stopwords (data/stopwords_vi.txt: function words, filler, time words, generic place words
   such as "đường" or "tp"), numbers and stray letters are dropped; a phrase never spans
   punctuation or a dropped word.

Every keyword has a `key` (its folded form, which counts the written forms together) and the
form to show (`display_forms`: the most frequent written form, diacritics first).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.triage.textnorm import Token, fold, normalize

DATA_DIR = Path(__file__).with_name("data")
#: Typed without diacritics, these stopwords are also content words ("ong": "ông" Mr or
#: "ống" pipe; "ho": "họ" they or "hồ" lake), so their folded forms are kept.
AMBIGUOUS_FOLDED = frozenset({"ong", "ho", "ban", "nam", "ngay", "gio", "ba"})
#: Characters between two words that end a phrase.
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”…/|\n•–—-]")
#: The longest compound looked for, in syllables.
MAX_COMPOUND = 4
#: A pair of words is a collocation when it is written side by side in at least this many
#: posts and its pointwise mutual information is at least this (natural log).
COLLOCATION_MIN_COUNT = 3
COLLOCATION_MIN_PMI = 2.5
#: Place levels whose official name is shown; the level word is dropped unless the name is
#: a number ("Quận 7" stays, "Thành phố Thủ Đức" is "Thủ Đức").
_LEVEL_WORDS = ("Thành phố", "Thị xã", "Thị trấn", "Đặc khu", "Phường", "Quận", "Huyện", "Xã")
_VIETNAMESE_SYLLABLE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)


def _read_list(name: str) -> list[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [" ".join(line.lower().split()) for line in lines if line.strip() and line[0] != "#"]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stopwords as written (lower case, with diacritics)."""
    return frozenset(_read_list("stopwords_vi.txt"))


@lru_cache(maxsize=1)
def folded_stopwords() -> frozenset[str]:
    """The stopwords typed without diacritics, less the ambiguous ones."""
    return frozenset(fold(word) for word in stopwords()) - AMBIGUOUS_FOLDED


@lru_cache(maxsize=1)
def single_words() -> frozenset[str]:
    """The one-syllable words that are keywords on their own (with their diacritics: typed
    without them, "mua" is "mưa" rain, "mua" buy or "múa" dance)."""
    return frozenset(_read_list("single_words_vi.txt"))


@lru_cache(maxsize=1)
def known_phrases() -> tuple[str, ...]:
    return tuple(_read_list("phrases_vi.txt"))


def has_diacritics(text: str) -> bool:
    """True when some letter of `text` carries a Vietnamese diacritic (or is "đ")."""
    return fold(text) != text.lower()


def is_stopword(surface: str) -> bool:
    """Whether a word (lower case, as written) is a stopword."""
    if surface in stopwords():
        return True
    return not has_diacritics(surface) and surface in folded_stopwords()


@dataclass(frozen=True, slots=True)
class Word:
    """One keyword occurrence: `key` (folded), `form` (as written, or a place's name)."""

    key: str
    form: str
    place: bool = False
    #: A lone syllable ("máy", "chỗ"): it may pair up with its neighbour, but is no keyword.
    lone: bool = False


class Lexicon:
    """Compounds of 2 to MAX_COMPOUND syllables, matched with or without diacritics."""

    def __init__(self, phrases: Iterable[str] = ()):
        #: folded syllables -> the written forms (tuples of lower-case syllables)
        self.entries: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
        self.first: set[str] = set()
        for phrase in phrases:
            self.add(phrase)

    def add(self, phrase: str) -> None:
        syllables = tuple(phrase.lower().split())
        if not 2 <= len(syllables) <= MAX_COMPOUND:
            return
        self.entries[tuple(fold(s) for s in syllables)].add(syllables)
        self.first.add(fold(syllables[0]))

    def __contains__(self, phrase: str) -> bool:
        return tuple(fold(phrase).split()) in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, tokens: Sequence[Token], start: int, stop: int) -> int:
        """The length of the longest compound at tokens[start] within tokens[:stop] (0: none)."""
        if tokens[start].folded not in self.first:
            return 0
        for size in range(min(MAX_COMPOUND, stop - start), 1, -1):
            run = tokens[start : start + size]
            forms = self.entries.get(tuple(t.folded for t in run))
            if forms and any(_written_as(run, form) for form in forms):
                return size
        return 0


def _written_as(run: Sequence[Token], form: tuple[str, ...]) -> bool:
    """Each syllable is the form's, or the form's typed without diacritics."""
    return all(t.surface == s or t.surface == t.folded for t, s in zip(run, form, strict=True))


def _place_name(match) -> str:
    """What a place is called on the page: the official name of a ward or former district
    without its level word, or the street or landmark as written."""
    if match.level == "ward" and len(match.wards) == 1:
        name = match.wards[0][1]
    elif match.level == "district" and match.former_district:
        name = match.former_district[0]
    else:
        return " ".join(match.surface.split())
    for level in _LEVEL_WORDS:
        if name.startswith(level + " ") and not name[len(level) + 1 :].isdigit():
            return name[len(level) + 1 :]
    return name


def _valid_syllable(syllable: str) -> bool:
    folded = fold(syllable)
    return folded.isalpha() and bool(_VIETNAMESE_SYLLABLE.fullmatch(folded))


def _compound(syllables: list[str]) -> bool:
    """Whether underthesea's word is worth a lexicon entry: Vietnamese syllables, and no
    stopword at either end ("tiếp nha", "kinh khủng thật" are a word and a particle) unless
    the whole is a stopword ("khu vực", which then stays out as one)."""
    if len(syllables) < 2 or not all(map(_valid_syllable, syllables)):
        return False
    if is_stopword(" ".join(syllables)):
        return True
    return not (is_stopword(syllables[0]) or is_stopword(syllables[-1]))


def learn_compounds(texts: Iterable[str], limit: int = 2000) -> set[str]:
    """The compounds (lower case, with diacritics) that underthesea's `word_tokenize` reads in
    the first `limit` texts typed with diacritics. Typed without them, a text gives nothing:
    the segmenter was trained on written Vietnamese and glues random syllables there."""
    from underthesea import word_tokenize  # loads its bundled CRF model once; no download

    found: set[str] = set()
    read = 0
    for text in texts:
        if read >= limit:
            break
        if not text or not has_diacritics(text):
            continue
        read += 1
        for word in word_tokenize(normalize(text[:MAX_TEXT_CHARS]).text):
            if " " not in word:
                continue
            syllables = word.lower().split()
            if _compound(syllables):
                found.add(" ".join(syllables))
    return found


#: Characters read per post: the start of a long article says what it is about.
MAX_TEXT_CHARS = 1200


class Segmenter:
    """Posts to keywords with one lexicon and the gazetteer."""

    def __init__(self, lexicon: Lexicon | None = None, gazetteer=None):
        if gazetteer is None:
            from app.triage.places.gazetteer import get_gazetteer

            gazetteer = get_gazetteer()
        self.lexicon = lexicon if lexicon is not None else Lexicon(known_phrases())
        self.gazetteer = gazetteer

    def words(self, text: str | None) -> list[Word | None]:
        """The keywords of a text in reading order; None where a phrase must not continue
        (punctuation, a stopword, a number)."""
        if not text:
            return []
        norm = normalize(text[:MAX_TEXT_CHARS])
        tokens = norm.tokens
        if not tokens:
            return []
        places: dict[int, tuple[int, Word]] = {}  # first token -> (end token, word)
        for match in self.gazetteer.find_all(norm):
            start, end = match.span
            inside = [i for i, t in enumerate(tokens) if t.start >= start and t.end <= end]
            if inside:
                name = _place_name(match)
                places[inside[0]] = (inside[-1] + 1, Word(fold(name), name, place=True))
        result: list[Word | None] = []
        i = 0
        while i < len(tokens):
            if i and _BREAK.search(norm.text, tokens[i - 1].end, tokens[i].start):
                result.append(None)
            if i in places:
                i, word = places[i]
                result.append(word)
                continue
            stop = next((j for j in range(i + 1, len(tokens)) if j in places), len(tokens))
            stop = min(stop, self._chunk_end(norm.text, tokens, i))
            size = self.lexicon.match(tokens, i, stop)
            run = tokens[i : i + (size or 1)]
            i += len(run)
            form = " ".join(t.surface for t in run)
            if _is_noise(form):
                result.append(None)
            else:
                result.append(Word(" ".join(t.folded for t in run), form, lone=_is_lone(form)))
        return result

    @staticmethod
    def _chunk_end(text: str, tokens: Sequence[Token], start: int) -> int:
        for j in range(start + 1, min(len(tokens), start + MAX_COMPOUND)):
            if _BREAK.search(text, tokens[j - 1].end, tokens[j].start):
                return j
        return len(tokens)


def _is_noise(form: str) -> bool:
    """Stopwords, numbers and stray letters are no word at all."""
    if is_stopword(form) or any(ch.isdigit() for ch in form):
        return True
    return len(form) < 2 and not has_diacritics(form)


def _is_lone(form: str) -> bool:
    """A syllable alone is no keyword, unless single_words_vi.txt lists it or it is a word
    of another language (a brand, an acronym of three letters or more)."""
    if " " in form or form in single_words():
        return False
    return len(form) < 3 or _valid_syllable(form)


def keywords(sequence: Iterable[Word | None]) -> set[str]:
    """The keys of a text's keywords, each once."""
    return {word.key for word in sequence if word is not None and not word.lone}


def collocations(
    sequences: Iterable[Sequence[Word | None]],
    *,
    min_count: int = COLLOCATION_MIN_COUNT,
    min_pmi: float = COLLOCATION_MIN_PMI,
) -> set[tuple[str, str]]:
    """Pairs of word keys written side by side in at least `min_count` texts whose pointwise
    mutual information log(P(a b) / (P(a) P(b))) is at least `min_pmi`: "ngập" + "nước" when
    they keep coming together. Only two single syllables pair up; places stay out (they are
    whole already)."""
    singles: Counter = Counter()
    pairs: Counter = Counter()
    total = 0
    for sequence in sequences:
        seen_pairs = set()
        for word in sequence:
            if word is not None:
                singles[word.key] += 1
                total += 1
        for first, second in zip(sequence, sequence[1:], strict=False):
            if first is None or second is None or first.place or second.place:
                continue
            if " " in first.key or " " in second.key:
                continue
            seen_pairs.add((first.key, second.key))
        pairs.update(seen_pairs)
    found = set()
    for (first, second), count in pairs.items():
        if count < min_count:
            continue
        pmi = math.log(count * total / (singles[first] * singles[second]))
        if pmi >= min_pmi:
            found.add((first, second))
    return found


def display_forms(sequences: Iterable[Sequence[Word | None]], keys: set[str]) -> dict[str, str]:
    """The form to show for each key: a place's name, else the most frequent written form,
    forms with diacritics first."""
    forms: dict[str, Counter] = defaultdict(Counter)
    for sequence in sequences:
        for word in sequence:
            if word is not None and not word.lone and word.key in keys:
                forms[word.key][word.form] += 1
    return {
        key: max(counter.items(), key=lambda item: (has_diacritics(item[0]), item[1]))[0]
        for key, counter in forms.items()
    }


def build_segmenter(texts: Sequence[str], *, learn_limit: int = 1000) -> Segmenter:
    """A segmenter whose lexicon is the known phrases and the compounds learned from `texts`."""
    lexicon = Lexicon(known_phrases())
    for phrase in learn_compounds(texts, learn_limit):
        lexicon.add(phrase)
    return Segmenter(lexicon)
