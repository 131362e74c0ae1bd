"""Querysets of the accounts models: ``visible_to(user)`` applies ``accounts.jurisdiction`` to each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models

from accounts.choices import Role
from accounts.jurisdiction import Everything, Nothing, Subtree, UnitOnly, jurisdiction_of

if TYPE_CHECKING:
    from accounts.models import User


class RegionQuerySet(models.QuerySet):
    def within(self, region) -> RegionQuerySet:
        """The region and everything under it (the materialised path is a prefix)."""
        return self.filter(path__startswith=region.path)

    def visible_to(self, user: User) -> RegionQuerySet:
        match jurisdiction_of(user):
            case Everything():
                return self
            case UnitOnly(region=region) | Subtree(region=region):
                # A unit logs its own hazards (企业自查) where the unit is.
                return self.within(region)
            case Nothing():
                return self.none()

    def roots_for(self, user: User) -> RegionQuerySet:
        """The top of what ``user`` may see: where a cascading region picker starts."""
        match jurisdiction_of(user):
            case Everything():
                return self.filter(parent__isnull=True)
            case UnitOnly(region=region) | Subtree(region=region):
                return self.filter(pk=region.pk)
            case Nothing():
                return self.none()


class ResponsibleUnitQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ResponsibleUnitQuerySet:
        match jurisdiction_of(user):
            case Everything():
                return self
            case UnitOnly(unit_id=unit_id):
                return self.filter(pk=unit_id)
            case Subtree(region=region):
                return self.filter(region__path__startswith=region.path)
            case Nothing():
                return self.none()

    def search(self, q: str) -> ResponsibleUnitQuerySet:
        """By part of the name, the start of the credit code, or pinyin initials anywhere in the name (``xxhg``
        finds 新乡化工…, ``htjx`` finds 新乡市华泰机械…)."""
        q = (q or "").strip()
        if not q:
            return self
        return self.filter(
            models.Q(name__icontains=q)
            | models.Q(credit_code__istartswith=q)
            | models.Q(name_initials__contains=q.lower())
        )


class UserManager(DjangoUserManager.from_queryset(models.QuerySet)):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # A superuser runs the system; it is never also a county officer acting on hazards.
        extra_fields.setdefault("role", Role.ADMINISTRATOR)
        return super().create_superuser(username, email, password, **extra_fields)
