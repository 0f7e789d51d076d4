"""The citizens' portal under /public: thin handlers over operations, reports and stats."""

import uuid
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.cases import media as case_media
from app.cases.models import CATEGORIES
from app.core.codes import normalize_code
from app.core.time import local_midnight
from app.core.validation import parse_date, positive_int
from app.extensions import db
from app.models import utcnow
from app.public import operations, ratelimit, reports, stats
from app.public.labels import CLASSIFYING, PLAIN_STATUS, SCORES
from app.public.photos import PhotoError, store_photo
from app.units.models import LOCAL_KINDS, FormerDistrict, Unit
from app.units.place_map import map_for

bp = Blueprint(
    "public",
    __name__,
    url_prefix="/public",
    template_folder="templates",
    static_folder="static",
)
PER_PAGE = 20


@bp.context_processor
def _public_labels() -> dict:
    return {"plain_status": PLAIN_STATUS, "plain_classifying": CLASSIFYING, "scores": SCORES}


def _wards() -> list[Unit]:
    kinds = [k.value for k in LOCAL_KINDS]
    return db.session.scalars(select(Unit).where(Unit.kind.in_(kinds)).order_by(Unit.name_vi)).all()


def _districts() -> list[FormerDistrict]:
    return db.session.scalars(select(FormerDistrict).order_by(FormerDistrict.name)).all()


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.get("/track")
def track():
    code = normalize_code(request.args.get("code", ""))
    if code is None:
        error = _("This is not a valid tracking code. It looks like HCM-7K3M-Q9XW5.")
        return render_template("public/index.html", error=error, code=request.args.get("code")), 400
    return redirect(url_for("public.case", code=code))


@bp.get("/cases/<code>")
def case(code: str):
    found = operations.lookup(code)
    if found is None:
        return render_template("public/not_found.html", code=code), 404
    return render_template(
        "public/case.html", lookup=found, case=found.case, place_map=_place_map(found.case)
    )


def _place_map(case: operations.PublicCase | None):
    """The case's ward among its neighbours, with a pin at the case's own coordinates."""
    if case is None:
        return None
    known = case.latitude is not None and case.longitude is not None
    return map_for(case.ward, (case.latitude, case.longitude) if known else None)


@bp.post("/cases/<code>/feedback")
def feedback_without_link(code: str):
    """The open form of old: only the reporter's link may answer now."""
    return render_template("public/feedback_invalid.html", code=code), 403


@bp.route("/cases/<code>/feedback/<token>", methods=["GET", "POST"])
def reporter_feedback(code: str, token: str):
    """The reporter's secret link: the case page with the form to confirm or refuse the solution."""
    if request.method == "POST" and not ratelimit.hit(
        "feedback", current_app.config["PUBLIC_FEEDBACK_PER_HOUR"]
    ):
        return render_template("public/too_many.html"), 429
    found = operations.reporter_lookup(code, token)
    if found is None:
        return _private(render_template("public/feedback_invalid.html", code=code), 404)
    if request.method == "GET":
        return _reporter_page(found)
    solved = request.form.get("solved")
    score = request.form.get("score", type=int)
    try:
        if solved not in ("yes", "no"):
            raise operations.FeedbackError(_("Please say whether the problem is solved."))
        if found.case is None:
            raise operations.FeedbackError(_("Feedback is possible once the city has responded."))
        operations.give_feedback(found.case, is_solved=solved == "yes", score=score)
    except operations.FeedbackError as error:
        again = operations.reporter_lookup(code, token)
        return _reporter_page(again, feedback_error=str(error), status=422)
    return redirect(url_for("public.case", code=found.case.code, thanks=1))


def _reporter_page(found: operations.ReporterLookup, status: int = 200, **context):
    page = render_template(
        "public/case.html",
        lookup=found.lookup,
        case=found.lookup.case,
        place_map=_place_map(found.lookup.case),
        feedback_url=request.path,
        **context,
    )
    return _private(page, status)


