"""The statistics blueprint (/stats). Pages live in handling/views.py,
trends/views.py and reports/views.py."""

from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/stats", template_folder="templates")
