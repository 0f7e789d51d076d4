"""flask --app wsgi triage …: train and evaluate the triage classifier.

Output is for operators and stays in English. Training and evaluating need no
database.

`flask collect sweep` is defined here too: the sweeper is triage's (app/triage/tasks.py),
and collectors, below triage, do not import it; the command joins collectors' group.
"""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.collectors.cli import collect_cli


@click.group("triage", help="Train and evaluate the triage classifier.")
def triage_cli():
    pass


@triage_cli.command("train")
@click.option(
    "--data",
    "data_dir",
    default="data/triage",
    show_default=True,
    type=click.Path(exists=True, file_okay=False),
    help="Folder with train/dev/test.jsonl.",
)
@click.option(
    "--output",
    "output_root",
    default=None,
    type=click.Path(file_okay=False),
    help="Root of the versioned model folders [default: instance/models/triage].",
)
@click.option("--seed", default=13, show_default=True, type=int)
@click.option("--epochs", default=None, type=int, help="Training epochs [default: 3].")
@click.option("--layers", default=None, type=int, help="Encoder layers kept [default: 4].")
@click.option(
    "--trainable-layers", default=None, type=int, help="Top layers fine-tuned [default: 1]."
)
@click.option("--batch-size", default=None, type=int, help="Training batch size [default: 32].")
@click.option("--device", default=None, help="cpu or cuda [default: cuda when available].")
@click.option(
    "--lexical-weight",
    default=None,
    type=float,
    help="Share of the TF-IDF model in the served probabilities, 0 for the transformer "
    "alone [default: the best of 0, 0.1 ... 0.8 on the dev split].",
)
@click.option(
    "--fallback/--no-fallback", default=True, show_default=True,
    help="Also (re)train the TF-IDF fallback.",
)  # fmt: skip
@click.option(
    "--exclude-source",
    default=None,
    help="Leave every text of this source (e.g. vnexpress_comments) out of train and dev, "
    "to score the model on it afterwards (leave-one-source-out). Implies --no-fallback.",
)
@click.option(
    "--if-idle",
    is_flag=True,
    help="Exit quietly (status 0) when a training is already running, instead of failing.",
)
def train_command(
    data_dir,
    output_root,
    seed,
    epochs,
    layers,
    trainable_layers,
    batch_size,
    device,
    lexical_weight,
    fallback,
    exclude_source,
    if_idle,
):
    """Fine-tune the transformer classifier and publish it as the current model.

    One training at a time per models root (a lock); its progress (stage, percent,
    ETA) goes to ``progress.json`` there, which /admin/model shows.
    """
    from app.triage.model import store
    from app.triage.model.progress import TrainingBusy, training_lock

    root = output_root if output_root is not None else store.default_model_root()
    try:
        with training_lock(root):
            _train(
                data_dir, output_root, root, seed, epochs, layers, trainable_layers,
                batch_size, device, lexical_weight, fallback, exclude_source,
            )  # fmt: skip
    except TrainingBusy as busy:
        if if_idle:
            click.echo(f"[progress] {busy}: not starting another")
            return
        raise click.ClickException(str(busy)) from busy


