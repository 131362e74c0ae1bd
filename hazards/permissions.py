"""Who may do what to which hazard: the transition table of ``hazards.choices`` plus jurisdiction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.choices import Role
from accounts.jurisdiction import Everything, Nothing, Subtree, UnitOnly, jurisdiction_of
from accounts.models import Region
from core.transitions import Transition
from hazards.choices import TRANSITIONS, Action, AttachmentPhase, AuthorityLevel
from hazards.errors import NotFound

if TYPE_CHECKING:
    from accounts.models import User
    from hazards.models import Hazard

# Which roles may add evidence at which phase of a hazard's life.
ATTACHMENT_ROLES: dict[AttachmentPhase, frozenset[Role]] = {
    AttachmentPhase.FOUND: frozenset({Role.COUNTY_OFFICER, Role.SUPERVISOR}),
    AttachmentPhase.RECTIFIED: frozenset({Role.UNIT_CONTACT, Role.COUNTY_OFFICER}),
    AttachmentPhase.VERIFICATION: frozenset({Role.SUPERVISOR}),
}


def can_see(user: User, hazard: Hazard) -> bool:
    """What ``Hazard.objects.visible_to(user)`` would answer for this row, read from the instance the
    caller loaded rather than asked of the database again (every service call asks)."""
    match jurisdiction_of(user):
        case Everything():
            return True
        case UnitOnly(unit_id=unit_id):
            return hazard.responsible_unit_id == unit_id
        case Subtree(region=region):
            if hazard.county_id == region.pk:
                return True
            place = Region.cached.get(hazard.region_id)
            return isinstance(place, Region) and place.path.startswith(region.path)
        case Nothing():
            return False


def require_visible(user: User, hazard: Hazard) -> None:
    if not can_see(user, hazard):
        raise NotFound()


def role_may(role: str, action: Action) -> bool:
    return TRANSITIONS.role_may(role, action)


def role_writes(role: str) -> bool:
    """Whether a role may change hazards at all: take some action, or add evidence at some phase. The API
    client and the municipal office only read."""
    return any(role_may(role, action) for action in Action) or any(role in roles for roles in ATTACHMENT_ROLES.values())


def check_transition(user: User, action: Action, hazard: Hazard) -> Transition:
    """The transition ``user`` may take on ``hazard``, or the error that says why not.

    Jurisdiction first (outsiders learn nothing), then role, then the hazard's current status.
    """
    require_visible(user, hazard)
    return TRANSITIONS.check(role=user.role, action=action, source=hazard.status)


def allowed_actions(user: User, hazard: Hazard) -> list[Action]:
    """The status-level actions open to ``user`` now (business checks such as level come later)."""
    if not can_see(user, hazard):
        return []
    return [Action(action) for action in TRANSITIONS.open_to(user.role, hazard.status)]


def listing_levels(user: User) -> list[AuthorityLevel]:
    """The 挂牌督办 levels a supervisor may impose: their own region's level and the ones below it (a county
    supervisor lists only 县级), highest first. None below a county."""
    levels = list(AuthorityLevel)
    own = user.region.level if user.region is not None else None
    return levels[[level.value for level in levels].index(own) :] if own in AuthorityLevel.values else []
