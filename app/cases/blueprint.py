"""The `cases` blueprint: the queue, the case page, the SLA dashboard and the admin pages of
cases and SLA put their routes on it (app/cases/__init__.py imports those modules)."""

from flask import Blueprint

bp = Blueprint("cases", __name__, template_folder="templates")
