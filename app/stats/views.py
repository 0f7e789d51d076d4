"""The statistics blueprint (/stats). Pages live in handling_views, trend_views and report_views."""

from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/stats", template_folder="templates")
