"""Masking personal data in text before it is shown publicly. Pure Python.

Finds Vietnamese phone numbers (0901234567, 090 123 4567, 090.123.4567,
+84 90 123 4567, 84901234567, landlines such as 0283 829 1234), e-mail
addresses, ID numbers (12-digit CCCD, 9-digit CMND, also in groups of three)
and social-media handles or profile links, and replaces each with a label.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class MaskLabels:
    """What each kind of personal data is replaced with (translated by the caller)."""

    phone: str = "[phone hidden]"
    email: str = "[email hidden]"
    id_number: str = "[ID number hidden]"
    handle: str = "[account hidden]"


_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
_PROFILE = re.compile(
    r"(?:https?://)?(?:www\.|m\.)?"
    r"(?:facebook\.com|fb\.com|fb\.me|zalo\.me|tiktok\.com|instagram\.com|twitter\.com|x\.com)"
    r"/[^\s,;]+",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_.]{2,}")
# A run of digits that may be split by spaces, dots, dashes or brackets, with an optional +.
_NUMBER_RUN = re.compile(r"(?<![\w+])(?:\(\+|\+)?\d[\d\s.\-()]{7,20}\d(?!\w)")
_SEPARATORS = re.compile(r"[\s.\-()]")


def _is_phone(digits: str, had_plus: bool) -> bool:
    if digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and (had_plus or len(digits) in (11, 12)):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return False
    return 9 <= len(national) <= 10 and not national.startswith("0")


def _is_id_number(run: str, digits: str) -> bool:
    if len(digits) not in (9, 12):
        return False
    # Contiguous, or in groups of three split by single spaces ("079 201 234 567").
    return run == digits or re.fullmatch(r"\d{3}(?: \d{3}){2,3}", run) is not None


def _mask_numbers(text: str, labels: MaskLabels) -> str:
    def replace(match: re.Match) -> str:
        run = match.group(0)
        digits = re.sub(r"\D", "", run)
        if _is_phone(digits, run.lstrip("(").startswith("+")):
            return labels.phone
        if _is_id_number(run, digits):
            return labels.id_number
        # A longer run may hold a number next to other digits: look at each part.
        parts = re.split(r"(\s+)", run)
        if len(parts) > 1:
            return "".join(_mask_numbers(part, labels) if part.strip() else part for part in parts)
        return run

    return _NUMBER_RUN.sub(replace, text)


def mask_personal_data(text: str | None, labels: MaskLabels = MaskLabels()) -> str:
    """`text` with phone numbers, e-mails, ID numbers and social handles replaced by labels."""
    if not text:
        return ""
    text = _EMAIL.sub(labels.email, text)
    text = _PROFILE.sub(labels.handle, text)
    text = _HANDLE.sub(labels.handle, text)
    return _mask_numbers(text, labels)


def contains_personal_data(text: str | None) -> bool:
    """Whether masking would change `text`."""
    return bool(text) and mask_personal_data(text) != text
