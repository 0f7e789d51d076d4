"""The labels of a rendered report: kinds, key figures and section titles (translated
when rendered)."""

from flask_babel import lazy_gettext as _l

from app.stats.models import ReportKind

KIND_LABELS = {
    ReportKind.morning_digest.value: _l("Morning press digest"),
    ReportKind.evening_report.value: _l("Evening public-opinion report"),
    ReportKind.custom.value: _l("On-demand report"),
}
FIGURE_LABELS = {
    "articles": _l("Press articles"),
    "topics": _l("Topics"),
    "linked_cases": _l("Cases linked to the articles"),
    "sources": _l("Newspapers"),
    "not_relevant": _l("Articles left out (not about the city's affairs)"),
    "new_cases": _l("New cases"),
    "new_cases_posts": _l("opened from collected posts"),
    "new_cases_direct": _l("opened from citizens' reports"),
    "new_cases_filed": _l("filed by staff or imported"),
    "posts": _l("Posts and reports collected"),
    "posts_press": _l("from the press"),
    "posts_social": _l("from social media"),
    "posts_direct": _l("reported directly"),
    "sla_breaches": _l("Deadlines missed"),
    "responses": _l("Public responses published"),
    "reopened_by_citizens": _l("Reopened by the reporter (not solved)"),
    "overdue": _l("Deadlines overdue now"),
    "mentions": _l("Mentions"),
    "mentions_press": _l("in the press"),
    "mentions_social": _l("on social media"),
    "mentions_direct": _l("in direct reports"),
    "cases": _l("Cases"),
}
SECTION_TITLES = {
    "summary": _l("Key figures"),
    "press_topics": _l("Press articles by topic"),
    "press_sources": _l("Articles by newspaper"),
    "hot_topics": _l("Hot topics"),
    "hot_keywords": _l("Rising keywords"),
    "new_by_category": _l("New cases by category"),
    "new_by_ward": _l("New cases by ward"),
    "sla_breaches": _l("Deadlines missed"),
    "responses": _l("Public responses published"),
    "overdue": _l("Still overdue"),
    "mentions_over_time": _l("Mentions over time, by channel"),
    "channel_spread": _l("Press and social media"),
    "topic_cases": _l("Cases on this topic"),
    "articles": _l("Press articles"),
    "case_details": _l("The case"),
    "case_timeline": _l("Timeline"),
    "sla_clocks": _l("Deadlines"),
}
