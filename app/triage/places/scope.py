"""The city's scope: whether a post is about Ho Chi Minh City at all.

A case is a problem in the city (since 1 July 2025 with the former Bình Dương and
Bà Rịa–Vũng Tàu). Each source has a scope (`app.collectors.models.SCOPES`): a
``local`` source's post with no place counts as in the city; a ``national`` one's
needs a place in the city. The pipeline applies this rule after the model, and
training leaves the posts it settles out of the relevance model's lessons
(`app.triage.model.fallback`). Pure Python, no Flask.
"""

from app.triage.places.gazetteer import find_outside, names_city_place

#: A place found with less confidence is shown but not used for routing.
PLACE_THRESHOLD = 0.7
NATIONAL_NO_PLACE_REASON = "national source and no place in the city"


def outside_reason(text: str, scope: str) -> str | None:
    """Why a post is not about the city although its words may be, or None.

    A post that names a place outside the city, and neither the city nor a ward,
    district or landmark of it found with confidence, is about that place (a
    street does not outweigh a named province: many have namesakes elsewhere).
    A post of a national source (`scope`) needs the city or a place in it found
    with confidence.
    """
    outside = find_outside(text)
    if outside is not None and not names_city_place(
        text, min_confidence=PLACE_THRESHOLD, streets=False
    ):
        return outside.reason
    if scope == "national" and not names_city_place(text, min_confidence=PLACE_THRESHOLD):
        return NATIONAL_NO_PLACE_REASON
    return None
