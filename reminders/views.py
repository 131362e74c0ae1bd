"""消息: the in-app inbox in the browser, each message marked read one by one or all at once."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from reminders.models import InboxMessage
from reminders.querysets import InboxMessageQuerySet

MESSAGES_SHOWN = 50


def inbox_of(request: HttpRequest) -> InboxMessageQuerySet:
    return InboxMessage.objects.visible_to(request.user)


@require_GET
@login_required
def messages(request: HttpRequest) -> HttpResponse:
    """The latest in-app reminders, unread first marked; each can be marked read, or all at once."""
    inbox = inbox_of(request)[:MESSAGES_SHOWN]
    return render(request, "reminders/messages.html", {"inbox": inbox, "shown": MESSAGES_SHOWN})


@require_POST
@login_required
def messages_read(request: HttpRequest, message_id: int | None = None) -> HttpResponse:
    """标为已读: one message (``message_id``) or every unread one; another user's message is a 404."""
    inbox = inbox_of(request)
    if message_id is not None:
        inbox = inbox.filter(pk=get_object_or_404(inbox, pk=message_id).pk)
    inbox.mark_read()
    return redirect("reminders:messages")
