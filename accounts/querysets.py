"""Jurisdiction scoping for accounts models: ``visible_to(user)`` is the one place it is decided."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models

from accounts.choices import Role

if TYPE_CHECKING:
    from accounts.models import User


def sees_everything(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.role == Role.ADMINISTRATOR))


class RegionQuerySet(models.QuerySet):
    def within(self, region) -> RegionQuerySet:
        """The region and everything under it (the materialised path is a prefix)."""
        return self.filter(path__startswith=region.path)

    def visible_to(self, user: User) -> RegionQuerySet:
        if sees_everything(user):
            return self
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.role == Role.UNIT_CONTACT:
            # A unit logs its own hazards (企业自查) where the unit is.
            return self.within(user.unit.region) if user.unit_id else self.none()
        return self.within(user.region) if user.region_id else self.none()

    def roots_for(self, user: User) -> RegionQuerySet:
        """The top of what ``user`` may see: where a cascading region picker starts."""
        if sees_everything(user):
            return self.filter(parent__isnull=True)
        visible = self.visible_to(user)
        if user.role == Role.UNIT_CONTACT:
            return visible.filter(pk=user.unit.region_id) if user.unit_id else visible
        return visible.filter(pk=user.region_id)


class ResponsibleUnitQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ResponsibleUnitQuerySet:
        if sees_everything(user):
            return self
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.role == Role.UNIT_CONTACT:
            return self.filter(pk=user.unit_id) if user.unit_id else self.none()
        if user.region_id is None:
            return self.none()
        return self.filter(region__path__startswith=user.region.path)

    def search(self, q: str) -> ResponsibleUnitQuerySet:
        """By part of the name, the start of the credit code, or the pinyin initials (``xxhg`` finds 新乡化工)."""
        q = (q or "").strip()
        if not q:
            return self
        return self.filter(
            models.Q(name__icontains=q)
            | models.Q(credit_code__istartswith=q)
            | models.Q(name_initials__istartswith=q.lower())
        )


class UserManager(DjangoUserManager.from_queryset(models.QuerySet)):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # A superuser runs the system; it is never also a county officer acting on hazards.
        extra_fields.setdefault("role", Role.ADMINISTRATOR)
        return super().create_superuser(username, email, password, **extra_fields)
