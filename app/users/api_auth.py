"""Bearer-token sign-in for /api/v1: a route module of users on the `api` blueprint.

Every API request but the public ones (the document, the docs page) carries the token of a
user (`flask --app wsgi users token EMAIL`); the user is then current_api_user().
"""

from flask import g, request

from app.api import PUBLIC_ENDPOINTS, api, error_response
from app.users.operations import user_for_token


@api.before_request
def authenticate_token():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    user = user_for_token(token.strip())
    if user is None:
        return _unauthorized("invalid or revoked token")
    g.api_user = user
    return None


def _unauthorized(message: str):
    response = error_response(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="socialbeat"'
    return response
