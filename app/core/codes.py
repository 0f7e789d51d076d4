"""Public tracking codes: random, easy to type and read aloud, with a check character.

"HCM-7K3M-Q9XW5": 8 random Crockford base-32 characters (40 bits, so codes
cannot be guessed or enumerated) and one check character that catches any
single mistyped character. Pure Python.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "HCM"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE_RE = re.compile(rf"^{PREFIX}([{ALPHABET}]{{8}})([{ALPHABET}])$")


def _check_symbol(body: str) -> str:
    # Odd weights are invertible mod 32, so any single mistyped character changes the check.
    total = sum((2 * position + 1) * ALPHABET.index(ch) for position, ch in enumerate(body))
    return ALPHABET[total % 32]


def new_code() -> str:
    """A fresh tracking code such as "HCM-7K3M-Q9XW5"."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{PREFIX}-{body[:4]}-{body[4:]}{_check_symbol(body)}"


def normalize_code(text: str) -> str | None:
    """The canonical code for what a citizen typed (any case, spaces, dashes,
    O for 0, I or L for 1), or None when it cannot be a valid code."""
    compact = re.sub(r"[\s\-.]", "", (text or "").upper())
    if not compact.startswith(PREFIX):
        compact = PREFIX + compact
    compact = PREFIX + compact[len(PREFIX) :].translate(_LOOKALIKES)
    match = _CODE_RE.match(compact)
    if not match or _check_symbol(match.group(1)) != match.group(2):
        return None
    body = match.group(1)
    return f"{PREFIX}-{body[:4]}-{body[4:]}{match.group(2)}"
