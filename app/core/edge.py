"""App-wide guards at the edge (see app/core/validation.py for the rules).

- `<int:…>` in every URL is bounded to PostgreSQL's integer: /api/v1/cases/99999999999 is 404;
- a NUL (or a lone surrogate) in any query or form value is refused with 400 before a view
  runs, in the API's error shape under /api/v1, the spec's under /open311, a page elsewhere.

The fields of each schema check the same things; this guard covers every page at once.
"""

from flask import Flask, abort, request

from app.core.validation import BoundedIntConverter, first_unsafe

#: Form bodies of these prefixes are read raw (signed webhooks): parsing them here would
#: consume the stream their signature check needs.
RAW_BODY_PREFIXES = ("/hooks/",)


def register_converters(app: Flask) -> None:
    """Call before any blueprint is registered: rules compile their converters when added."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    app.before_request(refuse_unsafe_text)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unsafe_text():
    found = first_unsafe(request.args.items(multi=True))
    reads_form = request.mimetype in FORM_TYPES and not request.path.startswith(RAW_BODY_PREFIXES)
    if found is None and reads_form:
        found = first_unsafe(request.form.items(multi=True))
    if found is None:
        return None
    name, reason = found
    message = f"{name} {reason}"
    if request.path.startswith("/api/"):
        from app.api import error_response

        return error_response(400, "bad_request", message, {name: [reason]})
    if request.path.startswith("/open311/"):
        from app.public import open311_format

        fmt = "xml" if request.path.endswith(".xml") else "json"
        return open311_format.errors(400, message, fmt)
    abort(400, description=message)
