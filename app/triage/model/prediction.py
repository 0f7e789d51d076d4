"""What a classifier says about one text (`Prediction`), and what a classifier is.

Both the transformer (`inference`) and the TF-IDF fallback (`fallback`) build their
predictions here, from their heads' class probabilities (`make_prediction`), so
neither imports the other for it. No torch here.
"""

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

DEFAULT_BATCH_SIZE = 32


@dataclass
class Prediction:
    """What the classifier says about one text.

    ``category`` is the category head's best guess even when the post is not
    relevant (the review queue shows it); use ``relevant`` to decide.
    ``relevance_confidence`` is the probability of the ``relevant`` decision
    taken (so at least 0.5), ``relevance_probability`` the probability that the
    post is relevant. ``embedding`` is the L2-normalised sentence vector of the
    same forward pass (None for the fallback model).
    """

    relevant: bool
    relevance_confidence: float
    category: str
    category_confidence: float
    category_scores: dict[str, float]
    sentiment: str
    sentiment_confidence: float
    model_version: str
    embedding: np.ndarray | None = field(default=None, repr=False)
    relevance_probability: float = 0.0
    sentiment_scores: dict[str, float] = field(default_factory=dict)


class Classifier(Protocol):
    """What `inference.load_classifier` returns: a transformer or the fallback."""

    version: str
    kind: str

    def predict(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[Prediction]:
        """One `Prediction` per text, in input order."""
        ...


def make_prediction(
    relevance: np.ndarray,
    category: np.ndarray,
    sentiment: np.ndarray,
    labels: tuple[list[str], list[str]],
    version: str,
    embedding: np.ndarray | None = None,
) -> Prediction:
    """Build a `Prediction` from the three heads' class probabilities of one text.

    `relevance` is ``[p(not relevant), p(relevant)]``; `labels` holds the
    category and sentiment names in the order of their probabilities.
    """
    category_labels, sentiment_labels = labels
    p_relevant = float(relevance[1])
    best_category = int(np.argmax(category))
    best_sentiment = int(np.argmax(sentiment))
    return Prediction(
        relevant=p_relevant >= 0.5,
        relevance_confidence=max(p_relevant, 1.0 - p_relevant),
        relevance_probability=p_relevant,
        category=category_labels[best_category],
        category_confidence=float(category[best_category]),
        category_scores={name: float(p) for name, p in zip(category_labels, category, strict=True)},
        sentiment=sentiment_labels[best_sentiment],
        sentiment_confidence=float(sentiment[best_sentiment]),
        sentiment_scores={
            name: float(p) for name, p in zip(sentiment_labels, sentiment, strict=True)
        },
        model_version=version,
        embedding=embedding,
    )
