"""Admin pages for the public-response templates (one list per category)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.cases.blueprint import bp
from app.cases.models import CATEGORIES, ResponseTemplate
from app.extensions import db
from app.users.access import admin_required
from app.users.admin import audit


@bp.get("/admin/response-templates")
@admin_required
def response_templates():
    templates = db.session.scalars(
        select(ResponseTemplate).order_by(ResponseTemplate.category, ResponseTemplate.title)
    ).all()
    return render_template(
        "cases/response_templates.html", templates=templates, categories=CATEGORIES, editing=None
    )


@bp.route("/admin/response-templates/<int:template_id>", methods=["GET", "POST"])
@bp.post("/admin/response-templates")
@admin_required
def edit_response_template(template_id: int | None = None):
    template = db.session.get(ResponseTemplate, template_id) if template_id else ResponseTemplate()
    if template is None:
        abort(404)
    if request.method == "POST":
        title, body = request.form.get("title", "").strip(), request.form.get("body", "").strip()
        category = request.form.get("category")
        if not title or not body or category not in CATEGORIES:
            flash(_("A template needs a category, a title and a text."), "error")
        else:
            created = template.id is None
            template.title, template.body, template.category = title, body, category
            template.is_active = request.form.get("is_active") == "on"
            db.session.add(template)
            db.session.flush()
            audit(
                current_user,
                "template.create" if created else "template.update",
                "response_template",
                template.id,
                title=title,
                category=category,
                is_active=template.is_active,
            )
            db.session.commit()
            flash(_("Template saved."), "success")
            return redirect(url_for("cases.response_templates"), code=303)
    templates = db.session.scalars(
        select(ResponseTemplate).order_by(ResponseTemplate.category, ResponseTemplate.title)
    ).all()
    return render_template(
        "cases/response_templates.html",
        templates=templates,
        categories=CATEGORIES,
        editing=template,
    )
