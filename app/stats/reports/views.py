"""Report pages on the stats blueprint: the list, one report (and its PDF/XLSX), making a report
on demand, the admin's schedules and each reader's email subscriptions.

Supervisors, analysts and admins read reports (officers work their queue); only admins change
the schedules.
"""

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from app.core import formatting
from app.core.validation import positive_int
from app.extensions import db
from app.models import utcnow
from app.stats.models import REPORT_KINDS, Report, ReportKind
from app.stats.reports import documents, html, making, tasks
from app.stats.reports.access import can_read, can_read_reports, readable_reports
from app.stats.reports.common import ReportInputError
from app.stats.reports.labels import KIND_LABELS
from app.stats.reports.schemas import ReportRequestSchema, report_params
from app.stats.reports.view import report_title
from app.stats.views import bp

PER_PAGE = 20
FORM_FIELDS = ("kind", "topic", "case", "from", "to")


def _require_reader() -> None:
    if not can_read_reports(current_user):
        abort(403)


def _readable_report(report_id: int) -> Report:
    _require_reader()
    report = db.session.get(Report, report_id)
    if report is None or not can_read(current_user, report):
        abort(404)
    return report


def _list_page(form: dict, errors: dict, status: int = 200):
    kind = request.args.get("kind")
    kind = kind if kind in REPORT_KINDS else None
    statement = readable_reports(select(Report), current_user)
    if kind:
        statement = statement.where(Report.kind == kind)
    statement = statement.order_by(Report.created_at.desc(), Report.id.desc())
    page = db.paginate(
        statement,
        page=request.args.get("page", 1, type=positive_int),
        per_page=PER_PAGE,
        error_out=False,
    )
    titles = {report.id: report_title(report) for report in page.items}

    def page_url(**changes):
        args = {"kind": kind, **changes}
        return url_for("stats.reports_list", **{k: v for k, v in args.items() if v})

    return (
        render_template(
            "stats/reports.html",
            page=page,
            titles=titles,
            kind=kind,
            kinds=REPORT_KINDS,
            kind_labels=KIND_LABELS,
            page_url=page_url,
            form=form,
            errors=errors,
        ),
        status,
    )


@bp.get("/reports")
@login_required
def reports_list():
    _require_reader()
    return _list_page({"kind": ReportKind.custom.value}, {})


@bp.post("/reports")
@login_required
def generate_report():
    _require_reader()
    form = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
    asked = {name: value for name, value in form.items() if value}
    if asked.get("kind") != ReportKind.custom.value:
        # The daily reports take no topic or dates: ignore what the form still holds.
        asked = {name: value for name, value in asked.items() if name == "kind"}
    try:
        data = ReportRequestSchema().load(asked)
        report = making.generate(
            data["kind"], at=data.get("at"), params=report_params(data), user=current_user
        )
    except ValidationError as error:
        errors = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    except ReportInputError as error:
        errors = error.errors
    else:
        flash(_("The report is ready."), "success")
        return redirect(url_for("stats.report_detail", report_id=report.id))
    return _list_page(form, errors, 422)


@bp.get("/reports/<int:report_id>")
@login_required
def report_detail(report_id: int):
    report = _readable_report(report_id)
    fmt = request.args.get("format")
    if fmt:
        return _download(report, fmt)
    other = "en" if formatting.language() == "vi" else "vi"
    return render_template(
        "stats/report.html",
        report=report,
        other_locale=other,
        **html.page_context(report),
    )


def _download(report: Report, fmt: str) -> Response:
    if fmt not in documents.FORMATS:
        abort(400, description=_("Choose PDF or XLSX."))
    if report.status != "ready":
        abort(409)
    locale = request.args.get("locale")
    locale = locale if locale in documents.LOCALES else formatting.language()
    body, mimetype = documents.render(report, fmt, locale)
    name = documents.filename(report, fmt, locale)
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/reports/schedules", methods=["GET", "POST"])
@login_required
def report_schedules():
    if current_user.role != "admin":
        abort(403)
    schedules = tasks.ensure_default_schedules()
    errors = {}
    if request.method == "POST":
        for schedule in schedules:
            raw = request.form.get(f"time-{schedule.id}", "")
            try:
                tasks.parse_time_of_day(raw)
            except ValueError:
                errors[schedule.id] = _("Write the time as HH:MM, for example 07:00.")
        if not errors:
            for schedule in schedules:
                tasks.update_schedule(
                    schedule,
                    request.form[f"time-{schedule.id}"],
                    request.form.get(f"enabled-{schedule.id}") == "on",
                    actor=current_user._get_current_object(),
                )
            flash(_("The schedules are saved."), "success")
            return redirect(url_for("stats.report_schedules"))
    now = utcnow()
    return (
        render_template(
            "stats/report_schedules.html",
            schedules=schedules,
            next_runs={s.id: tasks.next_run(s, now) for s in schedules},
            kind_labels=KIND_LABELS,
            errors=errors,
            form=request.form,
        ),
        422 if errors else 200,
    )


@bp.route("/reports/subscriptions", methods=["GET", "POST"])
@login_required
def report_subscriptions():
    _require_reader()
    if request.method == "POST":
        for kind in tasks.SCHEDULED_KINDS:
            active = request.form.get(f"{kind}-active") == "on"
            locale = request.form.get(f"{kind}-locale", "vi")
            if locale not in documents.LOCALES:
                abort(400)
            if active or tasks.subscription_for(current_user, kind) is not None:
                tasks.subscribe(current_user, kind, locale, active)
        flash(_("Your subscriptions are saved."), "success")
        return redirect(url_for("stats.report_subscriptions"))
    subscriptions = {
        kind: tasks.subscription_for(current_user, kind) for kind in tasks.SCHEDULED_KINDS
    }
    schedules = {s.kind: s for s in tasks.ensure_default_schedules()}
    return render_template(
        "stats/report_subscriptions.html",
        subscriptions=subscriptions,
        schedules=schedules,
        kind_labels=KIND_LABELS,
        mail_configured=bool(current_app.config.get("MAIL_SERVER")),
    )
