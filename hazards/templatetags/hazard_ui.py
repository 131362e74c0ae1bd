"""Template helpers of the browser app: readable event changes and what belongs in the menu."""

from __future__ import annotations

from django import template

from hazards.models import HazardEvent

register = template.Library()


@register.filter
def readable_changes(event: HazardEvent) -> list[tuple[str, str, str]]:
    return event.readable_changes()


@register.filter
def may_import_ledger(user) -> bool:
    """Whether the 导入台账 link belongs on the 登记隐患 page: whoever may 列单."""
    from hazards.imports import HAZARDS

    return user.is_authenticated and HAZARDS.may_import(user)


@register.filter
def may_create_hazards(user) -> bool:
    """Whether the 登记隐患 button belongs in this user's menu (officers, and units for 企业自查)."""
    from hazards.views.create import may_create

    return user.is_authenticated and may_create(user)
