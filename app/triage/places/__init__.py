"""Where a post is: the gazetteer of HCMC's places and of the places outside it.

`index` and `outside_index` build the phrase indexes from `app.units.hcmc` and the files
in `app/triage/data/`; `mentions` reads a text's place mentions; `outside` finds the
places outside the city; `gazetteer` resolves mentions to the city's current units.
Pure Python, no Flask.
"""
