"""Corrections to a hazard's record while it is open; status-changing fields have their own services."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from accounts.jurisdiction import reaches_region
from accounts.models import Region, User
from core.errors import field_error
from hazards import permissions
from hazards.choices import Action, Level, Status
from hazards.errors import IllegalTransition
from hazards.models import MAJOR_FIELDS, PLAN_FIELDS, Hazard, SupervisionListing
from hazards.services._core import apply_transition, event_value

# What 列单 recorded may be corrected until the hazard is handed over.
LISTING_FIELDS = frozenset(
    {"title", "description", "address", "region", "sector", "category", "factor", "source", "level"}
    | {"major_standard", "major_standard_item"}
)
# The 治理方案 of a major hazard is kept up to date while it is being remediated.
_PLAN = frozenset(PLAN_FIELDS)


def editable_fields(hazard: Hazard) -> frozenset[str]:
    if not hazard.is_open:
        return frozenset()
    if hazard.status == Status.LISTED:
        return LISTING_FIELDS | _PLAN
    return _PLAN if hazard.level == Level.MAJOR else frozenset()


def hazard_update(*, hazard: Hazard, by: User, changes: dict[str, Any], at: datetime.datetime | None = None) -> Hazard:
    """修改: correct fields that may still change in the hazard's status; the event keeps before/after."""
    permissions.check_transition(by, Action.UPDATE, hazard)
    allowed = editable_fields(hazard)
    refused = sorted(set(changes) - allowed)
    if refused:
        raise ValidationError(
            {name: ValidationError(_("隐患当前状态下不能修改此项。"), code="not_editable") for name in refused}
        )
    changes = {name: value for name, value in changes.items() if getattr(hazard, name) != value}
    if not changes:
        return hazard
    if "region" in changes:
        _check_region(changes["region"], hazard=hazard, by=by)
    candidate = Hazard.objects.get(pk=hazard.pk)
    for name, value in changes.items():
        setattr(candidate, name, value)
    if "level" in changes and SupervisionListing.objects.filter(hazard=hazard, lifted_at__isnull=True).exists():
        raise IllegalTransition(_("挂牌督办中的隐患不能调整等级。"), status=hazard.status)
    if candidate.level == Level.GENERAL and any(
        getattr(candidate, name) != cast(models.Field, Hazard._meta.get_field(name)).get_default()
        for name in MAJOR_FIELDS
    ):
        raise field_error("level", _("一般隐患不填写判定标准和治理方案，请清空这些内容或改为重大隐患。"), "not_major")
    if candidate.level == Level.MAJOR and not (candidate.major_standard and candidate.major_standard_item.strip()):
        raise field_error("major_standard", _("重大事故隐患须写明判定标准及条款。"), "required")
    candidate.full_clean(exclude=["number", "county", "found_by"])
    return apply_transition(
        hazard=hazard,
        action=Action.UPDATE,
        by=by,
        fields=changes,
        changes={name: [event_value(getattr(hazard, name)), event_value(value)] for name, value in changes.items()},
        at=at,
    )


def _check_region(region: Region, *, hazard: Hazard, by: User) -> None:
    if not reaches_region(by, region):
        raise field_error("region", _("所选区划不在您的辖区内。"), "out_of_scope")
    # The number carries the county code, so a hazard stays in the county it was logged in.
    if region.county != hazard.county:
        raise field_error("region", _("只能在本区县内调整区划。"), "other_county")
