"""The triage classifier as a `transformers` model: an E5 encoder with three heads.

`TriageModel` is a `BertPreTrainedModel`, so it is saved and loaded with
`save_pretrained` / `from_pretrained` like any other `transformers` model, and
its `TriageConfig` (a `BertConfig`) carries everything inference needs besides
the weights: the label maps of the three heads, how texts are prepared (E5's
"query: " prefix, the textnorm form), the token limit and how many of the
encoder's layers were frozen in training.

The encoder is the bottom of multilingual-e5-small (the first
`num_hidden_layers` of its 12 layers, with the vocabulary trimmed by `vocab`).
Its last hidden states are mean-pooled over real tokens: that vector, L2
normalised, is the post's embedding (clustering uses it), and after dropout
it feeds three linear heads: relevance (2 classes), category (10, trained on
relevant posts only) and sentiment (3).

Training never runs the frozen lower layers twice: `lower` computes their
output once (cached by the trainer), and `upper` runs the trainable rest.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, BertConfig, BertModel, BertPreTrainedModel
from transformers.masking_utils import create_bidirectional_mask
from transformers.utils import ModelOutput

from app.core.vocabulary import CATEGORIES
from app.triage.model.labels import RELEVANCE, SENTIMENTS

HEADS = ("relevance", "category", "sentiment")


class TriageConfig(BertConfig):
    """A `BertConfig` plus the triage heads' labels and the input conventions.

    ``quantization`` is how the encoder runs on the CPU ("int8-bf16",
    "int8-dynamic" or "none"; see `inference.quantize_encoder`); the frozen layers' output was
    cached through the same quantisation in training. ``lexical_weights`` is the
    share of the lexical (TF-IDF) model in each head's blended class
    probabilities (``{"relevance": .., "category": .., "sentiment": ..}``, chosen
    on dev); ``lexical_weight``, one share for all heads, is what models trained
    before per-head weights carry; 0 is the transformer alone (see
    `inference.head_weights`).
    """

    model_type = "social-beat-triage"

    def __init__(
        self,
        relevance_labels: list[str] | tuple[str, ...] = RELEVANCE,
        category_labels: list[str] | tuple[str, ...] = CATEGORIES,
        sentiment_labels: list[str] | tuple[str, ...] = SENTIMENTS,
        frozen_layers: int = 0,
        max_tokens: int = 128,
        query_prefix: str = "query: ",
        text_form: str = "expanded",
        head_dropout: float = 0.1,
        pooling: str = "mean",
        quantization: str = "int8-dynamic",
        lexical_weight: float = 0.0,
        lexical_weights: dict | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.relevance_labels = list(relevance_labels)
        self.category_labels = list(category_labels)
        self.sentiment_labels = list(sentiment_labels)
        self.frozen_layers = frozen_layers
        self.max_tokens = max_tokens
        self.query_prefix = query_prefix
        self.text_form = text_form
        self.head_dropout = head_dropout
        self.pooling = pooling
        self.quantization = quantization
        self.lexical_weight = lexical_weight
        self.lexical_weights = dict(lexical_weights) if lexical_weights else None

    def labels_of(self, head: str) -> list[str]:
        """The class names of `head` ("relevance", "category" or "sentiment"), by logit index."""
        return getattr(self, f"{head}_labels")


@dataclass
class TriageOutput(ModelOutput):
    """Logits of the three heads and the L2-normalised pooled sentence embedding."""

    relevance_logits: torch.Tensor | None = None
    category_logits: torch.Tensor | None = None
    sentiment_logits: torch.Tensor | None = None
    embedding: torch.Tensor | None = None


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average token vectors over positions where `attention_mask` is 1."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def pad_batch(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists into (input_ids, attention_mask) tensors."""
    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


class TriageModel(BertPreTrainedModel):
    """E5 encoder (no pooler) + relevance, category and sentiment heads on the mean-pooled output."""

    config: TriageConfig
    config_class = TriageConfig
    base_model_prefix = "bert"

    def __init__(self, config: TriageConfig):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.head_dropout)
        hidden = config.hidden_size * (2 if config.pooling == "mean_max" else 1)
        self.relevance_head = nn.Linear(hidden, len(config.relevance_labels))
        self.category_head = nn.Linear(hidden, len(config.category_labels))
        self.sentiment_head = nn.Linear(hidden, len(config.sentiment_labels))
        self.post_init()

    def _mask(self, hidden: torch.Tensor, attention_mask: torch.Tensor):
        return create_bidirectional_mask(
            config=self.config, inputs_embeds=hidden, attention_mask=attention_mask
        )

    def lower(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, stop: int | None = None
    ) -> torch.Tensor:
        """Hidden states after the embeddings and encoder layers ``[0, stop)`` (default: frozen ones)."""
        stop = self.config.frozen_layers if stop is None else stop
        hidden = self.bert.embeddings(input_ids=input_ids)
        if stop:
            mask = self._mask(hidden, attention_mask)
            for layer in self.bert.encoder.layer[:stop]:
                hidden = layer(hidden, mask)
        return hidden

    def upper(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int | None = None
    ) -> TriageOutput:
        """Run encoder layers ``[start, end)`` on `hidden`, pool, and apply the heads."""
        start = self.config.frozen_layers if start is None else start
        layers = self.bert.encoder.layer[start:]
        if len(layers):
            mask = self._mask(hidden, attention_mask)
            for layer in layers:
                hidden = layer(hidden, mask)
        pooled = mean_pool(hidden, attention_mask)
        features = pooled
        if self.config.pooling == "mean_max":
            padding = (attention_mask == 0).unsqueeze(-1)
            features = torch.cat([pooled, hidden.masked_fill(padding, -1e4).amax(dim=1)], dim=-1)
        features = self.dropout(features)
        return TriageOutput(
            relevance_logits=self.relevance_head(features),
            category_logits=self.category_head(features),
            sentiment_logits=self.sentiment_head(features),
            embedding=nn.functional.normalize(pooled, p=2, dim=-1),
        )

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_) -> TriageOutput:
        """Full pass: token ids -> head logits and sentence embedding."""
        hidden = self.lower(input_ids, attention_mask, stop=0)
        return self.upper(hidden, attention_mask, start=0)

    def trainable_parameters(self) -> list[nn.Parameter]:
        """Freeze the embeddings and the lower `frozen_layers` layers; return the rest."""
        frozen = self.config.frozen_layers
        for parameter in self.bert.embeddings.parameters():
            parameter.requires_grad = False
        for index, layer in enumerate(self.bert.encoder.layer):
            for parameter in layer.parameters():
                parameter.requires_grad = index >= frozen
        return [parameter for parameter in self.parameters() if parameter.requires_grad]


# So that AutoConfig / AutoModel / AutoTokenizer understand a saved triage model directory.
AutoConfig.register(TriageConfig.model_type, TriageConfig, exist_ok=True)
AutoModel.register(TriageConfig, TriageModel, exist_ok=True)
