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


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> CampaignQuerySet:
        """An office sees the campaigns issued in its jurisdiction (a city its counties' too); a county the
        launched campaigns with a target in it; a unit the launched campaigns it is a target of."""
        from inspections.choices import CampaignStatus

        launched = ~models.Q(status=CampaignStatus.DRAFT)
        match jurisdiction_of(user):
            case Everything():
                return self
            case UnitOnly(unit_id=unit_id):
                return self.filter(launched, pk__in=self._targeting(unit_id=unit_id))
            case Subtree(region=region):
                covering = self._targeting(unit__region__path__startswith=region.path)
                return self.filter(
                    models.Q(issued_in__path__startswith=region.path) | (launched & models.Q(pk__in=covering))
                )
            case Nothing():
                return self.none()

    @staticmethod
    def _targeting(**where: object) -> models.QuerySet:
        from inspections.models import CampaignTarget

        return CampaignTarget.objects.filter(**where).values("campaign_id")
