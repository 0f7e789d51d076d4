"""Response-template variables: `{{ code }}`, `{{ ward }}`, `{{ due }}`, filled per case.

Admins write the templates, so the text is never evaluated: a regular expression replaces the
known placeholders with plain strings, and anything else (an unknown `{{ x }}`, `{{ 7*7 }}`)
stays as written.
"""

import re
from collections.abc import Mapping
from typing import NamedTuple

from app.core import formatting

#: `{{ name }}`, spaces optional; only a bare word is a placeholder.
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
VARIABLES = ("code", "ward", "due")


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known `{{ name }}` replaced by `values[name]`; the rest left as is."""
    return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), text)


def respond_due(case):
    """When the public response is due: the current cycle's respond clock, else None."""
    clocks = [c for c in case.sla_clocks if c.metric == "respond" and c.cycle == case.cycle]
    return clocks[-1].due_at if clocks else None


def case_values(case, locale: str = "vi") -> dict[str, str]:
    """The variables for `case`, in the user's language (dates via app.core.formatting)."""
    return {
        "code": case.code or "",
        "ward": case.ward.display_name(locale) if case.ward else formatting.EMPTY,
        "due": formatting.date_local(respond_due(case)),
    }


class Filled(NamedTuple):
    """A template as the case page offers it: its title and its text filled for one case."""

    title: str
    body: str


def filled(templates, case, locale: str = "vi") -> list[Filled]:
    """The templates' texts filled with `case`'s values (the stored templates stay as written)."""
    values = case_values(case, locale)
    return [Filled(template.title, fill(template.body, values)) for template in templates]
