"""Triage reasons in the reader's language.

Triage writes its reasons (on posts, and in the bodies of a case's triage and
routing timeline events) as short English sentences, built in background jobs
that have no reader; the API returns them as they are. Pages show them through
`localise`, which recognises every form triage writes (pipeline, signals,
gazetteer, intake, routing) and says it in the user's language. Names, words
quoted from the post and rule descriptions stay as written; a part it does not
know is shown unchanged.
"""

import re
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import pgettext

from app.cases.labels import CATEGORY_LABELS, label
from app.core import formatting


def _category(code: str) -> str:
    return label(CATEGORY_LABELS, code)


def _similarity(groups: dict) -> dict:
    """The groups with the similarity as the reader writes it ("0,28" in Vietnamese)."""
    try:
        return {**groups, "similarity": formatting.number(float(groups["similarity"]), 2)}
    except ValueError:  # not a number after all ("1.2.3"): as written
        return groups


#: The kinds of landmark the gazetteer names (`data/landmarks.json`'s "type", in words).
_LANDMARK_TYPES: dict[str, Callable[[], str]] = {
    "bridge": lambda: pgettext("landmark", "bridge"),
    "tunnel": lambda: pgettext("landmark", "tunnel"),
    "market": lambda: pgettext("landmark", "market"),
    "airport": lambda: pgettext("landmark", "airport"),
    "bus station": lambda: pgettext("landmark", "bus station"),
    "station": lambda: pgettext("landmark", "station"),
    "port": lambda: pgettext("landmark", "port"),
    "roundabout": lambda: pgettext("landmark", "roundabout"),
    "intersection": lambda: pgettext("landmark", "intersection"),
    "walking street": lambda: pgettext("landmark", "walking street"),
    "building": lambda: pgettext("landmark", "building"),
    "area": lambda: pgettext("landmark", "area"),
    "industrial park": lambda: pgettext("landmark", "industrial park"),
    "park": lambda: pgettext("landmark", "park"),
    "monument": lambda: pgettext("landmark", "monument"),
    "hospital": lambda: pgettext("landmark", "hospital"),
    "beach": lambda: pgettext("landmark", "beach"),
}


def _landmark(g: dict) -> str:
    said = {
        **g,
        "type": _LANDMARK_TYPES[g["type"]]() if g["type"] in _LANDMARK_TYPES else g["type"],
    }
    if g.get("unit"):
        return _('landmark "%(name)s" (%(type)s) in %(districts)s, now %(unit)s', **said)
    return _('landmark "%(name)s" (%(type)s) in %(districts)s', **said)


Forms = list[tuple[re.Pattern, Callable[[dict], str]]]


def _compiled(forms: list[tuple[str, Callable[[dict], str]]]) -> Forms:
    return [(re.compile(pattern), render) for pattern, render in forms]


