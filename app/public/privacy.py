"""Masking personal data in text before it is shown publicly. Pure Python.

Finds Vietnamese phone numbers (0901234567, 090 123 4567, 090/123/4567,
+84 90 123 4567, 84901234567, (+84) 901.234.567, landlines such as
0283 829 1234), e-mail addresses (also "a @ b.vn", "a[at]b.vn"), ID numbers
(12-digit CCCD, 9-digit CMND, with any separator) and social-media handles or
profile links, and replaces each with a label.

Detection runs on a normalised copy of the text: each character is NFKC-folded
(full-width "０９０" becomes "090", "＠" becomes "@"), other Unicode decimal digits
become ASCII digits and invisible format characters (zero-width spaces, soft
hyphens) are dropped. Only the spans found are replaced in the original text;
everything else is shown as it was written.

A number is a run of digit groups joined by separators (spaces, . , - / _ and
brackets, in any mix). Within a run the longest stretch of groups, leftmost
first, that reads as a phone number or an ID number is masked. What is not
masked: dates (07/12/2026), times (10:30), decimals (10.776912), money written in groups of three
(1.500.000 đồng, 150 000 000) unless an ID keyword (CCCD, CMND, ...) stands
just before it, lists of years, short numbers (số 12, ward codes) and tracking
codes (HCM-7K3M-Q9XW5).
"""

import re
import unicodedata
from dataclasses import dataclass

from app.core.codes import normalize_code


@dataclass(frozen=True)
class MaskLabels:
    """What each kind of personal data is replaced with (translated by the caller)."""

    phone: str = "[phone hidden]"
    email: str = "[email hidden]"
    id_number: str = "[ID number hidden]"
    handle: str = "[account hidden]"


# Placeholders in the working copy: one for what is already masked, one for what must stay.
_TAKEN = "\x00"
_KEEP = "\x01"

_AT = r"(?:@| @ |\s?[\[({]\s?at\s?[\])}]\s?)"
_DOT = r"(?:\.|\s?[\[({]\s?dot\s?[\])}]\s?)"
_EMAIL = re.compile(
    rf"(?<![\w.+\-])[\w.+\-]*\w{_AT}[\w\-]+(?:{_DOT}[\w\-]+)*{_DOT}[^\W\d_]{{2,}}(?![\w\-])",
    re.IGNORECASE,
)
_PROFILE = re.compile(
    r"(?:https?://)?(?:www\.|m\.)?"
    r"(?:facebook\.com|fb\.com|fb\.me|zalo\.me|tiktok\.com|instagram\.com|twitter\.com|x\.com)"
    r"/[^\s,;]+",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_.]{2,}")

# Left alone, and never joined with the digits around them.
_TRACKING_CODE = re.compile(r"HCM[\s\-.]?[0-9A-Z]{4}[\s\-.]?[0-9A-Z]{5}(?![0-9A-Za-z])", re.I)
_DATE = re.compile(
    r"(?<![0-9])(?:0?[1-9]|[12][0-9]|3[01])([/.\-])(?:0?[1-9]|1[0-2])\1(?:19|20)[0-9]{2}(?![0-9])"
)
# A decimal fraction such as a coordinate (10.776912, 106.700912); not "090.1234567".
_DECIMAL = re.compile(r"(?<![0-9.,])(?:[1-9][0-9]{0,2}|0)[.,][0-9]{4,8}(?![0-9]|[.,][0-9])")
_TIME = re.compile(r"(?<![0-9])(?:[01]?[0-9]|2[0-3])\s?[:hH]\s?[0-5][0-9](?![0-9])")

