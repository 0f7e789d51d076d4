"""Translated labels for the codes cases use (statuses, categories, priorities, events)."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "received": _l("Received"),
    "verifying": _l("Verifying"),
    "in_progress": _l("In progress"),
    "waiting": _l("Waiting for coordination"),
    "resolved": _l("Resolved"),
    "responded": _l("Publicly answered"),
    "closed": _l("Closed"),
    "rejected": _l("Not handled"),
}
#: What the button that moves a case to a status says.
TRANSITION_ACTIONS = {
    "verifying": _l("Start verification"),
    "in_progress": _l("Start handling"),
    "waiting": _l("Wait for coordination"),
    "resolved": _l("Mark resolved"),
    "responded": _l("Publish response"),
    "closed": _l("Close"),
    "rejected": _l("Reject"),
}
REOPEN_ACTIONS = {"in_progress": _l("Reopen"), "verifying": _l("Reopen for verification")}
CATEGORY_LABELS = {
    "flooding": _l("Flooding and drainage"),
    "traffic": _l("Traffic"),
    "environment": _l("Environment and waste"),
    "urban_order": _l("Urban order and construction"),
    "security": _l("Security and safety"),
    "infrastructure": _l("Urban infrastructure"),
    "administrative": _l("Administrative procedures and public services"),
    "health": _l("Health"),
    "education": _l("Education"),
    "other": _l("Other"),
}
PRIORITY_LABELS = {
    "P1": _l("P1 – danger now"),
    "P2": _l("P2 – wide impact"),
    "P3": _l("P3 – normal"),
    "P4": _l("P4 – low"),
}
#: A case's source (`Case.source`, the part before any ":"), as statistics and reports name it.
SOURCE_LABELS = {
    "facebook": "Facebook",
    "youtube": "YouTube",
    "x": "X",
    "zalo": "Zalo",
    "press": _l("Press"),
    "rss": _l("Press"),
    "citizen": _l("Citizen report"),
    "webhook": _l("Partner webhook"),
    "open311": "Open311",
    "hotline": _l("Hotline"),
    "manual": _l("Entered by staff"),
    "import": _l("Import"),
}
REJECT_REASON_LABELS = {
    "spam": _l("Spam"),
    "false_information": _l("False information"),
    "out_of_scope": _l("Out of scope"),
    "duplicate": _l("Duplicate"),
}
EVENT_LABELS = {
    "created": _l("Case opened"),
    "status_changed": _l("Status changed"),
    "assigned": _l("Assigned"),
    "transferred": _l("Transferred"),
    "comment": _l("Internal note"),
    "public_reply": _l("Public response"),
    "merged": _l("Duplicate merged in"),
    "merged_into": _l("Merged into another case"),
    "response_submitted": _l("Response submitted for approval"),
    "response_approved": _l("Response approved"),
    "response_returned": _l("Response returned"),
    "updated": _l("Details updated"),
    "sla_at_risk": _l("Deadline at risk"),
    "sla_breached": _l("Deadline missed"),
    "triage": _l("Triage"),
    "routed": _l("Routed"),
    "problem_persists": _l("Problem persists"),
    "citizen_feedback": _l("Citizen feedback"),
    "public_note_submitted": _l("Public note submitted for approval"),
    "public_note_approved": _l("Public note approved"),
    "public_note_rejected": _l("Public note rejected"),
}
SORT_LABELS = {
    "next_due": _l("Next deadline first"),
    "-created_at": _l("Newest first"),
    "created_at": _l("Oldest first"),
    "-updated_at": _l("Recently changed"),
    "priority": _l("Priority"),
    "-mentions": _l("Most mentions"),
}

METRIC_LABELS = {
    "verify": _l("Verification"),
    "resolve": _l("Resolution"),
    "respond": _l("Public response"),
}
CLOCK_STATE_LABELS = {
    "running": _l("Running"),
    "paused": _l("Paused"),
    "met": _l("Met"),
    "breached": _l("Missed"),
    "cancelled": _l("Not needed"),
}
COUNTING_LABELS = {"working": _l("working time"), "calendar": _l("around the clock")}
DAY_KIND_LABELS = {"day_off": _l("Day off"), "make_up": _l("Make-up working day")}
WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
#: What a waiting case's button says when it goes back.
RESUME_ACTIONS = {"verifying": _l("Resume verification"), "in_progress": _l("Resume handling")}


def label(mapping: dict, code: str | None) -> str:
    """The translated label of a code, or the code itself when unknown."""
    if code is None:
        return "—"
    return str(mapping.get(code, code))


def person_name(user) -> str:
    """How a person is shown: the name they go by, the e-mail only when no name is set."""
    if user is None:
        return "—"
    return (user.full_name or "").strip() or user.email


def calendar_name(calendar) -> str:
    """A working calendar's name; the built-in "default" one is called by what it is."""
    if calendar.is_default:
        return str(_l("City office hours"))
    return calendar.name


def _assignee_name(event) -> str:
    """The person a case was assigned to, by name (the event stores their e-mail and id)."""
    from app.extensions import db
    from app.users.models import User

    user_id = (event.data or {}).get("assignee_id")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is not None:
        return person_name(user)
    return event.to_value or str(_l("nobody"))


def event_detail(event) -> str | None:
    """What follows an event's name in the timeline ("Assigned: Nguyễn Văn An"), or None."""
    data = event.data or {}
    kind = str(getattr(event.kind, "value", event.kind))
    if kind == "status_changed":
        detail = (
            f"{label(STATUS_LABELS, event.from_value)} → {label(STATUS_LABELS, event.to_value)}"
        )
    elif kind == "transferred":
        detail = f"{data.get('from_unit')} → {data.get('to_unit')}"
    elif kind == "assigned":
        detail = _assignee_name(event) if event.to_value else str(_l("nobody"))
    elif kind in ("merged", "merged_into"):
        detail = event.from_value or event.to_value
    elif kind in ("sla_at_risk", "sla_breached"):
        detail = label(METRIC_LABELS, data.get("metric"))
    else:
        detail = None
    return detail
