"""The officers' queue and the case page. Thin: read the form, call one operation, redirect."""

from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.cases import bulk as case_bulk
from app.cases import (
    carries,
    choices,
    comments,
    labels,
    moves,
    operations,
    permissions,
    queries,
    queue_rows,
    response_text,
    workflow,
)
from app.cases.blueprint import bp
from app.cases.models import CATEGORIES, PRIORITIES, Case, ResponseTemplate
from app.cases.operations import CaseError
from app.cases.schemas import (
    ApprovalSchema,
    CaseCreateSchema,
    CommentSchema,
    TransferSchema,
    TransitionSchema,
    list_args_from,
)
from app.cases.sla import countdown
from app.core import formatting
from app.core.codes import normalize_code
from app.core.validation import is_id, positive_int
from app.extensions import db
from app.units.models import LOCAL_KINDS, Unit
from app.units.place_map import map_for
from app.users.models import User


@bp.app_context_processor
def case_labels():
    return {"labels": labels, "label": labels.label}


def _case_or_404(case_id: int) -> Case:
    try:
        return operations.get_case_for(current_user, case_id)
    except CaseError:
        abort(404)


def _flash_error(error: CaseError | ValidationError) -> None:
    if isinstance(error, ValidationError):
        fields = ", ".join(sorted(error.messages)) if isinstance(error.messages, dict) else ""
        flash(_("Please check these fields: %(fields)s", fields=fields), "error")
    elif error.code == "stale_version":
        flash(_("Someone else changed this case meanwhile. Review it and try again."), "error")
    elif error.code == "illegal_transition":
        flash(_("That step is not allowed in the case's current status."), "error")
    elif error.status == 403:
        flash(_("You are not allowed to do that."), "error")
    else:
        flash(_("The change was refused: %(message)s", message=error.message), "error")


def _back_to(case: Case):
    return redirect(url_for("cases.detail", case_id=case.id), code=303)


@bp.get("/cases")
@login_required
def queue():
    try:
        args = list_args_from(request.args)
    except ValidationError as error:
        _flash_error(error)
        args = list_args_from(MultiDict())
    # The colleagues first: most rows' assignees are among them, and then need no query.
    assignees = _colleagues()
    filters, page = queries.queue_page(current_user, args)
    clocks = queries.open_clocks([case.id for case in page.items])
    return render_template(
        "cases/queue.html",
        page=page,
        rows=queue_rows.rows(page.items, clocks, countdown.for_request()),
        filters=filters,
        args=args,
        wards=choices.ward_choices(),
        assignees=assignees,
        categories=CATEGORIES,
        priorities=PRIORITIES,
        statuses=[s.value for s in workflow.Status],
        bulk_statuses=BULK_STATUSES,
        sorts=labels.SORT_LABELS,
        page_url=_page_url,
    )


#: The statuses the queue can move several cases to: the moves that need no further input
#: (rejecting needs a reason and publishing the response text, given on the case page).
BULK_STATUSES = ("verifying", "in_progress", "waiting", "resolved", "closed")


def _page_url(**changes) -> str:
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        args[key] = [value]
    return url_for("cases.queue") + "?" + urlencode(args, doseq=True)


def _wards_in_scope() -> list[Unit]:
    return db.session.scalars(
        select(Unit).where(Unit.kind.in_([k.value for k in LOCAL_KINDS])).order_by(Unit.name_vi)
    ).all()


def _colleagues(unit_id: int | None = None) -> list[User]:
    scope = {unit_id} if unit_id else permissions.visible_unit_ids(current_user)
    statement = select(User).where(User.is_active_account.is_(True)).order_by(User.full_name)
    if scope is not None:
        statement = statement.where(User.unit_id.in_(scope))
    return db.session.scalars(statement).all()


@bp.post("/cases/bulk")
@login_required
def bulk():
    """Assign or move the selected cases, or every case the queue's filters match.

    Each case is checked on its own (case_bulk.apply); the flashes say, per case, why not.
    """
    back = redirect(request.referrer or url_for("cases.queue"), code=303)
    action = request.form.get("action")
    try:
        ids = _bulk_case_ids()
    except case_bulk.TooManyCases as error:
        flash(
            _(
                "%(num)d cases match these filters; one bulk action changes at most %(max)d. "
                "Narrow the filters.",
                num=error.count,
                max=case_bulk.MAX_CASES,
            ),
            "error",
        )
        return back
    except ValidationError as error:
        _flash_error(error)
        return back
    if not ids or action not in case_bulk.ACTIONS:
        flash(_("Choose cases and an action."), "error")
        return back
    assignee, to = None, None
    if action == "assign":
        raw = request.form.get("assignee_id", "")
        if raw == "me":
            assignee = current_user
        elif is_id(raw):
            assignee = db.session.get(User, int(raw))
        if assignee is None and raw != "none":
            flash(_("Choose whom to assign the cases to."), "error")
            return back
    else:
        to = request.form.get("to", "")
        if to not in {s.value for s in workflow.Status}:
            flash(_("Choose the status to move the cases to."), "error")
            return back
    note = request.form.get("note", "").strip()[:5000] or None
    outcome = case_bulk.apply(
        current_user, ids, action, assignee=assignee, to=to, note=note, versions=_bulk_versions()
    )
    if outcome.changed:
        flash(_("%(count)d case(s) updated.", count=len(outcome.changed)), "success")
    for refusal in outcome.refused[:BULK_REASONS_SHOWN]:
        flash(_refusal_text(refusal, action), "error")
    hidden = len(outcome.refused) - BULK_REASONS_SHOWN
    if hidden > 0:
        flash(_("…and %(count)d more case(s) not changed.", count=hidden), "error")
    return back


