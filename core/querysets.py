"""Scoping of the shared machinery's rows: ``visible_to(user)``, as in every app."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser as User
from django.db import models


class JobQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> JobQuerySet:
        """A job is its owner's alone, administrators' included, as an inbox is: its result holds what the
        owner may see, which another user (a colleague of the same county, say) may not. Staff allowed
        to view jobs see them all in the admin site (core/admin.py), under its own permission check."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(owner=user)
