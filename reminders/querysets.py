from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User


class InboxMessageQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> InboxMessageQuerySet:
        """Everyone reads only their own inbox, administrators included."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> InboxMessageQuerySet:
        return self.filter(read_at__isnull=True)

    def mark_read(self) -> int:
        """Mark these messages read now; ones already read keep the time they were first read."""
        return self.unread().update(read_at=timezone.now())
