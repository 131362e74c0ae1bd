"""The inbox badge of the page header."""

from __future__ import annotations

from django import template

from reminders.models import InboxMessage

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context: dict) -> str:
    """Unread inbox messages of the signed-in user, capped at "99+" ("" when none)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    # Counting stops at 100, in no order: the badge never needs more, and a flooded inbox is not sorted.
    unread = len(InboxMessage.objects.visible_to(request.user).unread().order_by().values_list("pk", flat=True)[:100])
    if unread == 0:
        return ""
    return "99+" if unread > 99 else str(unread)
