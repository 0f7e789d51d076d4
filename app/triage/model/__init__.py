"""The triage classifier: relevance, category and sentiment of a post, with its embedding.

* `load_classifier(path=None)` -> the trained transformer (``instance/models/triage/current``)
  or, until one is trained, the TF-IDF fallback; loaded once per process.
* `predict(texts)` -> one `Prediction` per text, batched.
* ``flask --app wsgi triage train`` / ``triage eval FILE.jsonl`` (`app.triage.cli`).

Modules: `labels` (label maps, dataset), `preprocess` (text form), `vocab`
(vocabulary trimming), `modeling` (TriageConfig/TriageModel), `build` (from the
base encoder), `loop` (cached-feature training loop), `train` (a versioned
run), `store` (versions and the ``current`` pointer), `prediction` (what a
classifier returns), `inference`, `fallback`, `metrics`, `evaluate`.

Names are imported lazily, so ``import app.triage.model`` does not load torch.
"""

__all__ = ["Prediction", "clear_cache", "load_classifier", "load_count", "predict"]


def __getattr__(name: str):
    if name == "Prediction":
        from app.triage.model.prediction import Prediction

        return Prediction
    if name in __all__:
        from app.triage.model import inference

        return getattr(inference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
