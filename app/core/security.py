"""Security headers on every response.

The app loads nothing from outside (no CDN, no web fonts, no analytics) and
keeps its scripts and styles in files under /static, so a strict policy holds:
nothing inline, nothing from another origin, and no framing by other sites.
"""

from flask import Flask, Response, current_app, request

#: The Content-Security-Policy of every response. `data:` images are the only
#: exception: the SVG charts and the map are inline markup, not images, so they
#: need nothing here.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)

#: Two years, with subdomains: the value the HSTS preload list asks for.
HSTS = "max-age=63072000; includeSubDomains"

STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def served_over_https() -> bool:
    """True when this request came over HTTPS, or the app is configured to be served so."""
    return request.is_secure or current_app.config.get("PREFERRED_URL_SCHEME") == "https"


def add_security_headers(response: Response) -> Response:
    """Set the headers, keeping any that a view chose itself."""
    for name, value in STATIC_HEADERS.items():
        response.headers.setdefault(name, value)
    if served_over_https():
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
