"""The public side: the citizens' portal and the Open311 GeoReport v2 API.

What is public here:
- by its exact tracking code, any case (or a citizen report not yet linked to
  one) can be looked up, with personal data masked: the code is random and
  unguessable, so only whoever was handed it can ask;
- lists (the portal's browse page, Open311 `GET requests` without ids) show
  only cases that carry a public response and were not rejected or merged;
- counts per unit are aggregates and reveal no case.
Contact details, author names and handles are never shown.
"""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The portal's `public` blueprint and Open311's `open311`, with their routes; also adds
    Open311 to the API's document."""
    from app.api import openapi
    from app.public import open311, open311_openapi, views

    openapi.add_paths("open311", open311_openapi.open311_paths, rank=10)
    return [views.bp, open311.bp]
