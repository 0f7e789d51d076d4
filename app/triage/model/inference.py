"""Serving the triage classifier: load once per process, predict in length-sorted batches.

    from app.triage.model import load_classifier
    predictions = load_classifier().predict(["Q7 ngập quá trời", ...])

`load_classifier()` returns the trained transformer that ``current`` points to
(see `store`), or, while none has been trained, the TF-IDF fallback
(`fallback`). Either way each text gets a `Prediction` with the same fields;
``model_version`` says which model made it.

On the CPU the transformer's encoder runs with int8 dynamic quantisation of its
linear layers (`torch.ao.quantization.quantize_dynamic`, fbgemm): about twice as
fast as float32, and the evaluation in ``metrics.json`` is of that quantised
model. Which layers run in int8 depends on the CPU (`quantize_encoder`):
where bfloat16 is native (AVX512-BF16/AMX) the feed-forward output projections
run in bfloat16; elsewhere (AVX2) every linear layer runs in int8, those
projections after a SmoothQuant-style per-channel rescaling of their input
(`SmoothedInt8Linear`) calibrated on real posts (``calibration.json``, written
by `triage train`; a model without one keeps those projections in float32).
`TransformerClassifier.inference_path` says which path a process took.

The served relevance blends the transformer with the TF-IDF model the version
directory holds; a post the TF-IDF model alone already dismisses (even a
transformer certain of it could not lift the blend into the review band) skips
the transformer (`TransformerClassifier.settled_by_lexical`). Most of a real
stream is such posts, so this is where most of the CPU time is saved.
"""

import json
import logging
import os
import platform
import threading
import warnings
from pathlib import Path

import numpy as np
import torch

from app.triage.model import store
from app.triage.model.modeling import TriageModel, pad_batch
from app.triage.model.prediction import (
    DEFAULT_BATCH_SIZE,
    Classifier,
    Prediction,
    make_prediction,
)
from app.triage.model.preprocess import prepare_text
from app.triage.model.store import ModelUnavailable
from app.triage.textnorm import normalize

log = logging.getLogger(__name__)

#: The lexical model blended with the transformer, inside a version directory.
LEXICAL_FILE = "lexical.joblib"
#: Per-channel activation ranges of the feed-forward output projections (`activation_ranges`),
#: inside a version directory.
CALIBRATION_FILE = "calibration.json"
#: Set to 1 to serve as on a CPU without native bfloat16 (benchmarks of the AVX2 path).
NO_BF16_ENV = "SOCIALBEAT_NO_BF16"
#: SmoothQuant's migration strength: how much of an input channel's range moves into the
#: weights. Measured on two models' dev splits (int8, per-channel weights, AVX2 kernels):
#: 0.5 lost 0.3 of the transformer's category macro-F1; 0.9 stayed within 0.01 of float32
#: feed-forward outputs on both (0.65 and 0.8 lost up to 0.02 relevance F1 on one).
SMOOTHING_ALPHA = 0.9
#: Training texts `triage train` runs through the float32 model to find those ranges.
CALIBRATION_POSTS = 256


#: Quantisation modes a `TriageConfig` may name (``config.quantization``).
QUANTIZATION_MODES = ("none", "int8-dynamic", "int8-bf16")


def feed_forward_outputs(model: TriageModel) -> list[str]:
    """Names (within ``model.bert.encoder``) of each layer's feed-forward output projection."""
    return [
        name
        for name, module in model.bert.encoder.named_modules()
        if isinstance(module, torch.nn.Linear)
        and name.endswith(".output.dense")
        and ".attention." not in name
    ]


def quantization_plan(model: TriageModel) -> set[str]:
    """Names (within ``model.bert.encoder``) of the nn.Linear layers to run in plain int8.

    Every linear layer except each layer's feed-forward output projection,
    whose input (after GELU) has outlier activations that per-tensor int8
    quantisation loses. Measured on dev with a float32-trained model: all int8
    -> category macro-F1 0.64 (from 0.89); this plan -> 0.88, at 1.4x the
    float32 speed (all int8: 1.7x). Those projections run in bfloat16 where it
    is native, else in int8 after smoothing (`SmoothedInt8Linear`).
    """
    outputs = set(feed_forward_outputs(model))
    return {
        name
        for name, module in model.bert.encoder.named_modules()
        if isinstance(module, torch.nn.Linear) and name not in outputs
    }


def cpu_capability() -> str:
    """The vector instructions ATen's kernels use ("AVX512", "AVX2", ...).

    Honours ``ATEN_CPU_CAPABILITY`` (e.g. ``avx2`` to run as on a CPU without AVX-512).
    """
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return "unknown"