_SEPARATOR_CHARS = r"\s.,\-/_()\[\]\u2010-\u2015\u2212·"
# A run: digit groups split by short separators, with an optional + (or "(+") before it.
_RUN = re.compile(rf"(\(?\+\s?)?[0-9]+(?:[{_SEPARATOR_CHARS}]{{1,3}}[0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
# Words that say the number after them is a phone or ID number, even when it looks like money.
_KEYWORD_BEFORE = re.compile(
    r"(?:cccd|cmnd|cmt|căn cước|chứng minh|định danh|hộ chiếu|passport|\bid|"
    r"sđt|sdt|đt|điện thoại|phone|tel|hotline|zalo|gọi|liên hệ)(?:\W{1,3}(?:số|là))?\W{0,4}$",
    re.IGNORECASE,
)
_MONEY_SEPARATORS = frozenset({".", ",", " "})
#: Most digits a phone number can have (0084 + 10).
_MAX_DIGITS = 14


def _normalise(text: str) -> tuple[str, list[int]]:
    """The NFKC-folded working copy, and for each of its characters the original index."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":
            continue
        for folded in unicodedata.normalize("NFKC", char):
            if folded.isdecimal() and not folded.isascii():
                folded = str(unicodedata.decimal(folded))
            chars.append(folded)
            origin.append(index)
    return "".join(chars), origin


def _is_phone(digits: str, had_plus: bool) -> bool:
    if digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and (had_plus or len(digits) in (11, 12)):
        national = digits[2:]
        if had_plus and national.startswith("0"):  # "+84 0901 234 567"
            national = national[1:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return False
    return 9 <= len(national) <= 10 and not national.startswith("0")


def _is_id_number(digits: str, groups: list[str]) -> bool:
    if len(digits) not in (9, 12) or digits.startswith("00") and len(digits) == 9:
        return False
    if set(digits) == {"0"}:
        return False
    # Groups of three or more ("079 201 234 567"), or digits spaced out ("07 92 01 ..."),
    # not a short number next to a long one ("số 12, 0901234567").
    if not (all(len(g) >= 3 for g in groups) or all(len(g) <= 2 for g in groups)):
        return False
    # A list of years ("2024, 2025, 2026") is not an ID number.
    return not (len(groups) > 1 and all(len(g) == 4 and 1900 <= int(g) <= 2100 for g in groups))


def _is_money(groups: list[str], separators: list[str]) -> bool:
    """Groups of three after a first group of one to three digits, with one separator: 1.500.000."""
    if len(groups) < 2 or groups[0].startswith("0") or len(groups[0]) > 3:
        return False
    if any(len(group) != 3 for group in groups[1:]):
        return False
    return len(set(separators)) == 1 and separators[0] in _MONEY_SEPARATORS


def _kind(work: str, start: int, groups: list[str], separators: list[str], had_plus: bool):
    """The kind of the groups of one window of a run: "phone", "id_number" or None."""
    digits = "".join(groups)
    if (had_plus or digits.startswith("0")) and _is_phone(digits, had_plus):
        return "phone"
    keyword = _KEYWORD_BEFORE.search(work, max(0, start - 24), start) is not None
    if _is_money(groups, separators) and not keyword:
        return None
    if _is_phone(digits, had_plus):
        return "phone"
    if _is_id_number(digits, groups):
        return "id_number"
    return None


def _number_spans(work: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the phone and ID numbers in the working copy."""
    spans = []
    for run in _RUN.finditer(work):
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _GROUP.finditer(run[0])]
        first = 0
        while first < len(groups):
            found = None
            last, digits = first, 0
            while last < len(groups) and digits + groups[last][1] - groups[last][0] <= _MAX_DIGITS:
                digits += groups[last][1] - groups[last][0]
                last += 1
            # Longest window first: groups[first:end].
            for end in range(last, first, -1):
                window = groups[first:end]
                texts = [work[a:b] for a, b in window]
                separators = [work[window[k][1] : window[k + 1][0]] for k in range(len(window) - 1)]
                had_plus = first == 0 and run.group(1) is not None
                kind = _kind(work, window[0][0], texts, separators, had_plus)
                if kind:
                    start = run.start() if had_plus else window[0][0]
                    if start and work[start - 1] == "(" and any(")" in s for s in separators):
                        start -= 1  # "(028) 3829 1234": the bracket goes with the number
                    found = (start, window[-1][1], kind, end)
                    break
            if found:
                spans.append(found[:3])
                first = found[3]
            else:
                first += 1
    return spans


def _blank(work: str, matches: list[re.Match], placeholder: str) -> str:
    """The working copy with the matched spans overwritten (same length, so indexes hold)."""
    pieces, position = [], 0
    for match in matches:
        pieces += [work[position : match.start()], placeholder * (match.end() - match.start())]
        position = match.end()
    return "".join(pieces) + work[position:]


def mask_personal_data(text: str | None, labels: MaskLabels = MaskLabels()) -> str:
    """`text` with phone numbers, e-mails, ID numbers and social handles replaced by labels."""
    if not text:
        return ""
    work, origin = _normalise(text)
    spans: list[tuple[int, int, str]] = []
    for pattern, kind in ((_EMAIL, "email"), (_PROFILE, "handle"), (_HANDLE, "handle")):
        matches = [m for m in pattern.finditer(work) if _TAKEN not in m.group(0)]
        spans += [(m.start(), m.end(), kind) for m in matches]
        work = _blank(work, matches, _TAKEN)
    kept = [m for m in _TRACKING_CODE.finditer(work) if normalize_code(m.group(0))]
    work = _blank(work, kept, _KEEP)
    for pattern in (_DATE, _TIME, _DECIMAL):
        work = _blank(work, list(pattern.finditer(work)), _KEEP)
    spans.extend(_number_spans(work))
    if not spans:
        return text
    pieces, position = [], 0
    for start, end, kind in sorted(spans):
        original_start, original_end = origin[start], origin[end - 1] + 1
        pieces.append(text[position:original_start])
        pieces.append(getattr(labels, kind))
        position = original_end
    pieces.append(text[position:])
    return "".join(pieces)


def contains_personal_data(text: str | None) -> bool:
    """Whether masking would change `text`."""
    return bool(text) and mask_personal_data(text) != text
