"""The training loop: freeze the lower encoder, cache it once, fine-tune the top.

Stages (each reported through `progress`):

1. read the splits, prepare the texts (`preprocess.prepare_text`) and add a
   diacritics-free copy of every training post written with diacritics (a third
   of real posts are typed without them);
2. build the model from the base encoder (`build.build_model`);
3. run the frozen embeddings + lower layers once over every text and keep their
   output (this is the only pass over the frozen part);
4. train the top layers and the three heads for a few epochs on the cached
   states (AdamW, linear warm-up and decay), reporting dev metrics per epoch;
5. save a versioned directory, evaluate the saved model as it will be served
   (`inference`, int8 on the CPU) on dev and test, write ``metrics.json`` and
   move the ``current`` pointer.
"""

import json
import platform
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from torch import nn

from app.core.vocabulary import CATEGORIES
from app.triage.model.labels import SENTIMENTS, Example, fingerprint, load_examples
from app.triage.model.labels import split_paths as dataset_paths
from app.triage.model.modeling import TriageModel, pad_batch
from app.triage.model.preprocess import prepare_text

Progress = Callable[[str], object]


@dataclass
class TrainSettings:
    """Every knob of a training run; stored in ``training.json``."""

    seed: int = 13
    #: Revision 4 of the data (real texts, longer than posts) costs about 100 s an epoch
    #: per fine-tuned layer on 2 cores; on its dev split 3 epochs of 1 layer at 64 tokens
    #: matched 4 epochs (category macro-F1 0.73 alone) and 2 layers at 128 tokens cost
    #: about 6 times as much for no gain we could measure in the time CI allows.
    epochs: int = 3
    batch_size: int = 32
    #: Revision 5, 6 against 4 layers kept (1 fine-tuned): the same blended dev figures
    #: (relevance F1 0.695/0.694, category macro-F1 0.806/0.802); 4 costs a third less
    #: per post the transformer reads, which an AVX2-only CPU needs for 150 posts/s.
    layers: int = 4
    trainable_layers: int = 1
    learning_rate: float = 3e-4
    head_learning_rate: float = 3e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    label_smoothing: float = 0.1
    head_dropout: float = 0.1
    max_length: int = 64
    text_form: str = "expanded"
    #: Share of the training posts written with diacritics that also get a copy without
    #: them (chosen by a hash of the post's id, so the same ones each run).
    augment_share: float = 0.3
    trim_vocabulary: bool = True
    pooling: str = "mean"
    ema_decay: float = 0.99
    #: Cache the frozen layers through the int8 quantisation used when serving on the CPU.
    quantize: bool = True
    #: Train the top layers under bfloat16 autocast where the hardware has it (about
    #: twice as fast on a CPU with AVX512-BF16; the weights and optimiser stay float32).
    bf16_autocast: bool = True
    #: Share of the TF-IDF model in the served probabilities (0: transformer alone; None:
    #: the best of `evaluate.LEXICAL_WEIGHTS` on dev).
    lexical_weight: float | None = None
    #: Store weights in float16 (half the size on disk; computed in float32).
    save_float16: bool = True
    loss_weights: dict = field(
        default_factory=lambda: {"relevance": 1.0, "category": 1.0, "sentiment": 0.5}
    )


def seed_everything(seed: int) -> None:
    """Fix Python's, NumPy's and torch's (CPU and CUDA) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def use_bf16_autocast(settings: "TrainSettings", device) -> bool:
    """Whether `fit` runs the forward pass under bfloat16 autocast (weights stay float32).

    Only where bfloat16 is native: CUDA with bf16 support, or a CPU with
    AVX512-BF16/AMX (elsewhere it is emulated and slower than float32).
    """
    if not settings.bf16_autocast:
        return False
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    from app.triage.model.inference import cpu_has_bf16

    return device.type == "cpu" and cpu_has_bf16()


def default_device() -> torch.device:
    """CUDA when a GPU is visible, otherwise the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class Encoded:
    """Token ids and labels of one split, in the order of its examples."""

    ids: list[list[int]]
    relevance: torch.Tensor
    category: torch.Tensor  # -100 where the post is not relevant
    sentiment: torch.Tensor
    examples: list[Example]


