"""Template filters of the accounts app: what the navigation offers a role."""

from django import template

from accounts.permissions import may_manage_units as _may_manage_units

register = template.Library()


@register.filter
def may_manage_units(user) -> bool:
    """Whether 单位导入 belongs in the navigation: the 系统管理员."""
    return _may_manage_units(user)
