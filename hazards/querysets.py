"""Querysets of the hazard ledger; ``HazardQuerySet.visible_to`` decides who sees which hazard."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.choices import RegionLevel
from accounts.jurisdiction import Everything, Nothing, Subtree, UnitOnly, jurisdiction_of
from accounts.models import Sector
from hazards.choices import OPEN_STATUSES, Status

if TYPE_CHECKING:
    from accounts.models import User


def overdue_condition(today: datetime.date | None = None) -> Q:
    """Overdue is derived (docs/design.md): still open and the deadline has passed."""
    return Q(status__in=OPEN_STATUSES, deadline__lt=today or timezone.localdate())


def under_supervision() -> Exists:
    """The hazard has an active 挂牌督办 (listing not yet lifted)."""
    from hazards.models import SupervisionListing

    return Exists(SupervisionListing.objects.filter(hazard=OuterRef("pk"), lifted_at__isnull=True))


class HazardQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> HazardQuerySet:
        """A county officer sees the county's hazards, a unit contact those handed to the unit, the
        municipal office and the read-only client the whole city; nothing else exists for them."""
        match jurisdiction_of(user):
            case Everything():
                return self
            case UnitOnly(unit_id=unit_id):
                return self.filter(responsible_unit_id=unit_id)
            case Subtree(region=region):
                return self.within(region)
            case Nothing():
                return self.none()

    def within(self, region) -> HazardQuerySet:
        """Hazards in the region and everything under it."""
        if region.level == RegionLevel.COUNTY:
            # The common case reads the (county, status, found_at) index with no join.
            return self.filter(county_id=region.pk)
        if region.level in (RegionLevel.PROVINCE, RegionLevel.CITY):
            # Whole counties: the county indexes serve, where a path match would join every row's region.
            # As ids (a list compares equal to itself: search.Listing).
            return self.filter(county_id__in=region.county_ids())
        return self.filter(region__path__startswith=region.path)

    def counted(self) -> HazardQuerySet:
        """What every statistic counts: all hazards but the voided ones (docs/design.md, Reports)."""
        return self.exclude(status=Status.VOID)

    def in_sector(self, code: str) -> HazardQuerySet:
        """Hazards of the sector and of its sub-sectors: 工贸 includes 工贸·机械."""
        sectors = Sector.objects.filter(Q(code=code) | Q(parent__code=code)).values("pk")
        return self.filter(sector_id__in=sectors)

    def open(self) -> HazardQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, value: bool = True, today: datetime.date | None = None) -> HazardQuerySet:
        overdue = overdue_condition(today)
        return self.filter(overdue) if value else self.exclude(overdue)

    def with_is_supervised(self) -> HazardQuerySet:
        return self.annotate(is_supervised=under_supervision())

    def supervised(self, value: bool = True) -> HazardQuerySet:
        """Under an active 挂牌督办 (or, with ``value=False``, not)."""
        return self.filter(under_supervision() if value else ~under_supervision())


class HazardChildQuerySet(models.QuerySet):
    """Rows that belong to one hazard (extension requests, listings): visible with their hazard."""

    def visible_to(self, user: User) -> HazardChildQuerySet:
        from hazards.models import Hazard

        match jurisdiction_of(user):
            case Everything():
                return self  # no semi-join against the whole ledger
            case Nothing():
                return self.none()
            case UnitOnly() | Subtree():
                return self.filter(hazard__in=Hazard.objects.visible_to(user).values("pk"))


class AppendOnlyQuerySet(models.QuerySet):
    """For audit rows: bulk updates and deletes are refused; history is never rewritten."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only")


# django-stubs types each queryset's as_manager() apart, so two querysets as bases clash on it.
class HazardEventQuerySet(HazardChildQuerySet, AppendOnlyQuerySet):  # type: ignore[override]
    """Events: visible with their hazard, and never rewritten."""