def encode(examples: list[Example], tokenizer, config) -> Encoded:
    """Tokenise the prepared texts (prefix, text form, truncation) and tensorise the labels."""
    texts = [config.query_prefix + prepare_text(e.text, config.text_form) for e in examples]
    ids = tokenizer(texts, truncation=True, max_length=config.max_tokens)["input_ids"]
    category_index = {name: i for i, name in enumerate(config.category_labels)}
    sentiment_index = {name: i for i, name in enumerate(config.sentiment_labels)}
    return Encoded(
        ids=ids,
        relevance=torch.tensor([int(e.relevant) for e in examples]),
        category=torch.tensor([category_index.get(e.category, -100) for e in examples]),
        sentiment=torch.tensor([sentiment_index[e.sentiment] for e in examples]),
        examples=examples,
    )


def ignore_settled_relevance(data: Encoded) -> int:
    """Leave the relevance label of posts the city's scope rule settles out of the loss
    (`fallback.settled_by_scope`), as the TF-IDF model does; returns how many."""
    from app.triage.model.fallback import settled_by_scope

    settled = [i for i, example in enumerate(data.examples) if settled_by_scope(example)]
    if len(settled) < int((data.relevance == 0).sum()):  # keep some negatives to learn from
        data.relevance[settled] = -100
        return len(settled)
    return 0


@torch.inference_mode()
def cache_lower(model: TriageModel, ids: list[list[int]], device, batch_size: int = 64) -> list:
    """Output of the frozen embeddings + lower layers for each text, one (tokens, hidden) tensor each."""
    model.eval()
    out: list = [None] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        input_ids, mask = pad_batch([ids[i] for i in chunk], model.config.pad_token_id)
        hidden = model.lower(input_ids.to(device), mask.to(device)).float()
        for row, i in enumerate(chunk):
            out[i] = hidden[row, : len(ids[i])].clone()
    return out


