"""Serving the triage classifier: load once per process, predict in length-sorted batches.

    from app.triage.model import load_classifier
    predictions = load_classifier().predict(["Q7 ngập quá trời", ...])

`load_classifier()` returns the trained transformer that ``current`` points to
(see `store`), or, while none has been trained, the TF-IDF fallback
(`fallback`). Either way each text gets a `Prediction` with the same fields;
``model_version`` says which model made it.

On the CPU the transformer's encoder runs with int8 dynamic quantisation of its
linear layers (`torch.ao.quantization.quantize_dynamic`): about twice as fast
as float32, and the evaluation in ``metrics.json`` is of that quantised model.
"""

import logging
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from app.triage.model import store
from app.triage.model.modeling import TriageModel
from app.triage.model.preprocess import prepare_text
from app.triage.textnorm import normalize

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 32
#: The lexical model blended with the transformer, inside a version directory.
LEXICAL_FILE = "lexical.joblib"


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
    """What `load_classifier` returns: a transformer or the fallback."""

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


#: Quantisation modes a `TriageConfig` may name (``config.quantization``).
QUANTIZATION_MODES = ("none", "int8-dynamic", "int8-bf16")


def quantization_plan(model: TriageModel) -> set[str]:
    """Names (within ``model.bert.encoder``) of the nn.Linear layers to run in int8.

    Every linear layer except each layer's feed-forward output projection,
    whose input (after GELU) has outlier activations that per-tensor int8
    quantisation loses. Measured on dev with a float32-trained model: all int8
    -> category macro-F1 0.64 (from 0.89); this plan -> 0.88, at 1.4x the
    float32 speed (all int8: 1.7x).
    """
    return {
        name
        for name, module in model.bert.encoder.named_modules()
        if isinstance(module, torch.nn.Linear)
        and not (name.endswith(".output.dense") and ".attention." not in name)
    }


