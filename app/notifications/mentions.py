"""Who a note mentions: `@` followed by the part of a colleague's email before the `@`.

For lan.nguyen@hcm.gov.vn, write `@lan.nguyen` (any letter case). A trailing full stop
or comma ends the mention, and an address such as a@b.vn inside the text is not one.
"""

import re

#: `@` not preceded by a letter, digit, dot or another `@`, then an email local part.
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)")


def mentioned_handles(text: str | None) -> set[str]:
    """The lower-cased local parts mentioned in `text`."""
    return {match.group(1).lower() for match in MENTION.finditer(text or "")}


def local_part(email: str) -> str:
    return email.rpartition("@")[0].lower()
