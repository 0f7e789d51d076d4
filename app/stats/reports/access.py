"""Who reads which reports: supervisors, analysts and admins; on-demand reports are read by
whoever made them, and by analysts and admins."""

from sqlalchemy import or_

from app.stats.models import Report, ReportKind
from app.users.models import Role, User

#: Roles that read reports. Officers work their queue; reports are for the people above them.
REPORT_ROLES = (Role.supervisor.value, Role.analyst.value, Role.admin.value)
#: Roles that read every report, including the on-demand reports of others.
ALL_REPORTS_ROLES = (Role.analyst.value, Role.admin.value)


def can_read_reports(user: User) -> bool:
    return user.is_authenticated and user.role in REPORT_ROLES


def readable_reports(statement, user: User):
    """Limit a select() of reports: supervisors read the scheduled reports and their own."""
    if user.role in ALL_REPORTS_ROLES:
        return statement
    return statement.where(
        or_(Report.kind != ReportKind.custom.value, Report.created_by_id == user.id)
    )


def can_read(user: User, report: Report) -> bool:
    if not can_read_reports(user):
        return False
    if user.role in ALL_REPORTS_ROLES or report.kind != ReportKind.custom.value:
        return True
    return report.created_by_id == user.id
