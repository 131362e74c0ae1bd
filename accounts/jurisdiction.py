"""辖区: what a user may see, decided once here and read by every ``visible_to`` and the admin.

docs/design.md: everyone sees exactly their jurisdiction. The administrator sees everything; a unit
contact the hazards handed to their unit (and the regions from where the unit is down, to log its own);
everyone else the region they sit in and every region under it. Signed out, deactivated, or placed
nowhere (a contact without a unit, an officer without a region): nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from accounts.choices import Role

if TYPE_CHECKING:
    from accounts.models import Region, ResponsibleUnit, User


@dataclass(frozen=True)
class Everything:
    """The administrator: no filter at all."""


@dataclass(frozen=True)
class Nothing:
    """Signed out, deactivated, or placed nowhere."""


@dataclass(frozen=True)
class UnitOnly:
    """A unit contact: the hazards handed to the unit, and the regions from where the unit is down."""

    unit_id: int
    region: Region


@dataclass(frozen=True)
class Subtree:
    """Everyone else: the user's region and every region under it."""

    region: Region


# One of four shapes, so a ``match`` over it is checked for missing cases and each case has its fields.
Jurisdiction: TypeAlias = Everything | Nothing | UnitOnly | Subtree

EVERYTHING = Everything()
NOTHING = Nothing()

# The attribute of the user object that keeps its jurisdiction for as long as the object lives: for
# ``request.user``, one request. Never a module-level cache, which would outlive a change of role.
_MEMO = "_jurisdiction_memo"


def jurisdiction_of(user: User) -> Jurisdiction:
    """What ``user`` sees, worked out once per user object (a page scoping several models asks often)."""
    if not (user.is_authenticated and user.is_active):
        return NOTHING
    # What the answer rests on: the same object changed in place (a test, an admin form) is asked anew.
    key = (user.is_superuser, user.role, user.unit_id, user.region_id)
    memo = getattr(user, _MEMO, None)
    if memo is not None and memo[0] == key:
        return memo[1]
    jurisdiction = _decide(user)
    setattr(user, _MEMO, (key, jurisdiction))
    return jurisdiction


def _decide(user: User) -> Jurisdiction:
    if user.is_superuser or user.role == Role.ADMINISTRATOR:
        return EVERYTHING
    if user.role == Role.UNIT_CONTACT:
        # ``user.unit`` rather than a narrower query: the page header shows the unit's name anyway.
        unit = user.unit if user.unit_id is not None else None
        region = _region(unit.region_id) if unit is not None else None
        if unit is None or region is None:
            return NOTHING
        return UnitOnly(unit_id=unit.pk, region=region)
    region = _region(user.region_id)
    return Subtree(region) if region is not None else NOTHING


def _region(pk: int | None) -> Region | None:
    from accounts.models import Region

    # Regions are few and their paths never change once made (accounts/admin.py): the process keeps them.
    region = Region.cached.get(pk)
    return region if isinstance(region, Region) else None


# What ``visible_to`` of regions and units answers for one row, from memory: the services check every
# place and unit they are given (a history import gives thousands). Pinned to ``visible_to`` by a test.


def reaches_region(user: User, region: Region) -> bool:
    """``Region.objects.visible_to(user)`` would list ``region``."""
    return bool(regions_reached(user, [region]))


def regions_reached(user: User, regions: Iterable[Region]) -> list[Region]:
    """Those of ``regions`` that ``Region.objects.visible_to(user)`` would list, in their order."""
    match jurisdiction_of(user):
        case Everything():
            return list(regions)
        case UnitOnly(region=top) | Subtree(region=top):
            return [region for region in regions if region.path.startswith(top.path)]
        case Nothing():
            return []


def reaches_unit(user: User, unit: ResponsibleUnit) -> bool:
    """``ResponsibleUnit.objects.visible_to(user)`` would list ``unit``."""
    match jurisdiction_of(user):
        case Everything():
            return True
        case UnitOnly(unit_id=unit_id):
            return unit.pk == unit_id
        case Subtree(region=top):
            place = _region(unit.region_id)
            return place is not None and place.path.startswith(top.path)
        case Nothing():
            return False