def stack_states(states: list, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad cached (tokens, hidden) tensors into a batch and its attention mask."""
    width = max(state.shape[0] for state in states)
    hidden = states[0].new_zeros((len(states), width, states[0].shape[1]))
    mask = torch.zeros((len(states), width), dtype=torch.long, device=states[0].device)
    for i, state in enumerate(states):
        hidden[i, : state.shape[0]] = state
        mask[i, : state.shape[0]] = 1
    return hidden.to(device), mask.to(device)


def length_bucketed_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list:
    """Shuffled batches of indices whose lengths are close (less padding, same randomness)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 16
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


@torch.inference_mode()
def predict_cached(model: TriageModel, states: list, device, batch_size: int = 128) -> dict:
    """Argmax predictions of the three heads over cached lower states (for per-epoch dev checks)."""
    model.eval()
    heads: dict[str, list] = {"relevance": [], "category": [], "sentiment": []}
    for start in range(0, len(states), batch_size):
        hidden, mask = stack_states(states[start : start + batch_size], device)
        output = model.upper(hidden, mask)
        for head in heads:
            heads[head] += getattr(output, f"{head}_logits").argmax(-1).tolist()
    return heads


def quick_scores(model: TriageModel, states: list, data: Encoded, device) -> dict:
    """Relevance F1, category macro-F1 (on relevant posts) and sentiment macro-F1."""
    from app.triage.model.metrics import binary_report, classification_report

    guess = predict_cached(model, states, device)
    relevance = binary_report(data.relevance.tolist(), guess["relevance"])
    relevant = [i for i, value in enumerate(data.category.tolist()) if value >= 0]
    category = classification_report(
        [data.category[i].item() for i in relevant],
        [guess["category"][i] for i in relevant],
        range(len(CATEGORIES)),
    )
    sentiment = classification_report(
        data.sentiment.tolist(), guess["sentiment"], range(len(SENTIMENTS))
    )
    return {
        "relevance_f1": relevance["f1"],
        "category_macro_f1": category["macro_f1"],
        "sentiment_macro_f1": sentiment["macro_f1"],
    }


def fit(
    model: TriageModel,
    train_states: list,
    train: Encoded,
    settings: TrainSettings,
    device,
    progress: Progress,
    evaluate: Callable[[int], dict] | None = None,
) -> list[dict]:
    """Train the unfrozen layers and heads on cached lower states; one history row per epoch."""
    model.to(device)
    parameters = model.trainable_parameters()
    heads = [p for n, p in model.named_parameters() if p.requires_grad and "_head" in n]
    head_ids = {id(p) for p in heads}
    encoder = [p for p in parameters if id(p) not in head_ids]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder, "lr": settings.learning_rate},
            {"params": heads, "lr": settings.head_learning_rate},
        ],
        weight_decay=settings.weight_decay,
    )
    rng = random.Random(settings.seed)
    lengths = [state.shape[0] for state in train_states]
    steps_per_epoch = -(-len(lengths) // settings.batch_size)
    total = steps_per_epoch * settings.epochs
    warmup = max(1, int(total * settings.warmup_fraction))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup))),
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing, ignore_index=-100)
    weights = settings.loss_weights
    bf16 = use_bf16_autocast(settings, device)
    # An exponential moving average of the weights: evaluated and kept instead of the last step's.
    ema = [p.detach().clone() for p in parameters] if settings.ema_decay else None
    history = []
    for epoch in range(1, settings.epochs + 1):
        model.train()
        started, running, seen = time.perf_counter(), 0.0, 0
        for batch in length_bucketed_batches(lengths, settings.batch_size, rng):
            hidden, mask = stack_states([train_states[i] for i in batch], device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                output = model.upper(hidden, mask)
            index = torch.tensor(batch)
            loss = weights["sentiment"] * loss_fn(
                output.sentiment_logits.float(), train.sentiment[index].to(device)
            )
            relevance = train.relevance[index].to(device)
            if (relevance >= 0).any():  # -100: left out (`ignore_settled_relevance`)
                loss = loss + weights["relevance"] * loss_fn(
                    output.relevance_logits.float(), relevance
                )
            categories = train.category[index].to(device)
            if (categories >= 0).any():
                loss = loss + weights["category"] * loss_fn(
                    output.category_logits.float(), categories
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            scheduler.step()
            if ema is not None:
                with torch.no_grad():
                    torch._foreach_lerp_(ema, parameters, 1.0 - settings.ema_decay)
            running += loss.item() * len(batch)
            seen += len(batch)
        row = {"epoch": epoch, "loss": running / seen, "seconds": time.perf_counter() - started}
        if evaluate is not None:
            _swap(parameters, ema)
            row["dev"] = evaluate(epoch)
            _swap(parameters, ema)
        history.append(row)
        dev = row.get("dev", {})
        progress(
            f"[train] epoch {epoch}/{settings.epochs}: loss {row['loss']:.4f}, "
            f"{row['seconds']:.1f}s"
            + (
                f"; dev relevance F1 {dev['relevance_f1']:.3f}, category macro-F1 "
                f"{dev['category_macro_f1']:.3f}, sentiment macro-F1 {dev['sentiment_macro_f1']:.3f}"
                if dev
                else ""
            )
        )
    _swap(parameters, ema)
    return history


def _swap(parameters: list, ema: list | None) -> None:
    """Exchange the model's weights with their moving average (no-op without one)."""
    if ema is None:
        return
    with torch.no_grad():
        for parameter, average in zip(parameters, ema, strict=True):
            current = parameter.detach().clone()
            parameter.copy_(average)
            average.copy_(current)


def package_versions() -> dict:
    """Versions of Python and the packages the model depends on."""
    versions = {"python": platform.python_version()}
    for name in ("torch", "transformers", "tokenizers", "numpy", "safetensors"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def load_splits(data_dir: Path) -> tuple[dict[str, list[Example]], str]:
    """The train/dev/test examples and the SHA-256 fingerprint of the three files."""
    paths = dataset_paths(data_dir)
    return {split: load_examples(path) for split, path in paths.items()}, fingerprint(
        paths.values()
    )


def describe(settings: TrainSettings) -> str:
    """One line with the settings, for the log."""
    return json.dumps(asdict(settings), sort_keys=True)
