"""Who may do what to which hazard: the transition table of ``hazards.choices`` plus jurisdiction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.choices import Role
from hazards.choices import TRANSITIONS, Action, AttachmentPhase, Status, Transition, find_transition
from hazards.errors import IllegalTransition, NotAllowed, NotFound

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
    from hazards.models import Hazard

    return Hazard.objects.visible_to(user).filter(pk=hazard.pk).exists()


def require_visible(user: User, hazard: Hazard) -> None:
    if not can_see(user, hazard):
        raise NotFound()


def role_may(role: str, action: Action) -> bool:
    return any(t.action == action and role in t.roles for t in TRANSITIONS)


def check_transition(user: User, action: Action, hazard: Hazard) -> Transition:
    """The transition ``user`` may take on ``hazard``, or the error that says why not.

    Jurisdiction first (outsiders learn nothing), then role, then the hazard's current status.
    """
    require_visible(user, hazard)
    if not role_may(user.role, action):
        raise NotAllowed(status=hazard.status)
    transition = find_transition(action, Status(hazard.status))
    if transition is None:
        raise IllegalTransition(status=hazard.status)
    if user.role not in transition.roles:
        raise NotAllowed(status=hazard.status)
    return transition


def allowed_actions(user: User, hazard: Hazard) -> list[Action]:
    """The status-level actions open to ``user`` now (business checks such as level come later)."""
    if not can_see(user, hazard):
        return []
    return [t.action for t in TRANSITIONS if t.source == hazard.status and user.role in t.roles]