def cpu_has_bf16() -> bool:
    """True when oneDNN runs bfloat16 matrix products natively on this CPU (AVX512-BF16/AMX).

    Elsewhere bfloat16 is emulated and slower than float32, so it is not used.
    """
    try:
        return bool(
            torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


class BFloat16Linear(torch.nn.Module):
    """A linear layer computed in bfloat16 (float32 in and out).

    bfloat16 keeps float32's exponent range, so the outliers that defeat int8
    survive; only the mantissa is shorter. On CPUs with native bfloat16 the
    product runs about twice as fast as in float32.
    """

    def __init__(self, linear: torch.nn.Linear):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight = torch.nn.Parameter(
            linear.weight.detach().to(torch.bfloat16), requires_grad=False
        )
        self.bias = (
            None
            if linear.bias is None
            else torch.nn.Parameter(linear.bias.detach().to(torch.bfloat16), requires_grad=False)
        )

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out = torch.nn.functional.linear(hidden.to(torch.bfloat16), self.weight, self.bias)
        return out.to(hidden.dtype)


def quantize_encoder(model: TriageModel) -> bool:
    """Run the encoder's linear layers in low precision, in place, as ``config.quantization`` says.

    "int8-dynamic": int8 dynamic quantisation of the layers in
    `quantization_plan`, the rest in float32. "int8-bf16": the same int8
    layers, and the rest (the feed-forward output projections) in bfloat16
    where the CPU computes it natively (`cpu_has_bf16`), else float32.
    Returns False (and leaves the model in float32) when the configuration says
    "none" or this torch has no dynamic quantisation. Training caches the
    frozen layers through this same function, so the served model sees the
    features it was trained on.
    """
    mode = getattr(model.config, "quantization", "none")
    if mode not in ("int8-dynamic", "int8-bf16"):
        return False
    try:
        from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

        int8 = quantization_plan(model)
        plan = {name: default_dynamic_qconfig for name in int8}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(model.bert.encoder, plan, dtype=torch.qint8, inplace=True)
    except (ImportError, AttributeError, RuntimeError) as error:  # removed in a future torch
        log.warning("int8 quantisation unavailable (%s): serving in float32", error)
        return False
    if mode == "int8-bf16" and cpu_has_bf16():
        encoder = model.bert.encoder
        for name, module in list(encoder.named_modules()):
            if type(module) is torch.nn.Linear and name not in int8:
                parent, _, child = name.rpartition(".")
                setattr(encoder.get_submodule(parent), child, BFloat16Linear(module))
    return True


def head_weights(config) -> tuple[float, float, float]:
    """The lexical model's share in each head's probabilities (relevance, category, sentiment).

    ``config.lexical_weights`` (one weight per head, chosen on dev by `triage train`)
    when set, else ``config.lexical_weight`` for all three (models trained before
    per-head weights existed).
    """
    per_head = getattr(config, "lexical_weights", None)
    if per_head:
        return tuple(float(per_head[head]) for head in ("relevance", "category", "sentiment"))
    weight = float(getattr(config, "lexical_weight", 0.0) or 0.0)
    return (weight, weight, weight)


class TransformerClassifier:
    """A trained `TriageModel` with its tokenizer, ready to predict."""

    kind = "transformer"

    def __init__(
        self, model: TriageModel, tokenizer, version: str, device, quantized: bool, lexical=None
    ):
        self.model = model
        self.lexical = lexical
        self.tokenizer = tokenizer
        self.version = version
        self.device = torch.device(device)
        self.quantized = quantized
        config = model.config
        self._labels = (list(config.category_labels), list(config.sentiment_labels))

    @classmethod
    def load(
        cls, path: Path | str, device: str | None = None, quantize: bool | None = None
    ) -> "TransformerClassifier":
        """Load a version directory; `quantize` defaults to True on the CPU, False on CUDA."""
        from transformers import AutoTokenizer

        path = Path(path)
        target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        model = TriageModel.from_pretrained(str(path), dtype=torch.float32).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        quantized = False
        if quantize or (quantize is None and target.type == "cpu"):
            quantized = quantize_encoder(model)
        lexical = None
        if max(head_weights(model.config)) > 0 and (path / LEXICAL_FILE).is_file():
            import joblib

            # Written by `triage train` into this version directory, never downloaded.
            lexical = joblib.load(path / LEXICAL_FILE)
        return cls(model.to(target), tokenizer, path.name, target, quantized, lexical)

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids of the prepared texts (E5 prefix, text form, truncation)."""
        config = self.model.config
        return self._tokenize([prepare_text(text, config.text_form) for text in texts])

    def _tokenize(self, prepared: list[str]) -> list[list[int]]:
        config = self.model.config
        prefixed = [config.query_prefix + text for text in prepared]
        return self.tokenizer(prefixed, truncation=True, max_length=config.max_tokens)["input_ids"]

    def _prepare(
        self, texts: list[str], blend: bool
    ) -> tuple[list[str], tuple[list[str], list[str]] | None]:
        """Model input texts and, when blending, the lexical model's folded and accented
        texts (one `normalize` call per text serves all three)."""
        form = self.model.config.text_form
        normalized = (
            [normalize(text or "") for text in texts] if blend or form == "expanded" else []
        )
        lexical = (
            ([n.folded for n in normalized], [n.expanded.lower() for n in normalized])
            if blend
            else None
        )
        if form == "expanded":
            return [n.expanded for n in normalized], lexical
        return [prepare_text(text, form) for text in texts], lexical

    @property
    def head_weights(self) -> tuple[float, float, float]:
        """Share of the lexical model in the relevance, category and sentiment probabilities."""
        return head_weights(self.model.config) if self.lexical is not None else (0.0, 0.0, 0.0)

    @property
    def thresholds(self) -> dict[str, float] | None:
        """The review band `triage train` chose on dev (`pipeline.Thresholds`), if any."""
        return getattr(self.model.config, "thresholds", None)

    @property
    def lexical_weight(self) -> float:
        """Share of the lexical model in the category probabilities (0: transformer alone)."""
        return self.head_weights[1]

    @lexical_weight.setter
    def lexical_weight(self, value: float) -> None:
        """Blend every head with the lexical model at `value` (0: the transformer alone)."""
        self.model.config.lexical_weight = value
        self.model.config.lexical_weights = None

    @torch.inference_mode()
    def predict(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[Prediction]:
        """Predict in batches of similar length; one forward pass gives heads and embedding."""
        texts = list(texts)
        if not texts:
            return []
        weights = self.head_weights
        prepared, forms = self._prepare(texts, blend=max(weights) > 0)
        ids = self._tokenize(prepared)
        lexical = (
            self.lexical.probabilities(texts, *self._labels, folded=forms[0], accented=forms[1])
            if forms is not None
            else None
        )
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        pad_id = self.model.config.pad_token_id
        results: list[Prediction | None] = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
                mask[row, : len(ids[i])] = 1
            output = self.model(input_ids.to(self.device), mask.to(self.device))
            heads = [
                torch.softmax(logits.float(), dim=-1).cpu().numpy()
                for logits in (
                    output.relevance_logits,
                    output.category_logits,
                    output.sentiment_logits,
                )
            ]
            embeddings = output.embedding.float().cpu().numpy()
            if lexical is not None:  # blend with the lexical model's probabilities
                heads = [
                    (1 - weight) * own + weight * other[chunk]
                    for own, other, weight in zip(heads, lexical, weights, strict=True)
                ]
            for row, i in enumerate(chunk):
                results[i] = make_prediction(
                    heads[0][row],
                    heads[1][row],
                    heads[2][row],
                    self._labels,
                    self.version,
                    embedding=embeddings[row].copy(),
                )
        return results  # type: ignore[return-value]


_lock = threading.Lock()
_loaded: dict[str, Classifier] = {}
#: Classifiers kept in memory; a retrained `current` replaces the oldest.
_MAX_LOADED = 2


def load_classifier(path: Path | str | None = None) -> Classifier:
    """The classifier for this process, loaded on first use and then cached.

    `path` is a version directory or a root with a ``current`` pointer
    (default: ``instance/models/triage``). Without a trained transformer there
    it returns the TF-IDF fallback, training and caching it on first use.
    Resolving the pointer costs a few file-system checks per call, so a newly
    trained version (or the first one, replacing the fallback) is picked up
    without restarting the worker; each version is loaded once.
    """
    model_dir = store.resolve_model_dir(path)
    key = str(model_dir.resolve()) if model_dir else "fallback"
    with _lock:
        classifier = _loaded.get(key)
        if classifier is None:
            if model_dir is not None:
                log.info("loading triage model %s", model_dir)
                classifier = TransformerClassifier.load(model_dir)
            else:
                from app.triage.model.fallback import load_fallback

                log.warning("no trained triage model under %s: serving the fallback", path or "")
                classifier = load_fallback()
            while len(_loaded) >= _MAX_LOADED:
                _loaded.pop(next(iter(_loaded)))
            _loaded[key] = classifier
        return classifier


def clear_cache() -> None:
    """Forget loaded classifiers (tests; after training a new version in a long-lived process)."""
    with _lock:
        _loaded.clear()


def predict(texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[Prediction]:
    """`load_classifier().predict(texts)`."""
    return load_classifier().predict(texts, batch_size=batch_size)
