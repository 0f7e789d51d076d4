"""Admin pages for SLA policies (list, edit, reorder) and calendars (slots, days off, làm bù)."""

from datetime import date, timedelta

import holidays as holidays_package
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.cases.blueprint import bp
from app.cases.models import CATEGORIES, PRIORITIES
from app.cases.sla import policies, store
from app.cases.sla.models import METRICS, DayKind, SlaCalendar, SlaPolicy
from app.cases.sla.tasks import schedule_recompute
from app.core.time import ZONE_NAME
from app.extensions import db
from app.models import utcnow
from app.units.models import Unit
from app.users.access import admin_required
from app.users.admin import audit


def _calendars() -> list[SlaCalendar]:
    return list(db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)))


@bp.get("/admin/sla/policies")
@admin_required
def sla_policies():
    return render_template(
        "cases/sla_policies.html", policies=policies.ordered_policies(), metrics=METRICS
    )


@bp.route("/admin/sla/policies/new", methods=["GET", "POST"])
@bp.route("/admin/sla/policies/<int:policy_id>", methods=["GET", "POST"])
@admin_required
def sla_policy(policy_id: int | None = None):
    policy = db.session.get(SlaPolicy, policy_id) if policy_id else None
    if policy_id and policy is None:
        abort(404)
    errors = {}
    if request.method == "POST":
        try:
            # Added before the change: the change's own commit writes both, or neither.
            audit(current_user, "sla_policy.save", "sla_policy", policy_id,
                  name=request.form.get("name", "")[:120])  # fmt: skip
            policies.save_policy(policy, request.form.to_dict())
        except policies.PolicyError as error:
            db.session.rollback()
            errors[error.field] = str(error)
            flash(_("Please check these fields: %(fields)s", fields=error.field), "error")
        else:
            schedule_recompute(rematch=True)
            flash(_("Policy saved. Running clocks are being recomputed."), "success")
            return redirect(url_for("cases.sla_policies"), code=303)
    return render_template(
        "cases/sla_policy_form.html",
        policy=policy,
        form=request.form if request.method == "POST" else None,
        errors=errors,
        metrics=METRICS,
        categories=CATEGORIES,
        priorities=PRIORITIES,
        units=db.session.scalars(select(Unit).order_by(Unit.sort_order, Unit.name_vi)).all(),
        calendars=_calendars(),
    )


@bp.post("/admin/sla/policies/<int:policy_id>/move")
@admin_required
def sla_policy_move(policy_id: int):
    policy = db.session.get(SlaPolicy, policy_id) or abort(404)
    audit(current_user, "sla_policy.move", "sla_policy", policy_id,
          direction=request.form.get("direction"))  # fmt: skip
    if policies.move_policy(policy, -1 if request.form.get("direction") == "up" else 1):
        schedule_recompute(rematch=True)
    flash(_("Order saved. Running clocks are being recomputed."), "success")
    return redirect(url_for("cases.sla_policies"), code=303)


@bp.post("/admin/sla/policies/<int:policy_id>/delete")
@admin_required
def sla_policy_delete(policy_id: int):
    policy = db.session.get(SlaPolicy, policy_id) or abort(404)
    audit(current_user, "sla_policy.delete", "sla_policy", policy_id, name=policy.name)
    policies.delete_policy(policy)
    schedule_recompute(rematch=True)
    flash(_("Policy deleted."), "success")
    return redirect(url_for("cases.sla_policies"), code=303)


@bp.route("/admin/sla/calendars", methods=["GET", "POST"])
@bp.route("/admin/sla/calendars/<int:calendar_id>", methods=["GET", "POST"])
@admin_required
def sla_calendar(calendar_id: int | None = None):
    """Without an id: the list and a form for a new calendar; with one: that calendar."""
    row = db.session.get(SlaCalendar, calendar_id) if calendar_id else None
    if calendar_id and row is None:
        abort(404)
    errors = {}
    if request.method == "POST":
        try:
            audit(current_user, "calendar.save", "sla_calendar", calendar_id,
                  name=request.form.get("name", "")[:120])  # fmt: skip
            row = store.save_calendar(
                row,
                name=request.form.get("name", ""),
                timezone=request.form.get("timezone", ""),
                holiday_country=request.form.get("holiday_country"),
                weekly={day: request.form.get(f"slots_{day}", "") for day in range(7)},
            )
        except store.CalendarError as error:
            db.session.rollback()
            errors[error.field] = str(error)
            flash(_("Please check these fields: %(fields)s", fields=error.field), "error")
        else:
            schedule_recompute(calendar_ids=[row.id])
            flash(_("Calendar saved. Running clocks are being recomputed."), "success")
            return redirect(url_for("cases.sla_calendar", calendar_id=row.id), code=303)
    return render_template(
        "cases/sla_calendar.html",
        calendar=row,
        calendars=_calendars(),
        form=request.form if request.method == "POST" else None,
        errors=errors,
        weekly={day: store.format_slots(row, day) if row else "" for day in range(7)},
        upcoming=_upcoming_holidays(row),
        day_kinds=list(DayKind),
        today=utcnow().date(),
        default_timezone=ZONE_NAME,
    )


@bp.post("/admin/sla/calendars/<int:calendar_id>/days")
@admin_required
def sla_calendar_add_day(calendar_id: int):
    row = db.session.get(SlaCalendar, calendar_id) or abort(404)
    try:
        day = date.fromisoformat(request.form.get("day", ""))
        audit(current_user, "calendar.add_day", "sla_calendar", calendar_id, day=day.isoformat(),
              kind=request.form.get("kind", ""))  # fmt: skip
        store.add_day(
            row, day, request.form.get("kind", ""), request.form.get("note", ""), current_user
        )
    except ValueError:
        db.session.rollback()
        flash(_("Choose a date and whether it is a day off or a make-up working day."), "error")
    else:
        schedule_recompute(calendar_ids=[row.id])
        flash(_("Day saved. Running clocks are being recomputed."), "success")
    return redirect(url_for("cases.sla_calendar", calendar_id=row.id), code=303)


@bp.post("/admin/sla/calendars/<int:calendar_id>/days/<int:day_id>/delete")
@admin_required
def sla_calendar_remove_day(calendar_id: int, day_id: int):
    row = db.session.get(SlaCalendar, calendar_id) or abort(404)
    try:
        audit(current_user, "calendar.remove_day", "sla_calendar", calendar_id, day_id=day_id)
        store.remove_day(row, day_id)
    except store.CalendarError:
        abort(404)
    schedule_recompute(calendar_ids=[row.id])
    flash(_("Day removed. Running clocks are being recomputed."), "success")
    return redirect(url_for("cases.sla_calendar", calendar_id=row.id), code=303)


def _upcoming_holidays(row: SlaCalendar | None) -> list[tuple[date, str]]:
    """The country's public holidays in the next twelve months, for the admin's reference."""
    if row is None or not row.holiday_country:
        return []
    today = utcnow().date()
    language = "en_US" if str(get_locale()) == "en" else "vi"
    try:
        listed = holidays_package.country_holidays(
            row.holiday_country, years=[today.year, today.year + 1], language=language
        )
    except NotImplementedError:
        return []
    horizon = today + timedelta(days=365)
    return sorted((day, name) for day, name in listed.items() if today <= day <= horizon)