def _private(page: str, status: int):
    """A page whose address holds a secret: not cached, its address never sent as a referrer."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _local_day(value: str | None, plus_days: int = 0) -> datetime | None:
    """A YYYY-MM-DD filter as a local midnight; a bad or out-of-range date is ignored."""
    try:
        day = parse_date(value or "")
    except ValueError:
        return None
    return local_midnight(day + timedelta(days=plus_days))


@bp.get("/browse")
def browse():
    args = request.args
    filters = operations.BrowseFilters(
        q=args.get("q", "").strip(),
        ward=args.get("ward", ""),
        district=args.get("district", ""),
        category=args.get("category", "") if args.get("category") in CATEGORIES else "",
        date_from=_local_day(args.get("date_from")),
        date_to=_local_day(args.get("date_to"), plus_days=1),
    )
    page = db.paginate(
        operations.browse_query(filters),
        page=args.get("page", 1, type=positive_int),
        per_page=PER_PAGE,
        error_out=False,
    )
    items = [operations.to_public(case, with_timeline=False) for case in page.items]
    return render_template(
        "public/browse.html",
        page=page,
        items=items,
        filters=filters,
        wards=_wards(),
        districts=_districts(),
        categories=CATEGORIES,
    )


@bp.route("/emails/stop/<token>", methods=["GET", "POST"])
def stop_reporter_emails(token: str):
    """The link in each email to a reporter: a button first (a mail scanner that opens the
    link stops nothing), then no more emails about that case to that address."""
    stopped = request.method == "POST"
    code = operations.reporter_emails_link(token, stop=stopped)
    if code is None:
        return _private(render_template("public/stop_emails.html", invalid=True), 404)
    return _private(render_template("public/stop_emails.html", code=code, stopped=stopped), 200)


@bp.get("/units")
def units():
    now = utcnow()
    return render_template(
        "public/units.html", figures=stats.unit_figures(now), period=stats.period(now)
    )


@bp.route("/report", methods=["GET", "POST"])
def report():
    if request.method == "GET":
        return _report_form({"submission_id": uuid.uuid4().hex})
    form = request.form
    if reports.is_spam_trap(form):
        return _report_form(form, error=_("The report could not be accepted."), status=400)
    if not ratelimit.hit("report", current_app.config["PUBLIC_REPORTS_PER_HOUR"]):
        return render_template("public/too_many.html"), 429
    media_urls = []
    photo = request.files.get("photo")
    try:
        if photo and photo.filename:
            name = store_photo(photo.read(), current_app.config["PUBLIC_UPLOAD_DIR"])
            media_urls.append(url_for("public.media", name=name))
        filed = reports.file_report(form, media_urls)
    except PhotoError:
        return _report_form(form, error=_("The photo could not be read."), field="photo")
    except reports.ReportConflict as error:
        # The same form sent twice with different text: keep what they typed, on a fresh form.
        fresh = {**form.to_dict(), "submission_id": uuid.uuid4().hex}
        return _report_form(fresh, error=error.message, status=409)
    except reports.ReportError as error:
        return _report_form(form, error=error.message, field=error.field)
    code = filed.code
    link = url_for(
        "public.reporter_feedback", code=code, token=filed.feedback_token, _external=True
    )
    emailed = operations.email_feedback_link(form.get("contact_email"), code, link)
    page = render_template(
        "public/filed.html",
        code=code,
        place=filed.place,
        feedback_link=link,
        emailed=emailed,
        case=operations.to_public(filed.case, with_timeline=False) if filed.case else None,
        joined=filed.joined,
    )
    return _private(page, 200)


def _report_form(values, error=None, field=None, status=None):
    status = status or (422 if error else 200)
    return render_template(
        "public/report.html",
        values=values,
        error=error,
        error_field=field,
        wards=_wards(),
        honeypot=reports.HONEYPOT_FIELD,
        min_description=reports.MIN_DESCRIPTION,
        categories=CATEGORIES,
    ), status


@bp.get("/media/<name>")
def media(name: str):
    """A citizen's photo: for staff who may see its case, for everyone once the case is public."""
    _photo_allowed(name)
    return _photo_response(current_app.config["PUBLIC_UPLOAD_DIR"], name)


@bp.get("/media/thumbs/<name>")
def media_thumb(name: str):
    """A small copy of a citizen's photo, for the same readers as the photo."""
    _photo_allowed(name)
    path = case_media.thumbnail_path(name, current_app.config["PUBLIC_UPLOAD_DIR"])
    if path is None:
        abort(404)
    return _photo_response(path.parent, path.name)


def _photo_allowed(name: str) -> None:
    """404 for a photo the reader may not see: whether it exists is not told either."""
    if not case_media.may_see_photo(current_user, name):
        abort(404)


def _photo_response(folder, name: str):
    response = send_from_directory(folder, name, max_age=0)
    # Staff-only photos must not stay in shared caches; a browser may keep them privately.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
