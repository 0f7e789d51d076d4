"""Wards, communes and departments: the units table, loaded from `vietnamadminunits` data
(hcmc.py), and /api/v1/units."""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """No blueprint of its own: puts /api/v1/units on `api`."""
    from app.units import api  # noqa: F401  (routes on the api blueprint)

    return []
