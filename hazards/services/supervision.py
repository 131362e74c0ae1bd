"""挂牌督办: a supervisor lists a major hazard for formal supervision; it is lifted on closure."""

from __future__ import annotations

import datetime

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import field_error
from hazards import permissions
from hazards.choices import Action, AuthorityLevel, Level
from hazards.errors import IllegalTransition
from hazards.models import Hazard, SupervisionListing
from hazards.services._core import acting_time, apply_transition, require_future_date, require_text
from hazards.services.store import current_store


def supervision_start(
    *,
    hazard: Hazard,
    by: User,
    authority_level: AuthorityLevel,
    authority: str,
    notice_number: str,
    requirements: str,
    deadline: datetime.date,
    at: datetime.datetime | None = None,
) -> SupervisionListing:
    """Lists an open major hazard; the supervision deadline may not be before the acting day."""
    permissions.check_transition(by, Action.LIST_SUPERVISION, hazard)
    if hazard.level != Level.MAJOR:
        raise IllegalTransition(_("只有重大事故隐患可以挂牌督办。"), status=hazard.status)
    store = current_store()
    if store.active_listing(hazard) is not None:
        raise IllegalTransition(_("该隐患已在挂牌督办中。"), status=hazard.status)
    if authority_level not in AuthorityLevel.values:
        raise field_error("authority_level", _("请选择督办级别。"), "required")
    now = acting_time(at)
    listing = SupervisionListing(
        hazard=hazard,
        authority_level=authority_level,
        authority=require_text(authority, "authority", _("请填写督办单位。")),
        notice_number=require_text(notice_number, "notice_number", _("请填写督办通知书文号。")),
        requirements=require_text(requirements, "requirements", _("请填写督办要求。")),
        deadline=require_future_date(deadline, "deadline", today=timezone.localdate(now)),
        listed_by=by,
        listed_at=now,
    )
    try:
        with store.atomic():
            store.add_listing(listing)
            apply_transition(
                hazard=hazard,
                action=Action.LIST_SUPERVISION,
                by=by,
                changes={"supervision": [None, listing.notice_number]},
                comment=listing.requirements,
                at=listing.listed_at,
            )
    except IntegrityError as exc:  # another supervisor listed it between the check and the insert
        raise IllegalTransition(_("该隐患已在挂牌督办中。"), status=hazard.status) from exc
    return listing