#: Whole parts (a reason, or one part of a "; "-joined reason), by pattern.
_PARTS: Forms = _compiled(
    [
        (r"relevant \((?P<pct>\d+%)\)", lambda g: _("relevant (%(pct)s)", **g)),
        (
            r"not about the city \((?P<pct>\d+%)\)",
            lambda g: _("not about the city (%(pct)s)", **g),
        ),
        (
            r"category (?P<code>[a-z_]+) \((?P<pct>\d+%)\)",
            lambda g: _(
                "category %(category)s (%(pct)s)", category=_category(g["code"]), pct=g["pct"]
            ),
        ),  # fmt: skip
        (r"low confidence: waits for a person", lambda g: _("low confidence: waits for a person")),
        # A citizen's direct report (app.triage.direct) and triage's suggestions on its case.
        (
            r"filed by a citizen as (?P<code>[a-z_]+)",
            lambda g: _("filed by a citizen as %(category)s", category=_category(g["code"])),
        ),
        (
            r"ward chosen by the citizen: (?P<name>.+)",
            lambda g: _("ward chosen by the citizen: %(name)s", **g),
        ),
        (
            r"suggests priority (?P<priority>P\d) \(the case has (?P<current>P\d)\)",
            lambda g: _("suggests priority %(priority)s (the case has %(current)s)", **g),
        ),
        (
            r"suggests category (?P<code>[a-z_]+) \((?P<pct>\d+%)\) instead of (?P<current>[a-z_]+)",
            lambda g: _(
                "suggests category %(category)s (%(pct)s) instead of %(current)s",
                category=_category(g["code"]),
                pct=g["pct"],
                current=_category(g["current"]),
            ),
        ),  # fmt: skip
        (
            r"possible duplicate of (?P<code>\S+) \(similarity (?P<similarity>[\d.]+)\)",
            lambda g: _(
                "possible duplicate of %(code)s (similarity %(similarity)s)", **_similarity(g)
            ),
        ),
        (r"no change suggested", lambda g: _("no change suggested")),
        (
            r"national source and no place in the city",
            lambda g: _("national source and no place in the city"),
        ),
        (
            r"unsure, but it repeats an open (?P<code>[a-z_]+) case "
            r"\(similarity (?P<similarity>[\d.]+), [a-z_]+ (?P<pct>\d+%)\): joined it",
            lambda g: _(
                "unsure, but it repeats an open case of %(category)s (similarity %(similarity)s, "
                "%(pct)s): joined it",
                category=_category(g["code"]),
                similarity=_similarity(g)["similarity"],
                pct=g["pct"],
            ),
        ),  # fmt: skip
        (
            r"danger to life or property: (?P<words>.+)",
            lambda g: _("danger to life or property: %(words)s", **g),
        ),
        (r"wide impact: (?P<words>.+)", lambda g: _("wide impact: %(words)s", **g)),
        (
            r"spreading fast: (?P<count>\d+) mentions in the last hour",
            lambda g: _("spreading fast: %(count)s mentions in the last hour", **g),
        ),
        (r"high engagement: (?P<count>\d+)", lambda g: _("high engagement: %(count)s", **g)),
        (r"low urgency: (?P<words>.+)", lambda g: _("low urgency: %(words)s", **g)),
        (
            r"alarming unverified claim: (?P<claim>.+) \((?P<marker>[^()]+)\)",
            lambda g: _("alarming unverified claim: %(claim)s (%(marker)s)", **g),
        ),
        (
            r"source is on the low-credibility list",
            lambda g: _("source is on the low-credibility list"),
        ),
        (
            r"contradicted by an official statement: (?P<statement>.+)",
            lambda g: _("contradicted by an official statement: %(statement)s", **g),
        ),
        (
            r"new mention from (?P<source>\S+) \(similarity (?P<similarity>[\d.]+)\)",
            lambda g: _(
                "new mention from %(source)s (similarity %(similarity)s)", **_similarity(g)
            ),
        ),
        (
            r"rule #(?P<position>\d+): (?P<description>.*)",
            lambda g: _("rule #%(position)s: %(description)s", **g),
        ),
        # The gazetteer's, after `_NOTES` have been said in the user's language.
        (
            r'street "(?P<name>[^"]+)" lies in (?P<district>[^()]+?)(?P<rest>(?: \([^()]*\))*)',
            lambda g: (
                _('street "%(name)s" lies in %(district)s', name=g["name"], district=g["district"])
                + g["rest"]
            ),
        ),
        (
            r'street "(?P<name>[^"]+)" is in several former districts: '
            r"(?P<districts>[^()]+?)(?P<rest>(?: \([^()]*\))*)",
            lambda g: (
                _(
                    'street "%(name)s" is in several former districts: %(districts)s',
                    name=g["name"],
                    districts=g["districts"],
                )
                + g["rest"]
            ),
        ),
        (
            r'landmark "(?P<name>[^"]+)" \((?P<type>[a-z ]+)\) in (?P<districts>.+?)'
            r"(?:, now (?P<unit>.+))?",
            _landmark,
        ),
        (
            r'matched "(?P<surface>[^"]+)" as former (?P<name>.+?), part of the city since 2025, '
            r"now in (?P<count>\d+) current units(?P<rest>.*)",
            lambda g: (
                _(
                    'matched "%(surface)s" as former %(name)s, part of the city since 2025, now in '
                    "%(count)s current units",
                    surface=g["surface"],
                    name=g["name"],
                    count=g["count"],
                )
                + g["rest"]
            ),
        ),
        (
            r"about (?P<name>.+), outside the city",
            lambda g: _("about %(name)s, outside the city", **g),
        ),
        (
            r"about (?P<name>.+), outside Vietnam",
            lambda g: _("about %(name)s, outside Vietnam", **g),
        ),
        (
            r'matched "(?P<surface>[^"]+)" as former (?P<name>.+?), (?P<district>[^,]+), '
            r"now (?P<unit>.+)",
            lambda g: _(
                'matched "%(surface)s" as former %(name)s, %(district)s, now %(unit)s', **g
            ),
        ),
        (
            r'matched "(?P<surface>[^"]+)" as (?P<name>.+), a former district now in '
            r"(?P<count>\d+) current units(?P<rest>.*)",
            lambda g: (
                _(
                    'matched "%(surface)s" as %(name)s, a former district now in %(count)s '
                    "current units",
                    surface=g["surface"],
                    name=g["name"],
                    count=g["count"],
                )
                + g["rest"]
            ),
        ),  # fmt: skip
        (
            r'matched "(?P<surface>[^"]+)" as (?P<unit>.+), in former (?P<district>.+)',
            lambda g: _('matched "%(surface)s" as %(unit)s, in former %(district)s', **g),
        ),
        (
            r'matched "(?P<surface>[^"]+)" as (?P<unit>.+)',
            lambda g: _('matched "%(surface)s" as %(unit)s', **g),
        ),
        (r"(?P<district>.+) implied", lambda g: _("%(district)s implied", **g)),
        (
            r'consistent with "(?P<surface>[^"]+)"',
            lambda g: _('consistent with "%(surface)s"', **g),
        ),
        (
            r"the post also names (?P<names>.+)",
            lambda g: _("the post also names %(names)s", **g),
        ),
    ]
)

