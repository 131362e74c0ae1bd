"""``Inspection.objects.visible_to(user)``: the jurisdiction, less the secret visits planned above the user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from accounts.jurisdiction import Everything, Nothing, Subtree, UnitOnly, jurisdiction_of

if TYPE_CHECKING:
    from accounts.models import User


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> InspectionQuerySet:
        match jurisdiction_of(user):
            case Everything():
                return self
            case UnitOnly(unit_id=unit_id):
                # 四不两直: the unit learns of the visit when its first hazard is logged.
                return self.filter(unit_id=unit_id, secret=False)
            case Subtree(region=region):
                # The county does not see a secret visit the city planned, except its leader; the city sees
                # the county's.
                shown = (
                    models.Q(secret=False) | models.Q(planned_in__path__startswith=region.path) | models.Q(leader=user)
                )
                return self.filter(shown, region__path__startswith=region.path)
            case Nothing():
                return self.none()
