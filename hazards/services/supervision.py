"""挂牌督办: a supervisor lists a major hazard for formal supervision; it is lifted on closure.

The level is the supervisor's own or one below it; the authority (督办单位) is the 安委办 of the region at
that level over the hazard, and the 文号 is that office's next number of the year: neither is typed.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region, User
from core.errors import field_error
from hazards import permissions
from hazards.choices import Action, AuthorityLevel, Level
from hazards.errors import IllegalTransition
from hazards.models import Hazard, SupervisionListing
from hazards.services._core import acting_time, apply_transition, require_future_date, require_text
from hazards.services.numbers import authority_name
from hazards.services.store import current_store


def supervision_office(hazard: Hazard, level: str) -> Region:
    """The region whose 安委办 lists ``hazard`` at ``level``: its county, the county's city or province."""
    codes = hazard.county.path.strip("/").split("/")
    office = Region.objects.filter(code__in=codes, level=level).first()
    if office is None:
        raise field_error("authority_level", _("隐患所在地没有该级别的区划，无法按此级别督办。"), "no_office")
    return office


def supervision_start(
    *,
    hazard: Hazard,
    by: User,
    requirements: str,
    deadline: datetime.date,
    authority_level: str | None = None,
    at: datetime.datetime | None = None,
) -> SupervisionListing:
    """Lists an open major hazard at ``authority_level`` (the supervisor's own level when not given); the
    supervision deadline may not be before the acting day."""
    permissions.check_transition(by, Action.LIST_SUPERVISION, hazard)
    if hazard.level != Level.MAJOR:
        raise IllegalTransition(_("只有重大事故隐患可以挂牌督办。"), status=hazard.status)
    store = current_store()
    if store.active_listing(hazard) is not None:
        raise IllegalTransition(_("该隐患已在挂牌督办中。"), status=hazard.status)
    levels = permissions.listing_levels(by)
    if not levels:
        raise field_error("authority_level", _("只有县级及以上的监管审核人可以挂牌督办。"), "not_allowed")
    level = authority_level or levels[0]
    if level not in AuthorityLevel.values:
        raise field_error("authority_level", _("请选择督办级别。"), "invalid_choice")
    if level not in levels:
        allowed = "、".join(str(AuthorityLevel(x).label) for x in levels)
        raise field_error(
            "authority_level", _("您只能挂牌本级及以下的督办（%(levels)s）。") % {"levels": allowed}, "above_own_level"
        )
    office = supervision_office(hazard, level)
    now = acting_time(at)
    listing = SupervisionListing(
        hazard=hazard,
        authority_level=level,
        authority_region=office,
        authority=authority_name(office),
        requirements=require_text(requirements, "requirements", _("请填写督办要求。")),
        deadline=require_future_date(deadline, "deadline", today=timezone.localdate(now)),
        listed_by=by,
        listed_at=now,
    )
    try:
        with store.atomic():
            store.add_listing(listing)  # numbers it: at once, or for a history batch when it is written
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
