"""Template filters of the accounts app: what the navigation offers a role."""

from django import template

from accounts.models import Region
from accounts.permissions import may_manage_units as _may_manage_units

register = template.Library()


@register.filter
def may_manage_units(user) -> bool:
    """Whether 单位导入 belongs in the navigation: the 系统管理员."""
    return _may_manage_units(user)


@register.filter
def place_name(user) -> str:
    """Where the user sits, for the page header: the unit, else the region (from the regions the process
    keeps, not one more query per page)."""
    if user.unit_id:
        return user.unit.name
    region = Region.cached.get(user.region_id)
    return region.name if region else ""
