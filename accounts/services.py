"""The writes of ``accounts`` that are more than the admin's own form: units created and changed through
one function each, keyword-only and atomic, so the admin, the Excel import and any later caller apply
the same rules (the model's validation, the credit code unique, the place within the actor's reach)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import UnitKind
from accounts.jurisdiction import reaches_region, reaches_unit
from accounts.models import Region, ResponsibleUnit, Sector, User
from accounts.permissions import may_manage_units
from core.errors import NotAllowed, NotFound


@dataclass(frozen=True)
class UnitDetails:
    """What a unit is: every field a person may set."""

    name: str
    region: Region
    kind: str = UnitKind.ENTERPRISE
    credit_code: str = ""
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    industry_code: str = ""
    sector: Sector | None = None  # 行业领域: the national tables' row the unit is counted in for coverage
    is_active: bool = True


def _values(details: UnitDetails) -> dict:
    return {field.name: getattr(details, field.name) for field in fields(details)}


def _require_manager(by: User, region: Region) -> None:
    if not may_manage_units(by):
        raise NotAllowed(_("只有系统管理员可以新增或修改责任单位。"))
    if not reaches_region(by, region):
        raise NotFound(_("所在区划不存在或不在您的辖区内。"))


@transaction.atomic
def unit_create(*, details: UnitDetails, by: User) -> ResponsibleUnit:
    """A new unit; a ValidationError in Chinese names the field at fault (a credit code already
    registered included)."""
    _require_manager(by, details.region)
    unit = ResponsibleUnit(**_values(details))
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def unit_update(*, unit: ResponsibleUnit, details: UnitDetails, by: User) -> ResponsibleUnit:
    """``unit`` given ``details``, checked as a new one would be."""
    if not reaches_unit(by, unit):
        raise NotFound(_("责任单位不存在或不在您的辖区内。"))
    _require_manager(by, details.region)
    for name, value in _values(details).items():
        setattr(unit, name, value)
    unit.full_clean()
    unit.save()
    return unit