def _train(
    data_dir, output_root, root, seed, epochs, layers, trainable_layers, batch_size, device,
    lexical_weight, fallback, exclude_source,
):  # fmt: skip
    from app.triage.model.progress import ProgressRecorder, progress_path

    if exclude_source and output_root is None:
        raise click.UsageError("--exclude-source needs --output (keep the served model)")
    # The progress file first: /admin/model shows "starting" while torch is still loading.
    progress = ProgressRecorder(progress_path(root), echo=click.echo)
    try:
        from app.triage.model.loop import TrainSettings
        from app.triage.model.train import run_training

        settings = TrainSettings(seed=seed)
        for name, value in (
            ("epochs", epochs),
            ("layers", layers),
            ("trainable_layers", trainable_layers),
            ("batch_size", batch_size),
            ("lexical_weight", lexical_weight),
        ):
            if value is not None:
                setattr(settings, name, value)
        if exclude_source:
            import tempfile

            from app.triage.model.labels import write_without_source

            held_out = tempfile.mkdtemp(prefix="triage-without-")
            counts = write_without_source(data_dir, held_out, exclude_source)
            click.echo(f"[data] without {exclude_source}: {counts}")
            data_dir, fallback = held_out, False
        trained_lexical = None
        if fallback:
            from app.triage.model.fallback import FALLBACK_SEED, train_fallback

            progress("[fallback] training the TF-IDF fallback")
            fitted = train_fallback(data_dir)
            progress(f"[fallback] {fitted.version} saved")
            # The model's TF-IDF blend is the same recipe on the same split: fitted once.
            trained_lexical = fitted if settings.seed == FALLBACK_SEED else None
        version_dir = run_training(
            data_dir, output_root, settings, device=device, progress=progress,
            trained_lexical=trained_lexical,
        )  # fmt: skip
    except (ValueError, FileNotFoundError) as error:
        progress.fail(str(error))
        raise click.ClickException(str(error)) from error
    except BaseException as error:  # interrupted or crashed: the page must not say "running"
        progress.fail(f"{type(error).__name__}: {error}")
        raise
    click.echo(f"model: {version_dir}")


@triage_cli.command("eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--model",
    "model_path",
    default=None,
    type=click.Path(exists=True),
    help="A version folder or a root with a 'current' pointer [default: the current model].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--batch-size", default=32, show_default=True, type=int)
@click.option(
    "--lexical-weight",
    default=None,
    type=float,
    help="Override the model's blend with its TF-IDF model (0: the transformer alone).",
)
def eval_command(path, model_path, as_json, batch_size, lexical_weight):
    """Evaluate a classifier on a labelled JSON Lines file (the dataset's format).

    Prints the served model (with the city's scope rules), the blend, the
    transformer alone and TF-IDF alone, the gazetteer's district and ward
    accuracy, figures per source, then the classic per-head tables.
    """
    from app.triage.model.evaluate import evaluate_examples, format_evaluation
    from app.triage.model.inference import load_classifier
    from app.triage.model.labels import DatasetError, load_examples

    try:
        examples = load_examples(path)
    except DatasetError as error:
        raise click.ClickException(str(error)) from error
    if not examples:
        raise click.ClickException(f"{path} holds no examples")
    from app.triage.model.store import resolve_model_dir

    if model_path is not None and resolve_model_dir(model_path) is None:
        raise click.ClickException(f"no trained model at {model_path}")
    classifier = load_classifier(model_path)
    if lexical_weight is not None and classifier.kind == "transformer":
        from app.triage.model.inference import TransformerClassifier

        # A private copy: the override must not change the process-wide cached model.
        classifier = TransformerClassifier.load(resolve_model_dir(model_path))
        classifier.lexical_weight = lexical_weight
    from app.triage.evaluation import evaluate_plain, evaluate_real, format_report

    report = evaluate_examples(classifier, examples, batch_size=batch_size)
    report["file"] = str(Path(path))
    score = evaluate_real if classifier.kind == "transformer" else evaluate_plain
    figures = score(classifier, examples)
    report.update({key: figures[key] for key in ("variants", "place", "sources") if key in figures})
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(figures, source=str(path)))
        click.echo("")
        click.echo(format_evaluation(report, source=str(path)))


@triage_cli.command("export-labels")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_labels_command(path):
    """Write the analysts' review decisions as JSONL training examples to PATH."""
    from app.triage.review import export_labels

    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for line in export_labels():
            handle.write(line + "\n")
            count += 1
    click.echo(f"{count} labelled examples written to {path}")


@collect_cli.command("sweep")
@with_appcontext
def sweep_command():
    """Re-enqueue posts that never reached triage."""
    from app.triage.tasks import sweep_pending_posts

    click.echo(f"re-enqueued {sweep_pending_posts()} posts")
