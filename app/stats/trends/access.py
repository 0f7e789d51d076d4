"""Who reads the trends over posts: one definition for the pages and the API."""

from app.users.models import Role

#: Who reads trends over posts (hot topics, keywords, sentiment, the spread of a topic);
#: supervisors see the hot cases of their own units only.
TREND_ROLES = (Role.supervisor.value, Role.analyst.value, Role.admin.value)
