"""Evaluate a classifier on labelled posts: relevance, category (on relevant posts), sentiment.

Category is scored on the posts whose *gold* label is relevant, with the
category head's prediction, whatever the relevance head said: it measures the
category head alone. Relevance is scored as a binary task with "relevant" as
the positive class.
"""

import time

from app.triage.model.inference import Classifier
from app.triage.model.labels import CATEGORIES, RELEVANCE, SENTIMENTS, Example
from app.triage.model.metrics import binary_report, classification_report, format_report


def evaluate_examples(
    classifier: Classifier, examples: list[Example], batch_size: int = 32
) -> dict:
    """Predict every example and return JSON-able reports for the three heads.

    ``{"model_version", "examples", "seconds", "relevance": binary report,
    "category": report over gold-relevant posts, "sentiment": report}``.
    """
    started = time.perf_counter()
    predictions = classifier.predict([example.text for example in examples], batch_size=batch_size)
    seconds = time.perf_counter() - started
    relevant = [i for i, example in enumerate(examples) if example.relevant]
    return {
        "model_version": classifier.version,
        "examples": len(examples),
        "seconds": seconds,
        "relevance": binary_report(
            [example.relevant for example in examples],
            [prediction.relevant for prediction in predictions],
            labels=RELEVANCE,
        ),
        "category": classification_report(
            [examples[i].category for i in relevant],
            [predictions[i].category for i in relevant],
            CATEGORIES,
        ),
        "sentiment": classification_report(
            [example.sentiment for example in examples],
            [prediction.sentiment for prediction in predictions],
            SENTIMENTS,
        ),
    }


def summary(report: dict) -> dict:
    """The three headline figures of an evaluation."""
    return {
        "relevance_f1": report["relevance"]["f1"],
        "category_macro_f1": report["category"]["macro_f1"],
        "sentiment_macro_f1": report["sentiment"]["macro_f1"],
    }


def format_evaluation(report: dict, source: str = "") -> str:
    """The human-readable text of `evaluate_examples`' result."""
    figures = summary(report)
    header = [
        f"model {report['model_version']} on {source or 'the given posts'}: "
        f"{report['examples']} posts in {report['seconds']:.1f}s",
        f"relevance F1 {figures['relevance_f1']:.3f} | category macro-F1 "
        f"{figures['category_macro_f1']:.3f} | sentiment macro-F1 "
        f"{figures['sentiment_macro_f1']:.3f}",
        "",
    ]
    sections = [
        format_report(report["category"], "category (posts labelled relevant)"),
        format_report(report["relevance"], "relevance"),
        format_report(report["sentiment"], "sentiment"),
    ]
    return "\n".join(header) + "\n\n".join(sections)
