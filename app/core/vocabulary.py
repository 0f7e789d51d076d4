"""Codes that several domains share, defined once: collectors, triage, cases and stats all
speak them, so they live below all of them. Labels (translated) live with the pages.

Pure Python: no Flask, no database.
"""

#: The categories of DESIGN.md. Codes are stable, and so is the order: it is the order of
#: the triage model's category head (its logits), of forms and of report tables.
CATEGORIES = (
    "flooding",
    "traffic",
    "environment",
    "urban_order",
    "security",
    "infrastructure",
    "administrative",
    "health",
    "education",
    "other",
)

#: The channels a post comes through, in the order statistics show them: the press,
#: social media, and reports made directly to the city (web form, webhook, Open311).
PRESS, SOCIAL, DIRECT = CHANNELS = ("press", "social", "direct")
