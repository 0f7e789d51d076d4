"""Classification metrics, written out (numpy only) so they can be checked by hand.

For each class c of a confusion matrix M (rows = true, columns = predicted):
precision = M[c,c] / column sum, recall = M[c,c] / row sum, F1 their harmonic
mean; a ratio with a zero denominator is 0 (scikit-learn's
``zero_division=0``). Macro averages weigh every class with support or
predictions equally; classes absent from both the truth and the predictions
are left out of the macro average, so a small evaluation file that lacks a
class is not penalised for it.
"""

from collections.abc import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> np.ndarray:
    """Counts M[i, j] of items whose true label is labels[i] and predicted label labels[j]."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    index = {label: position for position, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for truth, guess in zip(y_true, y_pred, strict=True):
        if truth not in index or guess not in index:
            raise ValueError(f"label {truth if truth not in index else guess!r} not in {labels}")
        matrix[index[truth], index[guess]] += 1
    return matrix


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros(numerator.shape, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def precision_recall_f1(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall and F1 from a confusion matrix (0 where undefined)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    true_positive = np.diag(matrix)
    precision = _ratio(true_positive, matrix.sum(axis=0))
    recall = _ratio(true_positive, matrix.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    return precision, recall, f1


def classification_report(y_true: Sequence, y_pred: Sequence, labels: Sequence[str]) -> dict:
    """Per-class precision/recall/F1/support, macro averages, accuracy and the confusion matrix.

    The result is plain JSON-able data: ``{"labels", "per_class": {label: {...}},
    "macro_precision", "macro_recall", "macro_f1", "accuracy", "support",
    "confusion_matrix"}``.
    """
    labels = list(labels)
    matrix = confusion_matrix(y_true, y_pred, labels)
    precision, recall, f1 = precision_recall_f1(matrix)
    support = matrix.sum(axis=1)
    present = (support + matrix.sum(axis=0)) > 0
    total = int(matrix.sum())

    def macro(values: np.ndarray) -> float:
        return float(values[present].mean()) if present.any() else 0.0

    return {
        "labels": labels,
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "macro_precision": macro(precision),
        "macro_recall": macro(recall),
        "macro_f1": macro(f1),
        "accuracy": float(np.trace(matrix) / total) if total else 0.0,
        "support": total,
        "confusion_matrix": matrix.tolist(),
    }


def binary_report(
    y_true: Sequence[bool],
    y_pred: Sequence[bool],
    labels: tuple[str, str] = ("negative", "positive"),
) -> dict:
    """`classification_report` over two classes plus ``precision``, ``recall`` and ``f1``
    of the positive class (``labels[1]``, i.e. True)."""
    names = [labels[int(bool(value))] for value in y_true]
    guesses = [labels[int(bool(value))] for value in y_pred]
    report = classification_report(names, guesses, labels)
    positive = report["per_class"][labels[1]]
    report.update(precision=positive["precision"], recall=positive["recall"], f1=positive["f1"])
    return report


def format_report(report: dict, title: str) -> str:
    """A fixed-width text table of a report: per-class rows, averages, confusion matrix."""
    labels = report["labels"]
    width = max(12, *(len(label) for label in labels))
    lines = [
        f"== {title} ==",
        f"{'class':<{width}} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}",
    ]
    for label in labels:
        row = report["per_class"][label]
        lines.append(
            f"{label:<{width}} {row['precision']:9.3f} {row['recall']:9.3f} {row['f1']:9.3f} "
            f"{row['support']:8d}"
        )
    lines.append(
        f"{'macro avg':<{width}} {report['macro_precision']:9.3f} {report['macro_recall']:9.3f} "
        f"{report['macro_f1']:9.3f} {report['support']:8d}"
    )
    lines.append(f"accuracy {report['accuracy']:.3f}   macro-F1 {report['macro_f1']:.3f}")
    if "f1" in report:
        lines.append(
            f"{labels[1]}: precision {report['precision']:.3f} recall {report['recall']:.3f} "
            f"F1 {report['f1']:.3f}"
        )
    short = [label[:6] for label in labels]
    cell = max(6, *(len(str(value)) for row in report["confusion_matrix"] for value in row))
    lines.append("confusion matrix (rows: true, columns: predicted)")
    lines.append(" " * (width + 1) + " ".join(f"{name:>{cell}}" for name in short))
    for label, row in zip(labels, report["confusion_matrix"], strict=True):
        lines.append(f"{label:<{width}} " + " ".join(f"{value:>{cell}d}" for value in row))
    return "\n".join(lines)
