"""Trim the XLM-R vocabulary to the pieces Vietnamese and English text can use.

multilingual-e5-small has 250,002 SentencePiece pieces for 100 languages, and
its 250k x 384 embedding matrix is most of the model's size. Posts in Ho Chi
Minh City are written in Vietnamese (with or without diacritics), English and
emoji, so the classifier keeps only the pieces whose every character is ASCII,
a Vietnamese letter, punctuation, a symbol (emoji included) or a space.

For a text made only of such characters the unigram tokenizer picks exactly
the same pieces as before (every piece that could match the text is kept, and
the Viterbi search is over those), so the ids map one to one; characters of
other scripts become ``<unk>`` instead of pieces the classifier never saw in
training.
"""

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerFast

_VIETNAMESE = (
    "aăâbcdđeêfghijklmnoôơpqrstuưvwxyzàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)
ALLOWED_CHARACTERS = frozenset(
    _VIETNAMESE
    + _VIETNAMESE.upper()
    + "".join(chr(code) for code in range(32, 127))
    # metaspace; emoji variation selectors, zero-width joiner and keycap mark
    + "\u2581\ufe0e\ufe0f\u200d\u20e3"
)
#: Unicode general categories kept whatever the script: punctuation, symbols, spaces.
ALLOWED_CATEGORIES = ("P", "S", "Z")


@dataclass(frozen=True)
class TrimmedVocabulary:
    """A smaller tokenizer and, for each of its ids, the id it had in the full vocabulary."""

    tokenizer: PreTrainedTokenizerFast
    old_ids: list[int]


def keep_piece(piece: str) -> bool:
    """True when every character of `piece` may occur in Vietnamese/English posts."""
    return all(
        char in ALLOWED_CHARACTERS or unicodedata.category(char).startswith(ALLOWED_CATEGORIES)
        for char in piece
    )


def trim_tokenizer(
    tokenizer: PreTrainedTokenizerFast, keep: Callable[[str], bool] = keep_piece
) -> TrimmedVocabulary:
    """Rebuild `tokenizer` (a Unigram fast tokenizer) with only the pieces `keep` accepts.

    Special tokens always stay; ids are renumbered densely in the original order.
    """
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    model = state["model"]
    if model.get("type") != "Unigram":
        raise ValueError(f"only Unigram tokenizers can be trimmed, not {model.get('type')}")
    specials = {token["id"] for token in state["added_tokens"]}
    kept = [
        old_id
        for old_id, (piece, _score) in enumerate(model["vocab"])
        if old_id in specials or keep(piece)
    ]
    new_id = {old: new for new, old in enumerate(kept)}
    model["vocab"] = [model["vocab"][old] for old in kept]
    model["unk_id"] = new_id[model["unk_id"]]
    for token in state["added_tokens"]:
        token["id"] = new_id[token["id"]]
    processor = state.get("post_processor") or {}
    for special in processor.get("special_tokens", {}).values():
        special["ids"] = [new_id[old] for old in special["ids"]]

    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(json.dumps(state))
    trimmed = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        **{
            name: getattr(tokenizer, name)
            for name in ("bos_token", "eos_token", "cls_token", "sep_token", "unk_token")
        },
        pad_token=tokenizer.pad_token,
        mask_token=tokenizer.mask_token,
        model_max_length=tokenizer.model_max_length,
    )
    return TrimmedVocabulary(tokenizer=trimmed, old_ids=kept)


def trim_embeddings(embeddings: torch.nn.Embedding, old_ids: list[int]) -> torch.nn.Embedding:
    """A new embedding layer holding only the rows `old_ids`, in that order."""
    weight = embeddings.weight.detach()[torch.tensor(old_ids, dtype=torch.long)].clone()
    trimmed = torch.nn.Embedding(len(old_ids), weight.shape[1], padding_idx=None)
    trimmed.weight = torch.nn.Parameter(weight, requires_grad=embeddings.weight.requires_grad)
    return trimmed
