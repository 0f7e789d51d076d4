"""A small, deterministic classifier built in the test, for the pipeline's own logic.

Keywords decide relevance and category; the embedding is a hashed bag of the
folded words, so posts sharing most words are similar, as with a real encoder.
"""

import hashlib

import numpy as np

from app.core.text import fold
from app.triage.model.prediction import Prediction

KEYWORDS = {
    "ngap": "flooding",
    "nuoc": "flooding",
    "ket xe": "traffic",
    "rac": "environment",
    "lan chiem": "urban_order",
    "trom": "security",
    "den duong": "infrastructure",
    "o ga": "infrastructure",
    "benh vien": "health",
    "truong": "education",
    "ho so": "administrative",
}
DIMENSIONS = 256


def _embedding(text: str) -> np.ndarray:
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    for word in fold(text).split():
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIMENSIONS] += 1.0
    return vector / (np.linalg.norm(vector) or 1.0)


class KeywordClassifier:
    version = "test-keywords-1"
    kind = "test"

    def predict(self, texts, batch_size=32):
        predictions = []
        for text in texts:
            folded = fold(text)
            unsure = "?" in text
            category = next((c for k, c in KEYWORDS.items() if k in folded), None)
            confidence = 0.5 if unsure else 0.9
            # The runner-up is `other`, or the category of a second keyword when there is one.
            second = next(
                (c for k, c in KEYWORDS.items() if k in folded and c != category), "other"
            )
            sure = 0.6 if unsure else 0.95
            predictions.append(
                Prediction(
                    relevant=category is not None,
                    relevance_confidence=sure,
                    relevance_probability=sure if category is not None else 1 - sure,
                    category=category or "other",
                    category_confidence=confidence,
                    category_scores={category or "other": confidence, second: 1 - confidence},
                    sentiment="negative",
                    sentiment_confidence=0.8,
                    model_version=self.version,
                    embedding=_embedding(text),
                )
            )
        return predictions
