"""The one way a hazard row changes: a conditional UPDATE plus its event, in one transaction."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import field_error
from hazards import permissions
from hazards.choices import OPEN_STATUSES, Action, ExtensionStatus
from hazards.errors import ConcurrentChange
from hazards.models import Hazard, HazardEvent
from hazards.services.store import current_store

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise


def event_value(value: Any) -> Any:
    """A JSON-ready form of a field value for ``HazardEvent.changes``."""
    if isinstance(value, Model):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def apply_transition(
    *,
    hazard: Hazard,
    action: Action,
    by: User,
    fields: dict[str, Any] | None = None,
    tracked: tuple[str, ...] = (),
    changes: dict[str, list[Any]] | None = None,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> Hazard:
    """Check ``by`` may take ``action`` now, then move the row only if nobody moved it first.

    ``tracked`` names the fields whose before/after values go into the event (deadline, unit, level);
    ``changes`` adds other before/after pairs (e.g. a requested deadline).
    Runs in the caller's transaction when there is one, so side rows commit or roll back with it.
    The instance is updated in memory to what the UPDATE wrote, and returned.
    """
    transition = permissions.check_transition(by, action, hazard)
    fields = fields or {}
    now = acting_time(at)
    target = transition.target or hazard.status
    changes = {
        **{
            name: [event_value(getattr(hazard, name)), event_value(fields[name])]
            for name in tracked
            if getattr(hazard, name) != fields[name]
        },
        **(changes or {}),
    }
    store = current_store()
    with store.atomic():
        if not store.move(hazard, status=target, fields=fields, now=now):
            raise ConcurrentChange(status=store.current_status(hazard))
        # Deadline, level, listing or status may have changed: the reminder sweep re-plans it.
        store.schedule(hazard, now if target in OPEN_STATUSES else None)
        store.add_event(
            HazardEvent(
                hazard=hazard,
                action=action,
                actor=by,
                at=now,
                from_status=hazard.status,
                to_status=target,
                changes=changes,
                comment=comment,
            )
        )
    # The row matched this instance's version, so it now holds exactly these values: no need to read it back.
    for name, value in fields.items():
        setattr(hazard, name, value)
    hazard.status, hazard.version, hazard.updated_at = target, hazard.version + 1, now
    return hazard


def acting_time(at: datetime.datetime | None) -> datetime.datetime:
    """When a service acts: ``at`` when it records something done earlier (a history import, the demo),
    else now. Every stamp and every date check of one call uses this one moment."""
    return at or timezone.now()


def require_text(value: str, field: str, message: str | StrPromise) -> str:
    value = (value or "").strip()
    if not value:
        raise field_error(field, message, "required")
    return value


def require_future_date(
    value: datetime.date | None, field: str, *, today: datetime.date | None = None
) -> datetime.date:
    """A deadline on or after ``today``: the local date a service acts on (the real today by default)."""
    if value is None:
        raise field_error(field, _("请填写日期。"), "required")
    real_today = timezone.localdate()
    today = today or real_today
    if value < today:
        if today == real_today:
            raise field_error(field, _("期限不能早于今天。"), "past")
        raise field_error(field, _("期限不能早于办理当日（%(day)s）。") % {"day": today.isoformat()}, "past")
    return value


def lift_active_listing(*, hazard: Hazard, by: User, at: datetime.datetime, comment: str) -> None:
    """摘牌: end the hazard's active 挂牌督办, if any, with its own event (same transaction)."""
    store = current_store()
    listing = store.active_listing(hazard)
    if listing is None or not store.lift_listing(listing, lifted_at=at, lifted_by=by):
        return
    store.add_event(
        HazardEvent(
            hazard=hazard,
            action=Action.LIFT_SUPERVISION,
            actor=by,
            at=at,
            from_status=hazard.status,
            to_status=hazard.status,
            changes={"supervision": [listing.notice_number, None]},
            comment=comment,
        )
    )


def lapse_pending_extensions(*, hazard: Hazard, at: datetime.datetime, comment: str) -> None:
    """A pending 延期 request cannot be decided once the hazard is closed or voided: it lapses."""
    current_store().lapse_extensions(hazard, status=ExtensionStatus.LAPSED, decided_at=at, decision_comment=comment)
