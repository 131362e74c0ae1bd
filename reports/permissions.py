"""Who may see the 统计看板: those who answer for a jurisdiction, not a unit contact (its own hazards are
its list) nor the read-only API client (it has the stats API)."""

from __future__ import annotations

from accounts.choices import Role
from accounts.jurisdiction import Everything, Subtree, jurisdiction_of
from accounts.models import User

REPORT_ROLES = frozenset({Role.COUNTY_OFFICER, Role.SUPERVISOR, Role.MUNICIPAL_OFFICE, Role.ADMINISTRATOR})


def may_see_reports(user: User) -> bool:
    if not isinstance(jurisdiction_of(user), Everything | Subtree):
        return False
    return user.is_superuser or user.role in REPORT_ROLES
