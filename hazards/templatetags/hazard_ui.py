"""Template helpers of the browser app: the inbox badge and readable event changes."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from hazards.models import Hazard, HazardEvent

register = template.Library()

# Keys of HazardEvent.changes that are not Hazard fields.
EXTRA_LABELS = {"supervision": _("挂牌督办"), "requested_deadline": _("申请延至")}


@register.simple_tag(takes_context=True)
def unread_count(context: dict) -> str:
    """Unread inbox messages of the signed-in user, capped at "99+" ("" when none)."""
    from reminders.models import InboxMessage

    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    # Counting stops at 100: the badge never needs more, and a flooded inbox stays cheap.
    unread = len(InboxMessage.objects.visible_to(request.user).unread().values_list("pk", flat=True)[:100])
    if unread == 0:
        return ""
    return "99+" if unread > 99 else str(unread)


def _readable(field: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name", value.get("id", "")))
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


@register.filter
def readable_changes(event: HazardEvent) -> list[tuple[str, str, str]]:
    """An event's changes as (label, before, after), in Chinese, for the timeline."""
    rows = []
    for name, pair in (event.changes or {}).items():
        before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        try:
            field = Hazard._meta.get_field(name)
            label = str(field.verbose_name)
        except FieldDoesNotExist:
            field, label = None, str(EXTRA_LABELS.get(name, name))
        rows.append((label, _readable(field, before), _readable(field, after)))
    return rows


@register.filter
def may_create_hazards(user) -> bool:
    """Whether the 登记隐患 button belongs in this user's menu (officers, and units for 企业自查)."""
    from hazards.views.create import may_create

    return user.is_authenticated and may_create(user)
