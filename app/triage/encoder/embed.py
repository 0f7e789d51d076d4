"""Sentence embeddings from the converted base encoder, the E5 way.

E5 was trained with a "query: " / "passage: " prefix; for classification and
similarity both sides use "query: ". The sentence vector is the mean of the
last hidden states over real (unmasked) tokens, L2-normalised, so a dot product
is a cosine similarity.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, BertModel, PreTrainedTokenizerBase

from app.triage.encoder.convert import default_output_dir

QUERY_PREFIX = "query: "


@dataclass(frozen=True)
class Encoder:
    """A loaded tokenizer and model, ready for inference on `device`."""

    tokenizer: PreTrainedTokenizerBase
    model: BertModel
    device: torch.device

    @property
    def dimension(self) -> int:
        """Length of one embedding (384 for multilingual-e5-small)."""
        return self.model.config.hidden_size

    @property
    def max_length(self) -> int:
        """Longest input in tokens, specials included; longer texts are truncated."""
        return min(self.tokenizer.model_max_length, self.model.config.max_position_embeddings)


def default_device() -> torch.device:
    """CUDA when a GPU is visible, otherwise the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_encoder(path: Path | str | None = None, device: str | None = None) -> Encoder:
    """Load (once per path and device, then from cache) the encoder saved by `ensure_base_encoder`."""
    resolved = Path(path) if path is not None else default_output_dir()
    return _load_cached(str(resolved.resolve()), str(torch.device(device or default_device())))


@lru_cache(maxsize=4)
def _load_cached(path: str, device: str) -> Encoder:
    if not (Path(path) / "config.json").is_file():
        raise FileNotFoundError(
            f"no encoder at {path}; run ensure_base_encoder() (`flask --app wsgi triage train`)"
        )
    tokenizer = AutoTokenizer.from_pretrained(path)
    # No pooler in the checkpoint: E5 pools by mean, not through BERT's [CLS] pooler.
    model = BertModel.from_pretrained(path, add_pooling_layer=False)
    target = torch.device(device)
    return Encoder(tokenizer=tokenizer, model=model.to(target).eval(), device=target)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average token vectors over positions where `attention_mask` is 1."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def embed(texts: Sequence[str], batch_size: int = 32, encoder: Encoder | None = None) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text, in input order.

    Texts are batched by token length so that padding (wasted compute) stays
    small; the default encoder is the one under the instance directory.
    """
    encoder = encoder or load_encoder()
    result = np.empty((len(texts), encoder.dimension), dtype=np.float32)
    if not texts:
        return result
    encoded = encoder.tokenizer(
        [QUERY_PREFIX + text for text in texts],
        truncation=True,
        max_length=encoder.max_length,
    )["input_ids"]
    order = sorted(range(len(texts)), key=lambda index: len(encoded[index]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            batch = encoder.tokenizer.pad(
                {"input_ids": [encoded[i] for i in indices]}, return_tensors="pt"
            ).to(encoder.device)
            hidden = encoder.model(**batch).last_hidden_state
            pooled = mean_pool(hidden, batch["attention_mask"])
            normalised = torch.nn.functional.normalize(pooled, p=2, dim=-1)
            result[indices] = normalised.float().cpu().numpy()
    return result