def cpu_has_bf16() -> bool:
    """True when oneDNN runs bfloat16 matrix products natively on this CPU (AVX512-BF16/AMX).

    Elsewhere bfloat16 is emulated and slower than float32, so it is not used.
    ``SOCIALBEAT_NO_BF16=1``, or ATen restricted below AVX-512 on x86
    (``ATEN_CPU_CAPABILITY=avx2``), make it False, as on an AVX2-only CPU.

    On x86 the instructions themselves are asked for: oneDNN calls bfloat16 "supported"
    on any AVX-512 CPU, where it emulates it. On a 2-core Xeon with AVX-512 but neither
    AVX512-BF16 nor AMX, a 2048² bfloat16 matrix product ran at 57 GFLOP/s against
    315 in float32, and training with bfloat16 autocast took 158 s an epoch.
    """
    if os.environ.get(NO_BF16_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    if x86 and ("AVX512" not in cpu_capability() or not _x86_has_native_bf16()):
        return False
    try:
        return bool(
            torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


def _x86_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX on this x86 CPU (True where torch cannot tell)."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):
        return True


@torch.inference_mode()
def activation_ranges(
    model: TriageModel, tokenizer, texts: list[str] | tuple[str, ...], batch_size: int = 32
) -> dict[str, torch.Tensor]:
    """Per input channel, the largest |activation| entering each feed-forward output
    projection (`feed_forward_outputs`) over the real tokens of `texts`, run through
    `model` as it is (call it on the float32 model)."""
    config = model.config
    names = feed_forward_outputs(model)
    encoder = model.bert.encoder
    ranges: dict[str, torch.Tensor] = {}
    current: dict[str, torch.Tensor] = {}

    def recorder(name: str):
        def hook(_module, args):
            keep = current["mask"].unsqueeze(-1).to(args[0].dtype)
            found = (args[0].abs() * keep).amax(dim=(0, 1)).float()
            ranges[name] = found if name not in ranges else torch.maximum(ranges[name], found)

        return hook

    hooks = [
        encoder.get_submodule(name).register_forward_pre_hook(recorder(name)) for name in names
    ]
    try:
        prepared = [config.query_prefix + prepare_text(text, config.text_form) for text in texts]
        ids = tokenizer(prepared, truncation=True, max_length=config.max_tokens)["input_ids"]
        device = next(model.parameters()).device
        for start in range(0, len(ids), batch_size):
            input_ids, mask = pad_batch(ids[start : start + batch_size], config.pad_token_id)
            current["mask"] = mask.to(device)
            model(input_ids.to(device), current["mask"])
    finally:
        for hook in hooks:
            hook.remove()
    return ranges


def write_calibration(
    path: Path | str, model: TriageModel, tokenizer, texts: list[str] | tuple[str, ...]
) -> None:
    """Store the `activation_ranges` of `texts` (float32 `model`) in a version directory
    (``calibration.json``), for the int8 path of CPUs without native bfloat16."""
    ranges = activation_ranges(model, tokenizer, texts)
    data = {
        "what": "max |input| per channel of each feed-forward output projection, float32 model",
        "texts": len(texts),
        "ranges": {name: [round(float(v), 5) for v in value] for name, value in ranges.items()},
    }
    store.write_json(Path(path) / CALIBRATION_FILE, data)


def read_calibration(path: Path | str) -> dict[str, torch.Tensor] | None:
    """The ranges `write_calibration` stored in a version directory, or None."""
    file = Path(path) / CALIBRATION_FILE
    if not file.is_file():
        return None
    data = json.loads(file.read_text(encoding="utf-8"))
    return {name: torch.tensor(value) for name, value in data["ranges"].items()}


def smoothing_scales(
    ranges: torch.Tensor, weight: torch.Tensor, alpha: float = SMOOTHING_ALPHA
) -> torch.Tensor:
    """SmoothQuant's per input channel scale ``s_j = max|X_j|^a / max|W_j|^(1-a)``."""
    x = ranges.float().clamp(min=1e-5)
    w = weight.detach().abs().amax(dim=0).float().clamp(min=1e-5)
    return (x.pow(alpha) / w.pow(1.0 - alpha)).clamp(min=1e-5)


class SmoothedInt8Linear(torch.nn.Module):
    """An int8 dynamically quantised linear layer whose input is divided per channel by `s`
    and whose weight columns were multiplied by `s` (SmoothQuant): the product is the same,
    but the outlier channels no longer set the activation's int8 scale alone."""

    def __init__(self, quantized: torch.nn.Module, scales: torch.Tensor):
        super().__init__()
        self.quantized = quantized
        self.register_buffer("inverse_scales", (1.0 / scales).float())

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.quantized(hidden * self.inverse_scales)


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


#: What each serving plan runs (``model.serving_plan``, set by `quantize_encoder`).
PLAN_DESCRIPTIONS = {
    "float32": "float32",
    "int8+float32": "int8 fbgemm, feed-forward outputs float32",
    "int8+bf16": "int8 fbgemm, feed-forward outputs bfloat16",
    "int8-smoothed": "int8 fbgemm (per-channel weights, feed-forward outputs smoothed)",
}


def quantize_encoder(model: TriageModel, ranges: dict[str, torch.Tensor] | None = None) -> bool:
    """Run the encoder's linear layers in low precision, in place, as ``config.quantization`` says.

    "int8-dynamic": int8 dynamic quantisation of the layers in
    `quantization_plan`, the rest (the feed-forward output projections) in
    float32. "int8-bf16": the same int8 layers, and those projections in
    bfloat16 where the CPU computes it natively (`cpu_has_bf16`); elsewhere,
    given their `activation_ranges` as `ranges`, every linear layer in int8
    with per-channel weights, those projections smoothed (`SmoothedInt8Linear`;
    measured with AVX2 kernels: `predict` 1.15x as fast as with float32
    projections, dev figures within 0.01), and without `ranges` those
    projections in float32.
    Sets ``model.serving_plan`` (a key of `PLAN_DESCRIPTIONS`). Returns False
    (and leaves the model in float32) when the configuration says "none" or
    this torch has no dynamic quantisation. Training caches the frozen layers
    through this same function, so the served model sees the features it was
    trained on.
    """
    model.serving_plan = "float32"
    mode = getattr(model.config, "quantization", "none")
    if mode not in ("int8-dynamic", "int8-bf16"):
        return False
    encoder = model.bert.encoder
    outputs = feed_forward_outputs(model)
    bf16 = mode == "int8-bf16" and cpu_has_bf16()
    smooth = (
        mode == "int8-bf16"
        and not bf16
        and ranges is not None
        and all(name in ranges for name in outputs)
    )
    try:
        from torch.ao.quantization import (
            default_dynamic_qconfig,
            per_channel_dynamic_qconfig,
            quantize_dynamic,
        )

        int8 = quantization_plan(model)
        if smooth:
            scales = {}
            with torch.no_grad():
                for name in outputs:
                    linear = encoder.get_submodule(name)
                    scales[name] = smoothing_scales(ranges[name], linear.weight)
                    linear.weight.mul_(scales[name].to(linear.weight.dtype)[None, :])
            plan = dict.fromkeys(int8 | set(outputs), per_channel_dynamic_qconfig)
        else:
            plan = dict.fromkeys(int8, default_dynamic_qconfig)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(encoder, plan, dtype=torch.qint8, inplace=True)
    except (ImportError, AttributeError, RuntimeError) as error:  # removed in a future torch
        log.warning("int8 quantisation unavailable (%s): serving in float32", error)
        return False
    model.serving_plan = "int8+float32"
    if smooth:
        for name in outputs:
            parent, _, child = name.rpartition(".")
            quantized = encoder.get_submodule(name)
            setattr(
                encoder.get_submodule(parent), child, SmoothedInt8Linear(quantized, scales[name])
            )
        model.serving_plan = "int8-smoothed"
    elif bf16:
        for name, module in list(encoder.named_modules()):
            if type(module) is torch.nn.Linear and name not in int8:
                parent, _, child = name.rpartition(".")
                setattr(encoder.get_submodule(parent), child, BFloat16Linear(module))
        model.serving_plan = "int8+bf16"
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
    #: Skip the transformer for texts the lexical model alone already dismisses
    #: (`settled_by_lexical`): most of a real stream is not about the city.
    cascade: bool = True

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
            quantized = quantize_encoder(model, read_calibration(path))
        else:
            model.serving_plan = "float32"
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
        if not prepared:
            return []
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
    def inference_path(self) -> str:
        """How this classifier computes, in one line, e.g. "int8 fbgemm (...), AVX2, no bf16"."""
        plan = getattr(self.model, "serving_plan", "float32")
        if self.device.type != "cpu":
            return f"{PLAN_DESCRIPTIONS.get(plan, plan)} on {self.device.type}"
        return (
            f"{PLAN_DESCRIPTIONS.get(plan, plan)}, {cpu_capability()}, "
            f"{'native bf16' if cpu_has_bf16() else 'no bf16'}, {torch.get_num_threads()} threads"
        )

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

    def settled_by_lexical(self, p_lexical: np.ndarray) -> np.ndarray:
        """Which texts are dismissed whatever the transformer says.

        The served relevance is ``(1 - w) * p_transformer + w * p_lexical``; where even
        ``p_transformer = 1`` leaves it under the model's ``dismiss_below`` threshold (and
        0.5), the post is dismissed (not relevant, not for review) and the transformer can be
        skipped. Off without a blend, without thresholds, or with `cascade` False.
        """
        weight = self.head_weights[0]
        dismiss = (self.thresholds or {}).get("dismiss_below")
        if not self.cascade or weight <= 0 or dismiss is None:
            return np.zeros(len(p_lexical), dtype=bool)
        # A post under 0.5 is not relevant even where a review band starts higher.
        return (1 - weight) + weight * np.asarray(p_lexical) < min(float(dismiss), 0.5)

    @torch.inference_mode()
    def predict(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[Prediction]:
        """Predict in batches of similar length; one forward pass gives heads and embedding.

        Texts `settled_by_lexical` get the lexical model's probabilities and no embedding.
        """
        texts = list(texts)
        if not texts:
            return []
        weights = self.head_weights
        prepared, forms = self._prepare(texts, blend=max(weights) > 0)
        lexical = (
            self.lexical.probabilities(texts, *self._labels, folded=forms[0], accented=forms[1])
            if forms is not None
            else None
        )
        results: list[Prediction | None] = [None] * len(texts)
        settled = np.zeros(len(texts), dtype=bool)
        if lexical is not None:
            settled = self.settled_by_lexical(lexical[0][:, 1])
            for i in np.flatnonzero(settled):
                heads = (lexical[0][i], lexical[1][i], lexical[2][i])
                results[i] = make_prediction(*heads, self._labels, self.version)
        rest = [i for i in range(len(texts)) if not settled[i]]
        ids = dict(zip(rest, self._tokenize([prepared[i] for i in rest]), strict=True))
        order = sorted(rest, key=lambda i: len(ids[i]))
        pad_id = self.model.config.pad_token_id
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            input_ids, mask = pad_batch([ids[i] for i in chunk], pad_id)
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
#: Classifiers this process loaded (or its parent, before forking it): see `load_count`.
_loads = 0


def model_key(path: Path | str | None = None) -> str:
    """Which classifier `load_classifier(path)` would serve now: the resolved version
    directory, or "fallback". A few file-system checks; changes when a training lands."""
    model_dir = store.resolve_model_dir(path)
    return str(model_dir.resolve()) if model_dir else "fallback"


def load_classifier(path: Path | str | None = None) -> Classifier:
    """The classifier for this process, loaded on first use and then cached.

    `path` is a version directory or a root with a ``current`` pointer
    (default: ``instance/models/triage``). Without a trained transformer there
    it returns the TF-IDF fallback, training and caching it on first use (raises
    `ModelUnavailable` when even that fails).
    Resolving the pointer costs a few file-system checks per call (`model_key`), so
    a newly trained version (or the first one, replacing the fallback) is picked up
    by the next call, in the web app and in every worker horse, without a restart;
    each version is loaded once per process.
    """
    global _loads
    model_dir = store.resolve_model_dir(path)
    key = str(model_dir.resolve()) if model_dir else "fallback"  # as `model_key`
    with _lock:
        classifier = _loaded.get(key)
        if classifier is None:
            if model_dir is not None:
                log.info("loading triage model %s", model_dir)
                classifier = TransformerClassifier.load(model_dir)
            else:
                from app.triage.model.fallback import load_fallback

                log.warning(
                    "no trained triage model under %s: serving the TF-IDF fallback until "
                    "`triage train` lands one (progress on /admin/model)",
                    path or store.default_model_root(),
                )
                try:
                    classifier = load_fallback()
                except (OSError, ValueError) as error:
                    raise ModelUnavailable(f"no triage model and no fallback: {error}") from error
            while len(_loaded) >= _MAX_LOADED:
                _loaded.pop(next(iter(_loaded)))
            _loaded[key] = classifier
            _loads += 1
        return classifier


def load_count() -> int:
    """How many classifiers this process has loaded (a forked worker child counts its parent's)."""
    return _loads


def clear_cache() -> None:
    """Forget loaded classifiers (tests; after training a new version in a long-lived process)."""
    with _lock:
        _loaded.clear()


def predict(texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[Prediction]:
    """`load_classifier().predict(texts)`."""
    return load_classifier().predict(texts, batch_size=batch_size)
