"""Template helpers of the browser app: the inbox badge and readable event changes."""

from __future__ import annotations

from django import template

from hazards.models import HazardEvent

register = template.Library()


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


@register.filter
def readable_changes(event: HazardEvent) -> list[tuple[str, str, str]]:
    return event.readable_changes()


@register.filter
def may_create_hazards(user) -> bool:
    """Whether the 登记隐患 button belongs in this user's menu (officers, and units for 企业自查)."""
    from hazards.views.create import may_create

    return user.is_authenticated and may_create(user)
