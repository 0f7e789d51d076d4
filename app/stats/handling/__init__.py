"""Handling time, backlog and volumes, and the map of cases by ward: how cases are worked.

- queries.py: handling time per stage (receipt → verified / resolved / responded) from the
  StageTime rows, the backlog by age (app.cases.backlog's counts) and the volumes by period;
- geography.py: cases per ward, for the map;
- schemas.py: the query arguments of the pages and the API, loaded with marshmallow;
- labels.py, periods.py and percentiles.py: labels; pure date and percentile arithmetic;
- views.py: /stats/handling-time, /stats/backlog and /stats/map; api.py: /api/v1/stats.
"""
