"""`PlaceMatch`, the gazetteer's answer, and the ways of making one from a mention.

Pure Python, no Flask.
"""

from dataclasses import dataclass, replace

from app.triage.places.mentions import Mention
from app.units.hcmc import CurrentUnit, FormerDistrict

_ASCII_BARE_FACTOR = 0.8  # a bare name typed without diacritics
_LOWERCASE_BARE_FACTOR = 0.75  # a bare name not capitalised in a post that capitalises


@dataclass(frozen=True)
class PlaceMatch:
    """Where a post is: current unit(s) and, if named, the former district."""

    wards: tuple[tuple[str, str], ...]  # (code, name) of current units
    former_district: tuple[str, str] | None  # (name, code), when the place is in one
    confidence: float  # 0..1
    reason: str  # 'matched "Q7" as Quận 7, ...'
    #: "ward": one current unit; "district": every unit a former district became;
    #: "street" / "landmark": the units of the former district(s) it lies in (one unit
    #: for a landmark whose ward is known); "province": every unit of former Bình
    #: Dương or Bà Rịa - Vũng Tàu
    level: str
    surface: str  # the words as written in the post
    span: tuple[int, int] = (0, 0)  # offsets of `surface` in the cleaned text
    #: Every former district it lies in, as (name, code): `former_district` alone when
    #: there is one, several for a street or landmark shared by districts.
    former_districts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.former_districts and self.former_district:
            object.__setattr__(self, "former_districts", (self.former_district,))

    @property
    def ward_codes(self) -> tuple[str, ...]:
        """The codes of `wards`."""
        return tuple(code for code, _ in self.wards)


def one_unit(match: PlaceMatch) -> bool:
    """A match on one current unit: a ward, or a landmark whose ward is known."""
    return match.level in ("ward", "landmark") and len(match.wards) == 1


def bare_doubts(mention: Mention, confidence: float, reason: str) -> tuple[float, str]:
    """Lower the confidence of a name written without its level word when it may be
    a common phrase: without diacritics ("di an": "đi ăn") or not capitalised."""
    if mention.surface.isascii():
        confidence *= _ASCII_BARE_FACTOR
        reason += " (typed without diacritics)"
    if mention.lowercase:
        confidence *= _LOWERCASE_BARE_FACTOR
        reason += " (not capitalised)"
    return round(confidence, 3), reason


def unit_match(
    unit: CurrentUnit,
    former: tuple[str, str] | None,
    confidence: float,
    reason: str,
    mention: Mention,
) -> PlaceMatch:
    return PlaceMatch(
        ((unit.code, unit.name),), former, confidence, reason, "ward", mention.surface, mention.span
    )


def spanning(match: PlaceMatch, first: Mention, second: Mention, text: str) -> PlaceMatch:
    start, end = first.span[0], second.span[1]
    surface = text[start:end]
    reason = match.reason.replace(f'"{match.surface}"', f'"{surface}"', 1)
    return replace(match, surface=surface, span=(start, end), reason=reason)


def spread_match(
    wards: tuple[tuple[str, str], ...],
    districts: list[FormerDistrict],
    confidence: float,
    reason: str,
    level: str,
    mention: Mention,
) -> PlaceMatch:
    refs = tuple((d.name, d.code) for d in districts)
    return PlaceMatch(
        wards,
        refs[0] if len(refs) == 1 else None,
        round(confidence, 3),
        reason,
        level,
        mention.surface,
        mention.span,
        refs,
    )