#: Per-case reasons shown after a bulk action; the rest are counted (flashes live in the cookie).
BULK_REASONS_SHOWN = 10


def _bulk_case_ids() -> list[int]:
    """The ticked cases, or with scope=filtered every case the queue's filters match."""
    if request.form.get("scope") != "filtered":
        return [int(v) for v in request.form.getlist("case_ids") if is_id(v)][
            : case_bulk.MAX_CASES + 1
        ]
    query = request.form.get("filters", "")[:2000]
    args = list_args_from(MultiDict(parse_qsl(query)))
    return case_bulk.matching_ids(current_user, queries.filters_from(args))


def _bulk_versions() -> dict[int, int]:
    """version_<id> fields: the version of each case the user saw on the queue page."""
    versions = {}
    for key, value in request.form.items():
        name, _sep, case_id = key.partition("_")
        if name == "version" and is_id(case_id) and is_id(value):
            versions[int(case_id)] = int(value)
    return versions


def _refusal_text(refusal: case_bulk.Refusal, action: str) -> str:
    """Why one case was left as it was, in the user's language."""
    if refusal.case_code is None:
        return _("Case #%(id)d: not found among your units' cases.", id=refusal.case_id)
    details, code = refusal.details, refusal.case_code
    status = labels.label(labels.STATUS_LABELS, details.get("status"))
    match refusal.reason:
        case "stale_version":
            return _("%(code)s: changed by someone else meanwhile.", code=code)
        case "not_assignable" if details.get("status") == "closed":
            return _("%(code)s: closed cases can't be assigned.", code=code)
        case "not_assignable":
            return _("%(code)s: cases in “%(status)s” can't be assigned.", code=code, status=status)
        case "forbidden" if action == "assign":
            return _(
                "%(code)s: only supervisors assign cases to others; you can take a case yourself.",
                code=code,
            )
        case "forbidden":
            return _("%(code)s: your role can read this case but not change it.", code=code)
        case "invalid_input" if action == "assign":
            return _(
                "%(code)s: %(person)s is not a member of the case's unit (%(unit)s).",
                code=code,
                person=details.get("assignee", ""),
                unit=details["unit"].display_name(get_locale().language),
            )
        case "illegal_transition":
            return _(
                "%(code)s: a case in “%(status)s” cannot move to “%(target)s”.",
                code=code,
                status=status,
                target=labels.label(labels.STATUS_LABELS, details.get("to")),
            )
        case "reason_required":
            return _("%(code)s: rejecting needs a reason; reject it from its page.", code=code)
        case "response_required":
            return _("%(code)s: the public response is written on the case's page.", code=code)
    return _("%(code)s: the change was refused.", code=code)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new():
    if current_user.role == "analyst":
        abort(403)
    if request.method == "POST":
        try:
            data = CaseCreateSchema().load(request.form.to_dict())
            case = operations.create_case(current_user, data)
        except (ValidationError, CaseError) as error:
            _flash_error(error)
        else:
            flash(_("Case %(code)s opened.", code=case.code), "success")
            return _back_to(case)
    return render_template(
        "cases/new.html",
        categories=CATEGORIES,
        priorities=PRIORITIES,
        wards=_wards_in_scope(),
        form=request.form,
    )


@bp.get("/cases/<int:case_id>")
@login_required
def detail(case_id: int):
    case = _case_or_404(case_id)
    templates = db.session.scalars(
        select(ResponseTemplate)
        .where(ResponseTemplate.category == case.category, ResponseTemplate.is_active.is_(True))
        .order_by(ResponseTemplate.title)
    ).all()
    templates = response_text.filled(templates, case, formatting.language())
    can_change = permissions.can_change(current_user, case)
    carried = carries.for_case(case, request.args.get("posts_page", 1, type=positive_int))
    return render_template(
        "cases/detail.html",
        case=case,
        carried=carried,
        place_map=map_for(case.ward, carried.pin),
        can_change=can_change,
        can_approve=permissions.can_approve_responses(current_user, case),
        held_notes=comments.held_notes(case),
        can_reassign=can_change and current_user.role in ("supervisor", "admin"),
        next_statuses=workflow.allowed_transitions(case.status, case.status_before_waiting)
        if can_change
        else [],
        can_transfer=can_change and workflow.Status(case.status) in workflow.TRANSFERABLE,
        reopenings={target for (source, target) in workflow.REOPENINGS if source == case.status},
        colleagues=_colleagues(case.unit_id),
        units=db.session.scalars(select(Unit).order_by(Unit.sort_order, Unit.name_vi)).all(),
        templates=templates,
    )


