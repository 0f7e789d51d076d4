"""/admin/model: which triage model serves, and how far the background training has got."""

from datetime import datetime

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from app.triage.model.progress import read_status
from app.triage.views import _require, bp

#: The stages of `triage train` (`progress.STAGE_PERCENT`), as the page names them.
STAGE_LABELS = {
    "starting": _l("Starting"),
    "fallback": _l("Training the TF-IDF fallback"),
    "setup": _l("Setting up"),
    "data": _l("Reading the labelled posts"),
    "encoder": _l("Preparing the base encoder"),
    "model": _l("Building the model"),
    "cache": _l("Running the frozen layers"),
    "train": _l("Training the top layers"),
    "lexical": _l("Training the TF-IDF model"),
    "blend": _l("Choosing the blend"),
    "review": _l("Choosing the review thresholds"),
    "save": _l("Saving"),
    "eval": _l("Evaluating"),
    "done": _l("Done"),
}
#: While a training runs the page reloads itself this often (seconds).
REFRESH_SECONDS = 15


@bp.get("/admin/model")
@login_required
def model_status():
    _require("admin")
    status = read_status()
    training = status["training"] or {}
    started = None
    if training.get("started_at"):
        try:
            started = datetime.fromisoformat(training["started_at"])
        except (TypeError, ValueError):
            started = None
    return render_template(
        "triage/model.html",
        status=status,
        training=training,
        started=started,
        stage_label=STAGE_LABELS.get(training.get("stage"), training.get("stage")),
        refresh=REFRESH_SECONDS if training.get("state") == "running" else None,
    )