#: Notes in parentheses inside a gazetteer reason, said first (names may carry them).
_NOTES: Forms = _compiled(
    [
        (r"\(typed without diacritics\)", lambda g: _("(typed without diacritics)")),
        (r"\(not capitalised\)", lambda g: _("(not capitalised)")),
        (
            r'\(name without "phường"/"xã"\)',
            lambda g: _('(name without "phường"/"xã")'),
        ),
        (
            r"\(now part of (?P<name>[^()]+)\)",
            lambda g: _("(now part of %(name)s)", **g),
        ),
        (
            r"\((?P<name>[^()]+) is an older name\)",
            lambda g: _("(%(name)s is an older name)", **g),
        ),
        (
            r"\(or (?P<names>[^()]+): same letters\)",
            lambda g: _("(or %(names)s: same letters)", **g),
        ),
        (
            r"\(split in 2025, mostly into (?P<unit>[^;()]+); also (?P<others>[^()]+)\)",
            lambda g: _("(split in 2025, mostly into %(unit)s; also %(others)s)", **g),
        ),
    ]
)


def split_parts(text: str) -> list[str]:
    """`text` cut at each "; " outside parentheses (the way triage joins its reasons)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith("; ", index):
            parts.append(text[start:index])
            start = index + 2
    parts.append(text[start:])
    return parts


def _part(text: str) -> str:
    for pattern, render in _NOTES:
        text = pattern.sub(lambda m, render=render: render(m.groupdict()), text)
    for pattern, render in _PARTS:
        match = pattern.fullmatch(text)
        if match:
            return render(match.groupdict())
    return text


def localise(reason: str | None) -> str:
    """A stored triage reason (or "; "-joined reasons) in the user's language."""
    if not reason:
        return reason or ""
    return "; ".join(_part(part) for part in split_parts(reason))
