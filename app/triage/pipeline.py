"""The triage pipeline: relevance, category, place, priority, flags, then a case.

    text -> normalise -> classify (batched) -> gazetteer -> the city's scope
         -> signals -> low confidence? human review queue
         -> cluster: one more mention of an open case, "problem persists" on a
            recently finished one, or a new case routed by the rules.

Every decision carries its confidence and a reason a person can read. The same
`analyse()` serves POST /api/v1/triage (which stores nothing).
"""

from dataclasses import dataclass

from app.triage.places.gazetteer import resolve_place
from app.triage.places.scope import outside_reason
from app.triage.signals import assess

#: Below these the post waits for a person instead of being guessed. A trained model
#: carries its own, chosen on the dev split (`Thresholds`); these serve the others.
RELEVANCE_THRESHOLD = 0.65
CATEGORY_THRESHOLD = 0.55
LOW_CONFIDENCE_REASON = "low confidence: waits for a person"


@dataclass(frozen=True)
class Thresholds:
    """When a post waits for a person rather than being decided.

    A post whose probability of being relevant is in [`dismiss_below`,
    `accept_from`) waits, and so does a relevant post whose category probability
    is under `category`; below `dismiss_below` it is dismissed.
    """

    dismiss_below: float = 1 - RELEVANCE_THRESHOLD
    accept_from: float = RELEVANCE_THRESHOLD
    category: float = CATEGORY_THRESHOLD

    @classmethod
    def of(cls, classifier) -> "Thresholds":
        """The classifier's own thresholds (its config's ``thresholds``), else the defaults."""
        chosen = getattr(classifier, "thresholds", None) or {}
        return cls(**{k: float(v) for k, v in chosen.items() if k in cls.__dataclass_fields__})


@dataclass
class Analysis:
    """What triage decided about one text."""

    relevant: bool
    relevance_confidence: float
    category: str | None
    confidence: float
    priority: str | None
    sentiment: str | None
    place: dict | None
    flags: list[str]
    reasons: list[str]
    model_version: str
    needs_review: bool
    #: The L2-normalised sentence embedding of the model's forward pass (None for the fallback,
    #: and for a post the TF-IDF model alone dismissed).
    embedding: object = None
    #: The category head's probability for every category (for the runner-up guesses).
    category_scores: dict | None = None

    def as_json(self) -> dict:
        return {
            "relevant": self.relevant,
            "category": self.category,
            "confidence": round(self.confidence, 3),
            "relevance_confidence": round(self.relevance_confidence, 3),
            "priority": self.priority,
            "sentiment": self.sentiment,
            "place": self.place or {"wards": [], "former_district": None},
            "flags": self.flags,
            "reasons": self.reasons,
            "model_version": self.model_version,
            "needs_review": self.needs_review,
        }


def place_of(text: str) -> dict | None:
    """The gazetteer's answer as stored on a post: wards, former district, confidence, reason."""
    match = resolve_place(text)
    if match is None:
        return None
    return {
        "wards": [{"code": code, "name": name} for code, name in match.wards],
        "former_district": (
            {"name": match.former_district[0], "code": match.former_district[1]}
            if match.former_district
            else None
        ),
        "confidence": round(match.confidence, 3),
        "level": match.level,
        "reason": match.reason,
    }


def analyse(
    texts: list[str],
    *,
    urls: list[str | None] | None = None,
    place_texts=None,
    scopes: list[str] | None = None,
) -> list[Analysis]:
    """Triage texts without storing anything: one batched model call, then per-text rules.

    `scopes` gives each text's source scope ("local" or "national", see
    `app.collectors.models.SCOPES`); without it every text is local.
    """
    from app.triage.model.inference import load_classifier

    classifier = load_classifier()
    thresholds = Thresholds.of(classifier)
    predictions = classifier.predict(texts)
    results = []
    for index, (text, prediction) in enumerate(zip(texts, predictions, strict=True)):
        place_text = f"{text}\n{place_texts[index]}" if place_texts and place_texts[index] else text
        place = place_of(place_text)
        reasons = []
        p_relevant = prediction.relevance_probability
        relevant = p_relevant >= 0.5
        reasons.append(
            f"{'relevant' if relevant else 'not about the city'} ({prediction.relevance_confidence:.0%})"
        )
        elsewhere = outside_reason(place_text, scopes[index] if scopes else "local")
        if elsewhere and relevant:
            relevant, p_relevant = False, 0.0
            reasons.append(elsewhere)
        category = prediction.category if relevant else None
        signals = (
            assess(text, category, source_url=(urls or [None] * len(texts))[index])
            if relevant
            else None
        )
        if relevant:
            reasons.append(f"category {category} ({prediction.category_confidence:.0%})")
            reasons.extend(signals.reasons)
        if place:
            reasons.append(place["reason"])
        needs_review = thresholds.dismiss_below <= p_relevant < thresholds.accept_from or (
            relevant and prediction.category_confidence < thresholds.category
        )
        if needs_review:
            reasons.append(LOW_CONFIDENCE_REASON)
        results.append(
            Analysis(
                relevant=relevant,
                relevance_confidence=prediction.relevance_confidence,
                category=category,
                confidence=prediction.category_confidence
                if relevant
                else prediction.relevance_confidence,
                priority=signals.priority if signals else None,
                sentiment=prediction.sentiment,
                place=place,
                flags=signals.flags if signals else [],
                reasons=reasons,
                model_version=prediction.model_version,
                needs_review=needs_review,
                embedding=prediction.embedding,
                category_scores=prediction.category_scores if relevant else None,
            )
        )
    return results