@bp.post("/cases/<int:case_id>/transition")
@login_required
def transition(case_id: int):
    case = _case_or_404(case_id)
    try:
        data = TransitionSchema().load(request.form.to_dict())
        operations.transition(
            case,
            data["to"],
            current_user,
            data["note"],
            version=data["version"],
            reject_reason=data["reason"],
            public_response=data["public_response"],
        )
    except (ValidationError, CaseError) as error:
        db.session.rollback()
        _flash_error(error)
    else:
        if case.pending_response and case.status != data["to"]:
            flash(_("The response waits for a supervisor's approval."), "info")
        else:
            flash(
                _(
                    "Status changed to: %(status)s",
                    status=labels.label(labels.STATUS_LABELS, case.status),
                ),
                "success",
            )
    return _back_to(case)


@bp.post("/cases/<int:case_id>/assign")
@login_required
def assign(case_id: int):
    case = _case_or_404(case_id)
    raw = request.form.get("assignee_id", "")
    assignee = (
        current_user if raw == "me" else (db.session.get(User, int(raw)) if is_id(raw) else None)
    )
    try:
        operations.assign(
            case, assignee, current_user, version=request.form.get("version", type=positive_int)
        )
    except CaseError as error:
        db.session.rollback()
        _flash_error(error)
    else:
        flash(_("Assignment saved."), "success")
    return _back_to(case)


@bp.post("/cases/<int:case_id>/transfer")
@login_required
def transfer(case_id: int):
    case = _case_or_404(case_id)
    try:
        data = TransferSchema().load(request.form.to_dict())
        unit = db.session.scalar(select(Unit).where(Unit.code == data["unit"]))
        if unit is None:
            raise CaseError(422, "invalid_input", _("Unknown unit."))
        moves.transfer(case, unit, current_user, data["reason"], version=data["version"])
    except (ValidationError, CaseError) as error:
        db.session.rollback()
        _flash_error(error)
        return _back_to(case)
    flash(_("Case transferred to %(unit)s.", unit=unit.name_vi), "success")
    if permissions.can_see(current_user, case):
        return _back_to(case)
    return redirect(url_for("cases.queue"), code=303)


@bp.post("/cases/<int:case_id>/comment")
@login_required
def comment(case_id: int):
    case = _case_or_404(case_id)
    try:
        data = CommentSchema().load(
            {
                "body": request.form.get("body", ""),
                "is_public": request.form.get("visibility") == "public",
            }
        )
        event = comments.add_comment(case, current_user, data["body"], is_public=data["is_public"])
    except (ValidationError, CaseError) as error:
        db.session.rollback()
        _flash_error(error)
    else:
        if comments.is_held(event):
            flash(_("The public note waits for a supervisor's approval."), "info")
        else:
            flash(_("Note added."), "success")
    return _back_to(case)


@bp.post("/cases/<int:case_id>/notes/<int:event_id>/approval")
@login_required
def note_approval(case_id: int, event_id: int):
    """A supervisor publishes or rejects (with a reason) a public note held for approval."""
    case = _case_or_404(case_id)
    try:
        data = ApprovalSchema().load(
            {
                "version": request.form.get("version"),
                "approve": request.form.get("decision") == "approve",
                "note": request.form.get("reason"),
            }
        )
        if data["approve"]:
            comments.approve_note(case, current_user, event_id, version=data["version"])
            flash(_("Public note published."), "success")
        else:
            comments.reject_note(
                case, current_user, event_id, data["note"], version=data["version"]
            )
            flash(_("Public note rejected; citizens will not see it."), "info")
    except (ValidationError, CaseError) as error:
        db.session.rollback()
        _flash_error(error)
    return _back_to(case)


@bp.post("/cases/<int:case_id>/merge")
@login_required
def merge(case_id: int):
    case = _case_or_404(case_id)
    code = normalize_code(request.form.get("into", ""))
    target = db.session.scalar(select(Case).where(Case.code == code)) if code else None
    try:
        if target is None:
            raise CaseError(422, "invalid_input", _("No case with that tracking code."))
        moves.merge(
            case,
            target,
            current_user,
            version=request.form.get("version", type=positive_int),
            note=request.form.get("note") or None,
        )
    except CaseError as error:
        db.session.rollback()
        _flash_error(error)
    else:
        flash(_("Merged into %(code)s.", code=target.code), "success")
    return _back_to(case)


@bp.post("/cases/<int:case_id>/approval")
@login_required
def approval(case_id: int):
    case = _case_or_404(case_id)
    version = request.form.get("version", type=positive_int)
    try:
        if request.form.get("decision") == "approve":
            operations.approve_response(case, current_user, version=version)
            flash(_("Response published."), "success")
        else:
            operations.return_response(
                case, current_user, request.form.get("note", ""), version=version
            )
            flash(_("Response returned to the officer."), "info")
    except CaseError as error:
        db.session.rollback()
        _flash_error(error)
    return _back_to(case)
