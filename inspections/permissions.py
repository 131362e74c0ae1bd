"""Who may do what to which inspection: ``choices.TRANSITIONS`` plus jurisdiction, as in hazards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.choices import Role
from accounts.jurisdiction import Everything, Nothing, Subtree, UnitOnly, jurisdiction_of, reaches_region
from accounts.models import Region
from core.errors import DomainError
from core.transitions import Transition
from inspections.choices import CAMPAIGN_TRANSITIONS, TRANSITIONS, Action, CampaignAction, Kind
from inspections.errors import CampaignNotFound, NotAllowed, NotFound

if TYPE_CHECKING:
    from accounts.models import User
    from inspections.models import Campaign, Inspection


def can_see(user: User, inspection: Inspection) -> bool:
    """What ``Inspection.objects.visible_to(user)`` answers for this row, from the loaded instance."""
    match jurisdiction_of(user):
        case Everything():
            return True
        case UnitOnly(unit_id=unit_id):
            return inspection.unit_id == unit_id and not inspection.secret
        case Subtree(region=top):
            place, planner = Region.cached.get(inspection.region_id), Region.cached.get(inspection.planned_in_id)
            if not (isinstance(place, Region) and place.path.startswith(top.path)):
                return False
            if not inspection.secret or inspection.leader_id == user.pk:
                return True
            return isinstance(planner, Region) and planner.path.startswith(top.path)
        case Nothing():
            return False


def require_visible(user: User, inspection: Inspection) -> None:
    if not can_see(user, inspection):
        raise NotFound()


def check_transition(user: User, action: Action, inspection: Inspection | None, *, kind: str) -> Transition:
    """Jurisdiction first (outsiders learn nothing), then role, then status; a unit's contact only runs
    the unit's own 企业自查, and only officers and offices plan the visits of others."""
    if inspection is not None:
        require_visible(user, inspection)
    if user.role == Role.UNIT_CONTACT and kind != Kind.SELF_CHECK:
        raise NotAllowed()
    if kind == Kind.SELF_CHECK and user.role != Role.UNIT_CONTACT:
        raise NotAllowed()
    return TRANSITIONS.check(role=user.role, action=action, source=inspection.status if inspection else None)


def check_campaign_transition(user: User, action: CampaignAction, campaign: Campaign | None) -> Transition:
    """Visible first (outsiders learn nothing), then the issuing office's jurisdiction (a county reads the
    city's campaign but does not run it), then role and status."""
    from inspections import models

    if campaign is not None:
        if not models.Campaign.objects.visible_to(user).filter(pk=campaign.pk).exists():
            raise CampaignNotFound()
        issued_in = Region.cached.get(campaign.issued_in_id)
        if not (isinstance(issued_in, Region) and reaches_region(user, issued_in)):
            raise NotAllowed()
    return CAMPAIGN_TRANSITIONS.check(role=user.role, action=action, source=campaign.status if campaign else None)


def may_run_campaign(user: User, campaign: Campaign, action: CampaignAction) -> bool:
    try:
        check_campaign_transition(user, action, campaign)
    except DomainError:
        return False
    return True
