"""Who may manage the reference data of ``accounts``.

Units (责任单位) are managed by the 系统管理员 (docs/design.md, roles): in the admin, by hand, and by the
Excel import of units, one rule for both. An office officer picks units in forms but does not create
them: a unit is one record city-wide (its credit code is unique), so its upkeep is one role's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.choices import Role

if TYPE_CHECKING:
    from accounts.models import User


def may_manage_units(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.ADMINISTRATOR))
