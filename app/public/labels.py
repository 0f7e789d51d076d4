"""Plain words for citizens: what each status means for them."""

from flask_babel import lazy_gettext as _l

PLAIN_STATUS = {
    "received": _l("Received: we have your report."),
    "verifying": _l("Being checked by the responsible unit."),
    "in_progress": _l("Being handled."),
    "waiting": _l("Waiting for another agency to help."),
    "resolved": _l("Handled; the public answer is being prepared."),
    "responded": _l("Answered publicly."),
    "closed": _l("Closed."),
    "rejected": _l("Not handled (out of scope, duplicate or not confirmed)."),
}
CLASSIFYING = _l("Received: your report is being classified and reviewed.")
SCORES = {
    1: _l("1 – very unhappy"),
    2: _l("2 – unhappy"),
    3: _l("3 – neutral"),
    4: _l("4 – happy"),
    5: _l("5 – very happy"),
}
