"""The SLA of cases: working calendars and their store, policies (targets per stage), each
case's clocks, the at-risk and breach scan that escalates to supervisors, the countdowns, the
SLA dashboard and its admin pages, the `flask sla` commands and the background jobs.

Pure maths (no Flask, no database): calendars.py, maths.py, working_time.py. The routes are on
the cases blueprint (app/cases/blueprint.py)."""
